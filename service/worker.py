"""The gunicorn worker: gunicorn's threaded worker, which refuses work it cannot start soon (load shedding).

gunicorn's ``gthread`` worker hands every request that arrives to its thread
pool, whose queue has no bound: offered more than it can serve, a worker lets
every request wait longer and longer, and all of them end late. This worker
bounds the wait, two ways:

- on arrival (the worker's main thread): when ``max_queued`` requests
  (``MODERATION_MAX_QUEUED``) already wait for a thread, or when those waiting
  would keep the threads busy for longer than half of ``max_wait_ms``
  (``MODERATION_MAX_WAIT_MS``; estimated from the average time a request holds
  a thread), the request is answered at once, without running the app, with
  ``503`` and ``Retry-After: 1``;
- on pick-up (a pool thread): a request that waited more than
  ``PICK_UP_FACTOR`` times ``max_wait_ms`` all the same is answered the same
  way instead of being served late.

The connection stays open when the whole request was read (else it is closed). What
was accepted is served as usual, so nothing is half-written: a refused
request never reached the app.

The answer has each API's own error shape (the service's JSON error, Google's
``UNAVAILABLE`` on the Perspective path, plain text on the Akismet path).
Health and metrics requests (``/healthz``, ``/readyz``, ``/metrics``) are never
refused. The request is only looked at (``MSG_PEEK``) before the choice.

A new connection goes to a thread only once its request has begun to arrive;
until then it waits on the poller, holding no thread (gunicorn's own worker
lets a thread wait up to 5 s for it, so a few connections that send nothing
would stop a worker, and queued before the choice, a flood of new connections
would pass the bound). One that sends nothing for ``keepalive`` seconds is closed.
"""

from __future__ import annotations

import json
import selectors
import socket
import threading
import time
from functools import partial

from gunicorn.http.unreader import SocketUnreader
from gunicorn.workers.gthread import ThreadWorker

#: Paths that are never refused.
NEVER_SHED = (b"/healthz", b"/readyz", b"/metrics")
#: A request that waited this many times ``max_wait_ms`` all the same (a burst the estimate on arrival missed) is
#: refused on pick-up. Not 1: one refused on pick-up has waited the whole time, and a refusal should be fast
#: (docs/BENCHMARKS.md, "Overload": with 1, 1.3% of refusals took over 20 ms; with 3, 0.2%).
PICK_UP_FACTOR = 3
#: Seconds a refused client is told to wait.
RETRY_AFTER_S = 1


def _answer(status_line: str, content_type: str, body: bytes) -> dict[bool, bytes]:
    """Return the refusal's bytes, keyed by whether the connection is kept open after it."""
    head = f"HTTP/1.1 {status_line}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\nRetry-After: {RETRY_AFTER_S}\r\n"
    return {
        keep: (head + ("Connection: keep-alive" if keep else "Connection: close") + "\r\n\r\n").encode("ascii") + body
        for keep in (True, False)
    }


_MESSAGE = "the service is overloaded; retry shortly"
ANSWERS = {
    "native": _answer(
        "503 Service Unavailable",
        "application/json",
        json.dumps({"error": {"status": 503, "code": "overloaded", "message": _MESSAGE}}).encode(),
    ),
    "perspective": _answer(
        "503 Service Unavailable",
        "application/json",
        json.dumps(
            {"error": {"code": 503, "message": "The service is currently unavailable.", "status": "UNAVAILABLE"}}
        ).encode(),
    ),
    "akismet": _answer("503 Service Unavailable", "text/plain; charset=utf-8", b"The service is overloaded; retry shortly."),
}


def answer_for(head: bytes) -> dict[bool, bytes] | None:
    """Return the refusal for a request starting with ``head`` (its request line), or None when it is never refused."""
    line = head.split(b"\r\n", 1)[0]
    parts = line.split(b" ")
    path = parts[1] if len(parts) > 1 else b""
    if path.split(b"?", 1)[0] in NEVER_SHED:
        return None
    if path.startswith(b"/v1alpha1/"):
        return ANSWERS["perspective"]
    if path.startswith(b"/akismet/"):
        return ANSWERS["akismet"]
    return ANSWERS["native"]


