"""The shared model registry's Redis side: artifact bytes with their SHA-256, the pointers, the history.

Every key shares one hash tag (``keys.ModelKeys``), so each change is one
MULTI transaction, on a cluster too. Artifacts are stored as raw bytes (read
without the client's text decoding); a version is written once and never
changed. ``service.registry.SharedRegistry`` builds the registry on this.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import redis
from redis.client import NEVER_DECODE

from .. import codec
from .changes import bump
from .errors import guarded, ignore
from .keys import ModelKeys


def _event(event: dict) -> str:
    # a training report may hold values JSON has no type for (numpy numbers): written as text, as the local history does
    return json.dumps({"at": time.time(), **event}, ensure_ascii=False, default=str)


@guarded("models")
class ModelStore:
    """Model versions, pointers and history in Redis."""

    def __init__(self, client: redis.Redis, on_error: Callable[[str], None] = ignore):
        self.client = client
        self.on_error = on_error

    def put(self, version: str, data: bytes, meta: dict) -> bool:
        """Store a version's bytes and description once; False when it was already there (nothing is changed)."""
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hsetnx(ModelKeys.versions, version, codec.dumps(meta))
            pipe.set(ModelKeys.blob(version), data, nx=True)
            added, _ = pipe.execute()
        return bool(added)

    def blob(self, version: str) -> bytes | None:
        """Return a version's bytes, or None."""
        return self.client.execute_command("GET", ModelKeys.blob(version), **{NEVER_DECODE: True})

    def meta(self, version: str) -> dict | None:
        """Return a version's description ({sha256, size, ...}), or None when it was never published."""
        raw = self.client.hget(ModelKeys.versions, version)
        return codec.loads(raw) if raw else None

    def versions(self) -> dict[str, dict]:
        """Return every published version's description."""
        return {v: codec.loads(raw) for v, raw in self.client.hgetall(ModelKeys.versions).items()}

    def pointers(self) -> dict[str, str]:
        """Return {"active": version, "shadow": version}, each only when set (one Redis call)."""
        return self.client.hgetall(ModelKeys.pointers)

    def point(self, name: str, version: str | None, event: dict | None = None) -> None:
        """Set (or with None, clear) the ``active`` or ``shadow`` pointer and log ``event``, together; then tell every
        process (the ``models`` change counter)."""
        with self.client.pipeline(transaction=True) as pipe:
            if version is None:
                pipe.hdel(ModelKeys.pointers, name)
            else:
                pipe.hset(ModelKeys.pointers, name, version)
            if event is not None:
                pipe.rpush(ModelKeys.history, _event(event))
            pipe.execute()
        bump(self.client, "models")

    def log(self, event: dict) -> None:
        """Add an event to the history."""
        self.client.rpush(ModelKeys.history, _event(event))

    def history(self) -> list[dict]:
        """Return the events, oldest first."""
        return [codec.loads(raw) for raw in self.client.lrange(ModelKeys.history, 0, -1)]
