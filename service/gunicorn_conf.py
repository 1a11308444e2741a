"""gunicorn settings for the moderation service (used by ``moderation serve`` and the container).

The service is CPU-bound per request (scoring) with short waits on Redis:
one worker process per CPU, each with a few threads. The app is loaded once in
the master and forked, so the model's arrays are shared between workers.

The values come from the service's settings (``service.config``: ``MODERATION_BIND``,
``MODERATION_WORKERS``, ``MODERATION_THREADS``, ``MODERATION_ACCESS_LOG``,
``MODERATION_LOG_LEVEL``, ``MODERATION_SWITCH_INTERVAL_MS``, ``MODERATION_DATA_DIR``).
"""

import os
import shutil

from service.config import load_settings

_settings = load_settings()[0]

# Every worker counts its metrics in files of one folder and /metrics adds them
# up. prometheus_client picks that mode when it is imported, so the folder is
# set, and emptied of a previous run's files, here, before the app is loaded:
# PROMETHEUS_MULTIPROC_DIR (prometheus_client's own variable) when it is set,
# else <data dir>/metrics. This is the one place that sets it.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = os.path.abspath(_settings.metrics_dir)
shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

bind = _settings.bind
workers = _settings.worker_processes
worker_class = "gthread"
threads = _settings.threads
# Each worker listens on its own socket (SO_REUSEPORT): the kernel spreads new
# connections over the workers instead of letting one worker accept them all.
reuse_port = True
preload_app = True
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = _settings.access_log
errorlog = "-"
loglevel = _settings.log_level


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

    sys.setswitchinterval(min(max(_settings.switch_interval_ms, 0.05), 100.0) / 1000)
