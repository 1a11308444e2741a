"""Webhook deliveries: each endpoint reads the site's event log and gets every event, signed, at least once.

Delivery follows the Standard Webhooks specification (https://www.standardwebhooks.com): a POST of
``{"type", "timestamp", "data"}`` with the headers ``webhook-id`` (the event's id, the same on every retry),
``webhook-timestamp`` (seconds) and ``webhook-signature`` (``v1,<base64 HMAC-SHA256>`` of ``id.timestamp.body``
under the endpoint's secret; signed by the ``standardwebhooks`` package, which receivers can verify with).

* A 2xx answer ends the event's delivery and the endpoint goes on with the next event (in the log's order: one
  user's and one comment's events keep their order). Any other answer, a timeout, a refused connection or a
  redirect (never followed) is a failure: the event is tried again after ``webhook_retry_s`` (5 s, 5 min, 30 min,
  2 h, 5 h, 10 h, 10 h, each with up to 20% jitter; about 27 hours), the later events waiting behind it. After
  the last retry the event is logged as given up and the endpoint goes on. 410 disables the endpoint.
* Each endpoint has a lease (``WebhookStore.take_lease``): one process at a time delivers to it, and it moves the
  endpoint's cursor only from where it read it, so no event is delivered twice in normal operation (a process
  that dies after the receiver took an event and before the cursor moved sends it again: at least once).
* Deliveries run on a thread of every process, apart from the requests: a slow or dead receiver holds that thread
  and no request. A process that publishes an event wakes its own thread; the others look every
  ``webhook_poll_s``.
* Addresses: the host is resolved once per attempt, every address must be public (no loopback, private,
  link-local, multicast or reserved one) unless ``webhook_allow_private``, and the connection goes to the address
  that was checked (a name that resolves elsewhere the second time cannot redirect it).
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import json
import random
import secrets
import socket
import ssl
import time
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from standardwebhooks.webhooks import Webhook

from .background import Loop
from .store import StoreUnavailable
from .store.events import id_before

#: How long an endpoint's lease lasts (it is renewed before each delivery).
LEASE_S = 60.0
#: Events read from the log at a time per endpoint.
BATCH = 50
#: Longest error text kept in the delivery log.
ERROR_MAX = 300
#: Bytes of the receiver's answer read (and dropped) at most.
ANSWER_MAX = 64 * 1024


def new_secret() -> str:
    """Return a new signing secret in the Standard Webhooks form (``whsec_`` and 32 random bytes in base64)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def signature_headers(secret: str, message_id: str, body: bytes, at: float) -> dict[str, str]:
    """Return the Standard Webhooks headers of one delivery."""
    stamp = datetime.fromtimestamp(int(at), UTC)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at)),
        "webhook-signature": Webhook(secret).sign(message_id, stamp, body),
    }


class AddressRefused(ValueError):
    """The endpoint's host is, or resolves to, an address deliveries may not go to."""


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local or ip.is_private)


def url_problem(url: str, allow_private: bool) -> str | None:
    """Tell what is wrong with an endpoint URL (None when nothing is): http(s), a host, no credentials, and no
    literal address that is not public (names are checked at each delivery, when they are resolved)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        return f"is not a URL ({error})"
    if parts.scheme not in ("http", "https"):
        return "must be an http or https URL"
    if not parts.hostname:
        return "must name a host"
    if parts.username or parts.password:
        return "must not carry credentials"
    if port == 0:
        return "must not use port 0"
    if not allow_private:
        try:
            literal = ipaddress.ip_address(parts.hostname)
        except ValueError:
            literal = None
        if literal is not None and not _public(str(literal)):
            return "must not be a loopback, private, link-local or reserved address"
        if parts.hostname.lower() in ("localhost", "localhost.localdomain") or parts.hostname.lower().endswith(".localhost"):
            return "must not be a loopback, private, link-local or reserved address"
    return None


def resolve(host: str, port: int, allow_private: bool) -> str:
    """Resolve ``host`` once; return the address to connect to. ``AddressRefused`` when any address it has is not
    public (unless ``allow_private``)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise ConnectionError(f"cannot resolve {host}: {error.strerror or error}") from None
    addresses = [info[4][0] for info in found]
    if not addresses:
        raise ConnectionError(f"cannot resolve {host}")
    if not allow_private:
        refused = [a for a in addresses if not _public(a)]
        if refused:
            raise AddressRefused(f"{host} resolves to {refused[0]}, which is not a public address")
    return addresses[0]


class _Pinned(http.client.HTTPConnection):
    """An HTTP connection to an address resolved beforehand (the Host header keeps the name)."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedTLS(http.client.HTTPSConnection):
    """An HTTPS connection to an address resolved beforehand, the certificate checked against the name."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


@dataclass
class Attempt:
    """What one delivery attempt got."""

    status: int | None  # the HTTP status, None when there was no answer
    error: str | None
    took_ms: float

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(url: str, body: bytes, headers: dict[str, str], timeout_s: float, allow_private: bool) -> Attempt:
    """POST ``body`` to ``url`` once, never following a redirect."""
    started = time.perf_counter()
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        address = resolve(parts.hostname or "", port, allow_private)
        kind = _PinnedTLS if parts.scheme == "https" else _Pinned
        connection = kind(parts.hostname or "", port, address, timeout_s)
        try:
            connection.request(
                "POST",
                path,
                body=body,
                headers={"Content-Type": "application/json", "User-Agent": "moderation-webhooks/1", **headers},
            )
            answer = connection.getresponse()
            answer.read(ANSWER_MAX)
            status = answer.status
        finally:
            connection.close()
    except (OSError, http.client.HTTPException, ValueError) as error:
        return Attempt(None, f"{type(error).__name__}: {error}"[:ERROR_MAX], (time.perf_counter() - started) * 1000)
    error = None
    if 300 <= status < 400:
        error = "a redirect (not followed)"
    elif not 200 <= status < 300:
        error = f"HTTP {status}"
    return Attempt(status, error, (time.perf_counter() - started) * 1000)


