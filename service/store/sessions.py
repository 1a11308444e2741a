"""Console sign-in sessions: the browser holds a random id, Redis holds its SHA-256 and the session."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import redis

from .. import codec
from .errors import guarded, ignore
from .keys import api_key, console_session

#: A console session lasts this long without use.
SESSION_S = 8 * 3600


@dataclass(frozen=True)
class ConsoleSession:
    """A signed-in moderator."""

    site: str
    role: str
    key_id: str
    moderator: str
    csrf: str
    #: The SHA-256 of the API key signed in with: the session ends when that key is revoked.
    key_digest: str = ""


def _key(session_id: str) -> str:
    return console_session(hashlib.sha256(session_id.encode()).hexdigest())


@guarded("sessions")
class SessionStore:
    """Create, read and end console sessions."""

    def __init__(self, client: redis.Redis, on_error: Callable[[str], None] = ignore):
        self.client = client
        self.on_error = on_error

    def create(self, site: str, role: str, key_id: str, moderator: str, key_digest: str = "") -> str:
        """Return the id of a new session (only its hash is stored), signed in with the key of SHA-256 ``key_digest``."""
        session_id = secrets.token_urlsafe(32)
        data = {
            "site": site,
            "role": role,
            "key_id": key_id,
            "moderator": moderator,
            "csrf": secrets.token_urlsafe(32),
            "key_digest": key_digest,
        }
        self.client.set(_key(session_id), codec.dumps(data), ex=SESSION_S)
        return session_id

    def get(self, session_id: str | None) -> ConsoleSession | None:
        """Return the session, extending its life, or None (none, expired, or its key revoked since: then it ends)."""
        if not session_id or len(session_id) > 100:
            return None
        key = _key(session_id)
        raw = self.client.get(key)
        if raw is None:
            return None
        session = ConsoleSession(**codec.loads(raw))
        if session.key_digest and not self.client.exists(api_key(session.key_digest)):
            self.client.delete(key)
            return None
        self.client.expire(key, SESSION_S)
        return session

    def end(self, session_id: str | None) -> None:
        """End a session."""
        if session_id:
            self.client.delete(_key(session_id))
