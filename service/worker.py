"""The gunicorn worker: gunicorn's threaded worker, which refuses a standing queue (load shedding).

gunicorn's ``gthread`` worker hands every request that arrives to its thread
pool, whose queue has no bound: offered more than it can serve, a worker lets
every request wait longer and longer, and all of them end late. This worker
asks ``service.shedding.Admission`` (CoDel's rule, RFC 8289: refuse only once
the shortest wait for a thread has stayed above ``MODERATION_MAX_WAIT_MS`` for
``MODERATION_SHED_INTERVAL_MS``, and then only what would wait longer than
that) on two occasions:

- on arrival (the worker's main thread): a refused request is answered at
  once, without running the app, with ``503`` and ``Retry-After: 1``;
- on pick-up (a pool thread): during overload, a request that waited far
  longer than the bound all the same is answered the same way instead of
  being served late.

A request that arrives while a thread is free is never refused, however busy
the machine is: it waits, if at all, for the CPU, not behind other requests.

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
import time
from functools import partial

from gunicorn.http.unreader import SocketUnreader
from gunicorn.workers.gthread import ThreadWorker

from .shedding import Admission

#: Paths that are never refused.
NEVER_SHED = (b"/healthz", b"/readyz", b"/metrics")
#: Seconds a refused client is told to wait.
RETRY_AFTER_S = 1
#: Every this many refusals on arrival, the connection is closed after the answer instead of kept. A connection stays
#: on the worker that accepted it, and clients reuse the connection that answered last (the pools of Node, urllib3
#: and the benchmark are last-in first-out): a worker that refuses fast attracts ever more of the load while another
#: idles (seen: one worker refusing 25,000 requests and the other 15). A closed connection is opened again, and the
#: kernel spreads new connections over the workers. Every one: a reconnect per refusal costs both sides; every
#: second: the workers refused within 1% of each other and the goodput held (docs/BENCHMARKS.md, issue 21).
CLOSE_EVERY = 2


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
    takes only what has already arrived and then ends as if the client had closed its side (gunicorn then drops
    the connection, or the app answers that the body was cut short), so a client trickling bytes holds a thread
    until then at most, while a request that came whole but waited that long for a thread is still served."""

    __slots__ = ("deadline", "sock")

    def __init__(self, sock: socket.socket, deadline: float):
        self.sock, self.deadline = sock, deadline

    def recv(self, size: int) -> bytes:
        left = self.deadline - time.monotonic()
        self.sock.settimeout(max(left, 0.0))  # 0: what has arrived, without waiting
        try:
            return self.sock.recv(size)
        except (TimeoutError, BlockingIOError):
            return b""
        finally:
            self.sock.settimeout(None)

    def __getattr__(self, name: str):
        return getattr(self.sock, name)


class ShedWorker(ThreadWorker):
    """gunicorn's gthread worker that refuses a standing queue (``service.shedding``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .config import load_settings

        settings = load_settings()[0]
        self.request_timeout_s = settings.request_timeout_s
        self.admission = Admission(
            self.cfg.threads, settings.max_wait_ms / 1000, settings.shed_interval_ms / 1000, settings.max_queued
        )
        self._refusals = 0

    def enqueue_req(self, conn):
        """The main thread: wait on the poller for a new connection's request, refuse at once a request that would
        join a standing queue, else queue it."""
        if hasattr(self, "pending_conns") and not conn.initialized and not conn.data_ready:
            if not _arrived(conn.sock):
                conn.sock.setblocking(False)
                conn.timeout = time.monotonic() + self.cfg.keepalive
                self.pending_conns.append(conn)  # gunicorn's own list: closed when its time is up (murder_pending)
                self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn))
                return
            conn.data_ready = True
        now = time.monotonic()
        ticket = self.admission.arrive(now)
        if ticket is None:
            self._refusals += 1
            keep = self._refuse(conn, may_keep=self._refusals % CLOSE_EVERY != 0)
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
            ticket = self.admission.arrive(now, force=True)  # health, metrics: always served
        conn.ticket = ticket
        super().enqueue_req(conn)

    def handle(self, conn):
        """A pool thread: refuse a request that waited far too long during overload, else serve it."""
        ticket = conn.ticket
        if not self.admission.pick_up(ticket, time.monotonic()):
            keep = self._refuse(conn)
            if keep is not None:
                if keep:
                    conn.init()  # its parser reads the next request, as gunicorn does after an answer
                return keep  # the main thread keeps the connection or closes it (finish_request)
        self._read_by(conn, ticket.at + self.request_timeout_s)
        self.admission.begin(ticket, time.monotonic())
        try:
            return super().handle(conn)
        finally:
            self.admission.finish(ticket, time.monotonic())

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

    def _refuse(self, conn, may_keep: bool = True) -> bool | None:
        """Answer ``conn``'s request with a refusal: return whether the connection stays open (when the whole request
        was read and ``may_keep``); None (nothing done) when the request must be served (health, metrics; bytes not
        there yet or already read into the parser)."""
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
        keep = may_keep and whole_request(read)
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
