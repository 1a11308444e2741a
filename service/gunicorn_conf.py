"""gunicorn settings for the moderation service (used by ``moderator serve`` and the container).

The service is CPU-bound per request (scoring) with short waits on Redis:
one worker process per CPU, each with a few threads. The app is loaded once in
the master and forked, so the model's arrays are shared between workers.
"""

import os
import shutil

# Every worker counts its metrics in files of one folder and /metrics adds them
# up. prometheus_client picks that mode when it is imported, so the folder is
# set, and emptied of a previous run's files, here, before the app is loaded.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = os.path.join(os.environ.get("MODERATION_DATA_DIR") or "var", "metrics")
shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

bind = os.environ.get("MODERATION_BIND", "127.0.0.1:8080")
workers = int(os.environ.get("MODERATION_WORKERS") or os.cpu_count() or 2)
worker_class = "gthread"
threads = int(os.environ.get("MODERATION_THREADS") or 2)
# Each worker listens on its own socket (SO_REUSEPORT): the kernel spreads new
# connections over the workers instead of letting one worker accept them all.
reuse_port = True
preload_app = True
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = os.environ.get("MODERATION_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("MODERATION_LOG_LEVEL", "info")


def child_exit(server, worker):
    """Let the metrics of a finished worker stop counting as live."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_fork(server, worker):
    """Hand the interpreter lock over every 0.5 ms instead of Python's 5 ms: a thread back from a
    Redis round trip should not wait a whole interval while the other thread scores a comment.
    Measured back to back with benchmarks/http.py: 932 -> 1,065 requests/s, p99 29.7 -> 22.9 ms."""
    import sys

    try:
        interval_ms = float(os.environ.get("MODERATION_SWITCH_INTERVAL_MS") or 0.5)
    except ValueError:
        interval_ms = 0.5
        server.log.warning("MODERATION_SWITCH_INTERVAL_MS is not a number; using 0.5")
    sys.setswitchinterval(min(max(interval_ms, 0.05), 100.0) / 1000)