def whole_request(data: bytes) -> bool:
    """Tell whether ``data`` is exactly one whole HTTP/1.1 request that lets the connection stay open."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return False
    lines = data[:end].split(b"\r\n")
    if not lines[0].endswith(b" HTTP/1.1"):
        return False
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"content-length":
            if not value.isdigit():
                return False
            length = int(value)
        elif name == b"transfer-encoding" or (name == b"connection" and value == b"close"):
            return False
    return len(data) == end + 4 + length


def _arrived(sock: socket.socket) -> bool:
    """Tell whether a socket has something to read (bytes, or the client's end): False only while nothing came."""
    blocking = sock.getblocking()
    sock.setblocking(False)
    try:
        sock.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return False
    except OSError:  # the client is gone: the usual path deals with it
        pass
    finally:
        sock.setblocking(blocking)
    return True


class _Deadline:
    """The socket a request is read from, with a time by which the whole request must have come: past it, reading
    ends as if the client had closed its side (gunicorn then drops the connection, or the app answers that the
    body was cut short), so a client trickling bytes holds a thread until then at most."""

    __slots__ = ("deadline", "sock")

    def __init__(self, sock: socket.socket, deadline: float):
        self.sock, self.deadline = sock, deadline

    def recv(self, size: int) -> bytes:
        left = self.deadline - time.monotonic()
        if left <= 0:
            return b""
        self.sock.settimeout(left)
        try:
            return self.sock.recv(size)
        except TimeoutError:
            return b""
        finally:
            self.sock.settimeout(None)

    def __getattr__(self, name: str):
        return getattr(self.sock, name)


class ShedWorker(ThreadWorker):
    """gunicorn's gthread worker with a bound on requests waiting for a thread, in number and in time."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .config import load_settings

        settings = load_settings()[0]
        self.request_timeout_s = settings.request_timeout_s
        self.max_queued = settings.max_queued
        self.max_wait_s = settings.max_wait_ms / 1000
        self._waiting = 0
        self._waiting_lock = threading.Lock()
        #: Seconds a request keeps a thread, on average (moving): with the number waiting, the wait a new one faces.
        self._service_s = 0.0

    def _full(self) -> bool:
        """Whether a request arriving now would wait too long: ``max_queued`` wait already, or by the time the
        threads get through those waiting, ``max_wait_ms`` would be over."""
        waiting = self._waiting
        if not waiting:
            return False
        if self.max_queued and waiting >= self.max_queued:
            return True
        # Half the bound here: a request refused on arrival is answered in a millisecond or two, one refused on
        # pick-up only after waiting the whole bound.
        return bool(self.max_wait_s) and waiting * self._service_s / self.cfg.threads > self.max_wait_s / 2

    def enqueue_req(self, conn):
        """The main thread: wait on the poller for a new connection's request, refuse at once a request that would
        wait too long, else queue it."""
        if hasattr(self, "pending_conns") and not conn.initialized and not conn.data_ready:
            if not _arrived(conn.sock):
                conn.sock.setblocking(False)
                conn.timeout = time.monotonic() + self.cfg.keepalive
                self.pending_conns.append(conn)  # gunicorn's own list: closed when its time is up (murder_pending)
                self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn))
                return
            conn.data_ready = True
        if self._full():
            keep = self._refuse(conn)
            if keep is not None:
                if keep:  # the client may send its next request on it, as after any answer (gunicorn's keep-alive)
                    conn.sock.setblocking(False)
                    conn.set_timeout()
                    self.keepalived_conns.append(conn)
                    self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_client_socket_readable, conn))
                else:
                    self.nr_conns -= 1
                    conn.close()
                return
        conn.queued_at = time.monotonic()
        with self._waiting_lock:
            self._waiting += 1
        super().enqueue_req(conn)

    def handle(self, conn):
        """A pool thread: refuse a request that waited far longer than ``max_wait_ms`` for it, else serve it."""
        with self._waiting_lock:
            self._waiting -= 1
        if self.max_wait_s and time.monotonic() - conn.queued_at > PICK_UP_FACTOR * self.max_wait_s:
            keep = self._refuse(conn)
            if keep is not None:
                if keep:
                    conn.init()  # its parser reads the next request, as gunicorn does after an answer
                return keep  # the main thread keeps the connection or closes it (finish_request)
        self._read_by(conn, conn.queued_at + self.request_timeout_s)
        started = time.monotonic()
        try:
            return super().handle(conn)
        finally:
            self._service_s += (time.monotonic() - started - self._service_s) * 0.05

    def _read_by(self, conn, deadline: float) -> None:
        """Give the request on ``conn`` until ``deadline`` to come whole (plain HTTP/1: the parser's socket reads
        through ``_Deadline``; gunicorn's own reads wait as long as the client likes)."""
        if self.cfg.is_ssl:
            return
        if not conn.initialized:
            conn.init()  # without TLS this only makes the parser; gunicorn's handle() then finds it made
        unreader = getattr(conn.parser, "unreader", None)
        if isinstance(unreader, SocketUnreader):
            if isinstance(unreader.sock, _Deadline):
                unreader.sock.deadline = deadline
            else:
                unreader.sock = _Deadline(unreader.sock, deadline)

    def _refuse(self, conn) -> bool | None:
        """Answer ``conn``'s request with a refusal: return whether the connection can stay open; None (nothing done)
        when the request must be served (health, metrics; bytes not there yet or already read into the parser)."""
        if conn.initialized and conn.parser is not None and conn.parser.unreader.buf.getvalue():
            return None
        sock = conn.sock
        blocking = sock.getblocking()
        sock.setblocking(False)
        try:
            head = sock.recv(256, socket.MSG_PEEK)
        except OSError:  # nothing arrived yet (EAGAIN), or the client is gone: the usual path deals with it
            sock.setblocking(blocking)
            return None
        refusal = answer_for(head) if head else None
        if refusal is None:
            sock.setblocking(blocking)
            return None
        read = b""
        try:
            while chunk := sock.recv(65536):  # what has arrived, so closing does not reset the connection first
                read += chunk
        except OSError:
            pass
        keep = whole_request(read)
        try:
            sock.send(refusal[keep])
            if not keep:
                sock.shutdown(socket.SHUT_WR)
        except OSError:
            keep = False
        sock.setblocking(blocking)
        self._count_shed()
        return keep

    def _count_shed(self) -> None:
        services = getattr(self.wsgi, "extensions", {}).get("moderation") if self.wsgi else None
        if services is not None and services.metrics is not None:
            services.metrics.shed.inc()