def payload(event: dict) -> bytes:
    """Return the body of an event's delivery."""
    return json.dumps(
        {"type": event["type"], "timestamp": event["at"], "data": event}, separators=(",", ":"), ensure_ascii=False
    ).encode()


class Deliverer(Loop):
    """Deliver every site's events to its endpoints, from a thread of this process (``wake``: this process published
    an event, look now)."""

    name = "webhooks"

    def __init__(self, services, poll_s: float):
        super().__init__(poll_s)
        self._services = weakref.ref(services)

    def round(self) -> int:
        return self.run_once()

    def run_once(self) -> int:
        """Make the deliveries that are due; return how many attempts were made."""
        services = self._services()
        if services is None:
            return 0
        made = 0
        try:
            for site in services.store.webhooks.sites():
                for endpoint_id, record in services.store.webhooks.all(site).items():
                    if record.get("enabled", True):
                        made += self._endpoint(services, site, endpoint_id, record)
        except StoreUnavailable:
            pass  # counted by the store; the next round tries again
        return made

    def _endpoint(self, services, site: str, endpoint_id: str, record: dict) -> int:
        store = services.store.webhooks
        settings = services.settings
        if store.state(site, endpoint_id)["next_at"] > time.time():
            return 0
        if not store.take_lease(site, endpoint_id, self.holder, LEASE_S):
            return 0
        made = 0
        try:
            state = store.state(site, endpoint_id)  # read under the lease: another process may have just moved it
            if state["next_at"] > time.time():
                return 0
            while (event_id := store.next_redelivery(site, endpoint_id)) is not None:
                event = services.store.events.get(site, event_id)
                if event is not None:
                    attempt = self._send(services, site, endpoint_id, record, (event_id, event), redelivery=True)
                    made += 1
                    if attempt.status == 410:
                        return made
            cursor = state["cursor"]
            attempts = state["attempts"]
            floor = services.store.events.floor(site)
            if floor is not None and id_before(cursor, floor):
                # The endpoint fell behind the site's retention (off, or failing, for longer): say so, and go on.
                store.log(
                    site,
                    endpoint_id,
                    {
                        "event_id": floor,
                        "at": time.time(),
                        "attempt": 0,
                        "gave_up": True,
                        "status": None,
                        "error": "events past the retention were trimmed before delivery",
                    },
                )
                if not store.advance(site, endpoint_id, self.holder, cursor, floor):
                    return made
                cursor, attempts = floor, 0
            types = set(record.get("types") or ())
            for event_id, event in services.store.events.read(site, cursor, BATCH):
                if types and event.get("type") not in types:
                    if not store.advance(site, endpoint_id, self.holder, cursor, event_id):
                        return made
                    cursor = event_id
                    continue
                if not store.take_lease(site, endpoint_id, self.holder, LEASE_S):
                    return made
                attempt = self._send(services, site, endpoint_id, record, (event_id, event), attempt_number=attempts + 1)
                made += 1
                if attempt.status == 410:
                    return made
                if attempt.ok or attempts + 1 > len(settings.webhook_retry_s):
                    if not attempt.ok:
                        store.log(
                            site,
                            endpoint_id,
                            {
                                "event_id": event_id,
                                "at": time.time(),
                                "gave_up": True,
                                "attempt": attempts + 1,
                                "status": attempt.status,
                                "error": "retries used up",
                            },
                        )
                    if not store.advance(site, endpoint_id, self.holder, cursor, event_id):
                        return made
                    cursor, attempts = event_id, 0
                    continue
                delay = settings.webhook_retry_s[attempts] * random.uniform(0.8, 1.2)
                store.failed(site, endpoint_id, attempts + 1, time.time() + delay, state["failing_since"] or time.time())
                return made
        finally:
            store.release(site, endpoint_id, self.holder)
        return made

    def _send(self, services, site, endpoint_id, record, entry, attempt_number: int = 1, redelivery: bool = False) -> Attempt:
        settings = services.settings
        event_id, stored = entry
        event = {"id": event_id, **stored}
        body = payload(event)
        now = time.time()
        headers = signature_headers(record["secret"], event_id, body, now)
        attempt = post(record["url"], body, headers, settings.webhook_timeout_s, settings.webhook_allow_private)
        services.store.webhooks.log(
            site,
            endpoint_id,
            {
                "event_id": event_id,
                "type": event.get("type"),
                "at": now,
                "attempt": attempt_number,
                "redelivery": redelivery,
                "status": attempt.status,
                "error": attempt.error,
                "took_ms": round(attempt.took_ms, 1),
            },
        )
        if attempt.status == 410:
            record = {
                **record,
                "enabled": False,
                "disabled": f"the receiver answered 410 Gone at {datetime.fromtimestamp(now, UTC).isoformat(timespec='seconds')}",
            }
            services.store.webhooks.put(site, endpoint_id, record)
        return attempt
