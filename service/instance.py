"""One service instance per address and per data directory.

gunicorn runs each worker on its own listening socket (``reuse_port``), and
the kernel lets any number of sockets of one user share a port that way: a
second instance on a busy address would start without a word and the kernel
would split the requests between two services. ``claim`` is called before
anything is started (``moderation serve``, and gunicorn's ``on_starting`` for
a bare ``gunicorn -c python:service.gunicorn_conf``):

- the address: an exclusive lock named after it (in the temporary folder, so
  every instance on the machine sees it) closes the race between two
  instances starting at once, and a test bind without ``SO_REUSEPORT`` finds
  any other program listening there;
- the data directory (the embedded Redis, the metrics files, gunicorn's
  control socket): an exclusive lock on ``<data dir>/instance.lock``, which
  also records the holder's process id.

The locks are held until the process and its workers exit; the kernel drops
them then, so a crash leaves nothing to clean up.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import socket
import tempfile

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


def claim_data_dir(data_dir: str) -> None:
    """Make sure no other instance uses ``data_dir``; create it if needed."""
    folder = os.path.abspath(data_dir)
    if "data:" + folder in _HELD:
        return
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "instance.lock")
    fd = _lock(path)
    if fd is None:
        try:
            with open(path, encoding="utf-8") as file:
                holder = file.read().strip()
        except OSError:
            holder = ""
        raise InUse(f"data directory {folder} is in use by another instance{f' (pid {holder})' if holder else ''}")
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    _HELD["data:" + folder] = fd


def claim(bind: str, data_dir: str) -> None:
    """Claim the data directory, then the address; ``InUse`` when either is taken."""
    claim_data_dir(data_dir)
    claim_address(bind)
