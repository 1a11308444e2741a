"""gunicorn settings for the moderation service (used by ``moderation serve`` and the container).

The service is CPU-bound per request (scoring) with short waits on Redis:
one worker process per CPU, each with a few threads. The app is loaded once in
the master and forked, so the model's arrays are shared between workers.

The values come from the service's settings (``service.config``: ``MODERATION_BIND``,
``MODERATION_WORKERS``, ``MODERATION_THREADS``, ``MODERATION_ACCESS_LOG``,
``MODERATION_LOG_LEVEL``, ``MODERATION_SWITCH_INTERVAL_MS``, ``MODERATION_DATA_DIR``).
"""

import logging
import os
import shutil
import sys

from moderation.service.config import load_settings
from moderation.service.instance import InUse, claim_address, claim_data_dir, die_with_parent

_settings = load_settings()[0]
_data_dir = os.path.abspath(_settings.data_dir)
# One instance per data directory (service.instance), before its metrics folder is emptied below.
try:
    claim_data_dir(_data_dir)
except InUse as _error:
    print(f"moderation: {_error}", file=sys.stderr)
    sys.exit(1)

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
# gunicorn's control socket (``gunicornc``), one per data directory: the default, one per home directory, is shared
# by every instance of the user, and stopping one removes another's. A unix socket path has at most 107 bytes.
control_socket = os.path.join(_data_dir, "gunicorn.ctl")
control_socket_disable = len(control_socket.encode()) > 100
workers = _settings.worker_processes
# gunicorn's gthread worker, refusing requests it cannot start soon (load shedding, MODERATION_MAX_QUEUED).
worker_class = "moderation.service.worker.ShedWorker"
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


def on_starting(server):
    """Before anything is bound or forked: this address must be free (the data directory is claimed above)."""
    try:
        for address in server.cfg.bind:
            claim_address(address)
    except InUse as error:
        server.log.error("%s", error)
        sys.exit(1)
    server.log.error_log.addFilter(_ListeningAt(", ".join(f"http://{b}" for b in server.cfg.bind)))


class _ListeningAt(logging.Filter):
    """gunicorn logs "Listening at: (pid)" with no address when each worker binds its own socket (reuse_port)."""

    def __init__(self, addresses: str):
        super().__init__()
        self.addresses = addresses

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == "Listening at: %s (%s)" and isinstance(record.args, tuple) and not record.args[0]:
            record.args = (self.addresses, *record.args[1:])
        return True


def child_exit(server, worker):
    """Let the metrics of a finished worker stop counting as live."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_fork(server, worker):
    """Stop with the master however it ends: SIGTERM (a graceful exit) when it dies, so a killed master leaves no
    worker holding the address and the data directory. Hand the interpreter lock over every 0.5 ms instead of
    Python's 5 ms: a thread back from a Redis round trip should not wait a whole interval while the other thread
    scores a comment. Measured back to back with benchmarks/http_load.py (then benchmarks/http.py): 932 -> 1,065
    requests/s, p99 29.7 -> 22.9 ms."""
    import sys

    die_with_parent(server.pid)
    sys.setswitchinterval(min(max(_settings.switch_interval_ms, 0.05), 100.0) / 1000)


def pre_fork(server, worker):
    """Move what the master loaded (the app, the model) out of the collector's sight before each fork: a worker's
    full collections then scan only its own objects, not the preloaded ones again, and leave their pages shared."""
    import gc

    gc.freeze()
