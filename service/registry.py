"""Which model registry the service and the CLI use: a local directory, or one shared through Redis.

``MODERATION_MODEL_REGISTRY=local`` (the default) keeps published versions, the
``active`` and ``shadow`` pointers and the history in the model directory
(``classifier.registry.ModelRegistry``): right for one machine.
``MODERATION_MODEL_REGISTRY=redis`` keeps them in Redis (``SharedRegistry``):
the artifact's bytes with their SHA-256, the pointers and the history, so
``moderation retrain | model publish | rollback | shadow`` run on any machine
that reaches the Redis, and every instance follows. Each process keeps the
versions it serves in its model directory as a cache; a version whose bytes
do not match their SHA-256 is refused and logged, and the worker goes on
serving what it has.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from moderation.classifier import artifact as artifact_mod
from moderation.classifier.artifact import Artifact, ArtifactError
from moderation.classifier.registry import ModelRegistry, Pointers, RegistryError, _write_atomically, card_summary

from .store.model_registry import ModelStore

log = logging.getLogger(__name__)

KINDS = ("local", "redis")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class SharedRegistry(ModelRegistry):
    """The model registry in Redis (``service.store.model_registry``), with the versions this process uses cached in ``cache``."""

    def __init__(self, store: ModelStore, cache: Path | str, fallback: Path | str | None = None):
        super().__init__(cache, fallback)
        self.store = store

    # -- pointers and history: in Redis ---------------------------------------------------------------------------

    def _pointer(self, name: str) -> str | None:
        return self.store.pointers().get(name) or None

    def _file(self, version: str | None) -> Path | None:
        return self.versions_dir / f"{version}.model" if version else None

    def pointers(self) -> Pointers:
        """Return the files to serve (one Redis call; a file is fetched when it is loaded, see ``local_file``)."""
        found = self.store.pointers()
        return Pointers(self._file(found.get("active")), self._file(found.get("shadow")))

    def active_path(self) -> Path:
        """Return the file of the active model, fetched (the fallback when none is published)."""
        active = self.pointers().active
        return self.local_file(active) if active else self.fallback

    def _set(self, name: str, version: str) -> None:
        self.store.point(name, version)

    def _log(self, entry: dict) -> None:
        self.store.log(entry)

    def history(self) -> list[dict]:
        return self.store.history()

    # -- versions: bytes in Redis, a verified copy here ------------------------------------------------------------

    def path_of(self, version: str) -> Path:
        """Return the local copy of a published version (fetched and checked); RegistryError when there is none."""
        self._check_name(version)
        return self.fetch(version)

    def local_file(self, path: Path) -> Path:
        """Return a file ``pointers()`` named, fetched from Redis when this process does not have it yet (nothing
        outside the cache but the fallback model, whatever a pointer in Redis says)."""
        if path == self.fallback:
            return path
        if path.parent != self.versions_dir or path.suffix != ".model":
            raise RegistryError(f"{path} is not a version of the shared registry")
        return self.fetch(path.stem)

    def fetch(self, version: str) -> Path:
        """Return the local copy of ``version``, after checking its bytes against the SHA-256 it was published with."""
        self._check_name(version)
        meta = self.store.meta(version)
        if meta is None:
            raise RegistryError(f"no published version {version} in the shared registry")
        target = self.versions_dir / f"{version}.model"
        try:
            if sha256(target.read_bytes()) == meta["sha256"]:
                return target
        except FileNotFoundError:
            pass
        data = self.store.blob(version)
        if data is None:
            raise RegistryError(f"version {version} has no bytes in the shared registry")
        if sha256(data) != meta["sha256"]:
            log.error(
                "refusing model version %s: its bytes (SHA-256 %s) do not match the SHA-256 it was published with (%s)",
                version,
                sha256(data),
                meta["sha256"],
            )
            raise RegistryError(f"version {version}: its bytes do not match their SHA-256; refused")
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        _write_atomically(target, data)
        return target

    def publish(self, candidate: Artifact | Path, report: dict | None = None, activate: bool = True) -> str:
        """Upload a version (an artifact, or an artifact file) once and, by default, make it active."""
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        if isinstance(candidate, Artifact):
            staging = self.versions_dir / f".{candidate.version}.{os.getpid()}.staging"
            candidate.save(staging)
            source = staging
        else:
            staging, source = None, Path(candidate)
        try:
            card = artifact_mod.read_card(source)
            version = card["version"]
            artifact_mod.load(source)  # refuse to publish anything that does not load
            data = source.read_bytes()
        finally:
            if staging is not None:
                staging.unlink(missing_ok=True)
        meta = {
            "sha256": sha256(data),
            "size": len(data),
            **card_summary(card),
        }
        self.store.put(version, data, meta)
        self.fetch(version)  # what was stored reads back whole
        self._log({"event": "publish", "version": version, "activated": activate, "report": report})
        if activate:
            self._set("active", version)
        return version

    def set_shadow(self, version: str | None) -> None:
        if version is None:
            self.store.point("shadow", None, {"event": "shadow", "version": None})
            return
        super().set_shadow(version)

    def _published(self, version: str) -> bool:
        return self.store.meta(version) is not None

    def list(self) -> list[dict]:
        """Every published version (from Redis), newest first, then the fallback model."""
        pointers = self.store.pointers()
        active, shadow = pointers.get("active"), pointers.get("shadow")
        try:
            fallback_version = artifact_mod.read_card(self.fallback).get("version")
        except ArtifactError:
            fallback_version = None
        published = self.store.versions()
        rows = [
            {
                "version": version,
                **{name: meta.get(name) for name in ("created_at", "gate", "labels")},
                "path": f"redis:{version} ({meta.get('size')} bytes, sha256 {meta.get('sha256', '')[:12]})",
                "active": version == (active or fallback_version),
                "shadow": version == shadow,
                "fallback": version == fallback_version,
            }
            for version, meta in published.items()
        ]
        if fallback_version not in published and (row := self._fallback_row(active, shadow)):
            rows.append(row)
        return self._sorted(rows)


def open_registry(kind: str, store_client, models_root: str, fallback: str | None) -> ModelRegistry:
    """Return the registry ``kind`` names (``local``: the model directory; ``redis``: shared through ``store_client``)."""
    if kind == "redis":
        return SharedRegistry(ModelStore(store_client), models_root, fallback)
    if kind == "local":
        return ModelRegistry(models_root, fallback)
    raise ValueError(f"model_registry must be one of {KINDS}")
