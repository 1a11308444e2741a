"""A thread per process that does one round of work every few seconds, or at once when woken: the change watcher
(``service.watch``), the event relay (``service.events``) and the webhook deliveries (``service.webhooks``).

The thread starts with the first request a process serves (gunicorn forks its workers from a master that must not
run threads), and stops when ``stop`` is called or its owner is garbage-collected: it holds the owner weakly, so an
app that is gone takes its thread with it. One round failing never ends the thread.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import weakref

log = logging.getLogger(__name__)


def holder_name() -> str:
    """Return a name for this process as a lease holder (host, process id and a random part: a forked worker is
    another holder than its master)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class Loop:
    """Call ``round()`` every ``interval_s`` seconds (or at once after ``wake``) on a thread of this process."""

    #: The thread's name.
    name = "background"

    def __init__(self, interval_s: float):
        self.interval_s = interval_s
        #: This process's name as a lease holder (the relay and the deliveries hold leases in Redis).
        self.holder = holder_name()
        self._pid: int | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()

    def round(self) -> object:
        """One round of work (subclasses)."""
        raise NotImplementedError

    def starting(self) -> None:
        """Called in the process that starts the thread, before it starts (subclasses: a baseline, a holder name)."""

    def ensure_running(self) -> None:
        """Start the thread in this process if it is not running (cheap when it is); never with an interval of 0."""
        if self._pid == os.getpid() or self.interval_s <= 0:
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._stop.clear()
        self.holder = holder_name()  # a forked worker is another holder than its master
        self.starting()
        threading.Thread(
            target=_run, args=(weakref.ref(self), self._stop, self._wake, self.interval_s), name=self.name, daemon=True
        ).start()

    def wake(self) -> None:
        """Do a round now rather than at the next interval."""
        self._wake.set()

    def stop(self) -> None:
        """Stop the thread."""
        self._stop.set()
        self._wake.set()
        self._pid = None


def _run(ref: weakref.ref, stop: threading.Event, wake: threading.Event, interval_s: float) -> None:
    while not stop.is_set():
        wake.wait(interval_s)
        wake.clear()
        if stop.is_set():
            return
        loop = ref()
        if loop is None:
            return
        try:
            loop.round()
        except Exception:  # one bad round must not end the thread
            log.exception("%s: a round failed", loop.name)
        del loop
