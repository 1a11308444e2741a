"""One service instance per address and per data directory.

gunicorn runs each worker on its own listening socket (``reuse_port``), and
the kernel lets any number of sockets of one user share a port that way: a
second instance on a busy address would start without a word and the kernel
would split the requests between two services. ``claim`` is called before
anything is started (``moderation serve``, and gunicorn's ``on_starting`` for
a bare ``gunicorn -c python:moderation.service.gunicorn_conf``):

- the address: an exclusive lock named after it (in the temporary folder, so
  every instance on the machine sees it) closes the race between two
  instances starting at once, and a test bind without ``SO_REUSEPORT`` finds
  any other program listening there;
- the data directory (the embedded Redis, the metrics files, gunicorn's
  control socket): an exclusive lock on ``<data dir>/instance.lock``, which
  also records the holder's process id.

The locks are held until the process and its workers exit; the kernel drops
them then, so a crash leaves nothing to clean up. Workers (and the embedded
Redis) are sent SIGTERM when the process that started them dies, however it
dies (``die_with_parent``), and a new instance waits a few seconds for the
workers of a holder that is gone, so a restart right after ``kill -KILL``
starts instead of finding its directory taken.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import re
import signal
import socket
import sys
import tempfile
import time

#: Locks this process holds: name -> open file descriptor.
_HELD: dict[str, int] = {}


class InUse(Exception):
    """The address or the data directory is taken; the message says which, in one line."""


def _lock(path: str) -> int | None:
    """Return a descriptor holding an exclusive lock on ``path``, or None when another process holds it."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except PermissionError:  # another user's lock file: reading is enough to lock it
        fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def split_address(bind: str) -> tuple[str, int] | None:
    """Return (host, port) of a ``HOST:PORT`` bind (``[::1]:8080`` too); None for ``unix:`` and ``fd://`` binds."""
    if bind.startswith(("unix:", "fd://")):
        return None
    host, _, port = bind.rpartition(":")
    if not port.isdigit():
        raise ValueError(f"bind must be HOST:PORT, got {bind!r}")
    return host.strip("[]") or "0.0.0.0", int(port)


def claim_address(bind: str) -> None:
    """Make sure no other process listens on ``bind`` and none will start on it while this one runs."""
    if "address:" + bind in _HELD:
        return
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", bind)
    fd = _lock(os.path.join(tempfile.gettempdir(), f"moderation-{name}.lock"))
    if fd is None:
        raise InUse(f"{bind} is already in use (by another moderation service)")
    address = split_address(bind)
    if address is not None:
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as error:
                os.close(fd)
                if error.errno == errno.EADDRINUSE:
                    raise InUse(f"{bind} is already in use") from None
                raise InUse(f"{bind} cannot be used: {error.strerror}") from None
    _HELD["address:" + bind] = fd


#: Seconds a new instance waits for the lock of an instance whose main process is gone (its workers are stopping).
ORPHAN_WAIT_S = 10.0
#: ``prctl`` option: the signal a process gets when the thread that started it ends (linux/prctl.h).
_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int, sig: int = signal.SIGTERM) -> bool:
    """In a child process: have it sent ``sig`` when its parent ``parent`` dies, however it dies (Linux; return False
    elsewhere). Exits at once if the parent is already gone. Safe between fork and exec (no allocation)."""
    if _prctl is None:
        return False
    _prctl(ctypes.c_int(_PR_SET_PDEATHSIG), ctypes.c_ulong(sig), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
    if os.getppid() != parent:  # it died before the line above: no signal would come
        os._exit(1)
    return True


def _load_prctl():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_prctl = _load_prctl()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _holder(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as file:
            return file.read().strip()
    except OSError:
        return ""


def claim_data_dir(data_dir: str) -> None:
    """Make sure no other instance uses ``data_dir``; create it if needed."""
    folder = os.path.abspath(data_dir)
    if "data:" + folder in _HELD:
        return
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "instance.lock")
    fd = _lock(path)
    holder = _holder(path) if fd is None else ""
    if fd is None and holder.isdigit() and not _alive(int(holder)):
        # its main process is gone: the lock is its workers', which stop within a few seconds
        deadline = time.monotonic() + ORPHAN_WAIT_S
        while fd is None and time.monotonic() < deadline:
            time.sleep(0.05)
            fd = _lock(path)
    if fd is None:
        raise InUse(f"data directory {folder} is in use by another instance{f' (pid {holder})' if holder else ''}")
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    _HELD["data:" + folder] = fd


def claim(bind: str, data_dir: str) -> None:
    """Claim the data directory, then the address; ``InUse`` when either is taken."""
    claim_data_dir(data_dir)
    claim_address(bind)
