"""A model directory: every published version, which one is active, which one shadows it.

Layout::

    <dir>/versions/<version>.model   one artifact per published version (never changed once written)
    <dir>/active                     the active version's name (one line)
    <dir>/shadow                     the shadow version's name, when one is set
    <dir>/history.jsonl              what was published, rolled back, shadowed or refused, when, and why

Every change is atomic: a file is written under a temporary name, flushed to
disk and renamed over the old one, so a reader sees either the old state or
the new one, never half of either. Readers (the service's workers) only need
to read the two small pointer files to know what to serve. With no ``active``
file, the fallback model (the one shipped in the package unless configured
otherwise) is active.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from . import artifact as artifact_mod
from .artifact import Artifact, ArtifactError

_VERSION = re.compile(r"[0-9a-f]{6,64}")


class RegistryError(ValueError):
    """A version that does not exist or cannot be used."""


@dataclass(frozen=True)
class Pointers:
    """What the model directory says to serve: file paths (None: no shadow; active None: the fallback)."""

    active: Path | None
    shadow: Path | None


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _sync_dir(path.parent)


def _sync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class ModelRegistry:
    """Publish, list, activate and shadow model versions in one directory."""

    def __init__(self, root: Path | str, fallback: Path | str | None = None):
        self.root = Path(root)
        self.fallback = Path(fallback) if fallback else artifact_mod.DEFAULT_MODEL

    @property
    def versions_dir(self) -> Path:
        return self.root / "versions"

    @staticmethod
    def _check_name(version: str) -> None:
        if not _VERSION.fullmatch(version or ""):
            raise RegistryError(f"{version!r} is not a model version (hexadecimal)")

    def local_file(self, path: Path) -> Path:
        """Return the file to load for a path ``pointers()`` named (here, the path itself)."""
        return path

    def path_of(self, version: str) -> Path:
        """Return the file of a published version; RegistryError when there is none."""
        self._check_name(version)
        path = self.versions_dir / f"{version}.model"
        if not path.is_file():
            raise RegistryError(f"no published version {version} in {self.root}")
        return path

    def _pointer(self, name: str) -> str | None:
        try:
            value = (self.root / name).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return value or None

    def active_version(self) -> str | None:
        """Return the active published version, or None when the fallback model is active."""
        return self._pointer("active")

    def shadow_version(self) -> str | None:
        """Return the shadow version, or None."""
        return self._pointer("shadow")

    def pointers(self) -> Pointers:
        """Return the files to serve now (cheap: reads two small files)."""
        active, shadow = self.active_version(), self.shadow_version()
        return Pointers(
            self.versions_dir / f"{active}.model" if active else None,
            self.versions_dir / f"{shadow}.model" if shadow else None,
        )

    def active_path(self) -> Path:
        """Return the file of the active model (the fallback when none is published)."""
        return self.pointers().active or self.fallback

    def publish(self, candidate: Artifact | Path, report: dict | None = None, activate: bool = True) -> str:
        """Add a version (an artifact, or an artifact file) and, by default, make it active; return its version."""
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        if isinstance(candidate, Artifact):
            version = candidate.version
            target = self.versions_dir / f"{version}.model"
            if not target.exists():
                staging = self.versions_dir / f".{version}.{os.getpid()}.staging"
                candidate.save(staging)
                with open(staging, "rb") as f:
                    os.fsync(f.fileno())
                os.replace(staging, target)
        else:
            version = artifact_mod.read_card(candidate)["version"]
            target = self.versions_dir / f"{version}.model"
            if not target.exists():
                staging = self.versions_dir / f".{version}.{os.getpid()}.staging"
                shutil.copyfile(candidate, staging)
                with open(staging, "rb") as f:
                    os.fsync(f.fileno())
                os.replace(staging, target)
        _sync_dir(self.versions_dir)
        artifact_mod.load(target)  # refuse to point at anything that does not load
        self._log({"event": "publish", "version": version, "activated": activate, "report": report})
        if activate:
            self._set("active", version)
        return version

    def activate(self, version: str, event: str = "rollback", reason: str = "") -> None:
        """Make a published version (or the fallback model's version) active, after checking that it loads."""
        self._loadable(version)
        self._log({"event": event, "version": version, "previous": self.active_version(), "reason": reason})
        self._set("active", version)

    def set_shadow(self, version: str | None) -> None:
        """Let ``version`` (a published one, or the fallback's) score live traffic beside the active model (None: stop)."""
        if version is None:
            try:
                (self.root / "shadow").unlink()
            except FileNotFoundError:
                pass
            self._log({"event": "shadow", "version": None})
            return
        self._loadable(version)
        self._log({"event": "shadow", "version": version})
        self._set("shadow", version)

    def record_refusal(self, version: str, report: dict | None = None) -> None:
        """Note in the history that a candidate ``version`` was judged and not published, and why (``report``)."""
        self._log({"event": "refused", "version": version, "report": report})

    def _published(self, version: str) -> bool:
        """Tell whether ``version`` (a well-formed name) has been published here."""
        return (self.versions_dir / f"{version}.model").is_file()

    def _loadable(self, version: str) -> Path:
        """Return the file of a version after checking that it loads; RegistryError otherwise.

        The fallback model's version counts as published: it is copied in when first asked for.
        """
        if _VERSION.fullmatch(version or "") and not self._published(version):
            try:
                if artifact_mod.read_card(self.fallback).get("version") == version:
                    self.publish(self.fallback, {"reason": "the fallback model, published to be used by version"}, activate=False)
            except ArtifactError:
                pass
        path = self.path_of(version)
        try:
            artifact_mod.load(path)
        except ArtifactError as exc:
            raise RegistryError(f"version {version} cannot be loaded: {exc}") from None
        return path

    def _set(self, name: str, version: str) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        _write_atomically(self.root / name, (version + "\n").encode())

    def _log(self, entry: dict) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"at": time.time(), **entry}, ensure_ascii=False, default=str)
        with open(self.root / "history.jsonl", "a", encoding="utf-8") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())

    def history(self) -> list[dict]:
        """Return the directory's events, oldest first."""
        try:
            lines = (self.root / "history.jsonl").read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in lines if line.strip()]

    def list(self) -> list[dict]:
        """Return every published version with its card summary, newest first, then the fallback model
        (listed once: a published copy of it is marked as the fallback)."""
        active, shadow = self.active_version(), self.shadow_version()
        try:
            fallback_version = artifact_mod.read_card(self.fallback).get("version")
        except ArtifactError:
            fallback_version = None
        rows = []
        paths = sorted(self.versions_dir.glob("*.model")) if self.versions_dir.is_dir() else []
        published = {p.stem for p in paths}
        for path in paths:
            try:
                card = artifact_mod.read_card(path)
            except ArtifactError:
                continue
            version = card.get("version", path.stem)
            rows.append(
                {
                    "version": version,
                    **card_summary(card),
                    "path": str(path),
                    "active": version == (active or fallback_version),
                    "shadow": version == shadow,
                    "fallback": version == fallback_version,
                }
            )
        if fallback_version not in published and (row := self._fallback_row(active, shadow)):
            rows.append(row)
        return self._sorted(rows)

    def _fallback_row(self, active: str | None, shadow: str | None) -> dict | None:
        """The fallback model's row of ``list`` (None when its file cannot be read)."""
        try:
            card = artifact_mod.read_card(self.fallback)
        except ArtifactError:
            return None
        fallback_version = card.get("version")
        return {
            "version": fallback_version,
            **card_summary(card),
            "path": str(self.fallback),
            "active": active is None or active == fallback_version,
            "shadow": fallback_version is not None and fallback_version == shadow,
            "fallback": True,
        }

    @staticmethod
    def _sorted(rows: list[dict]) -> list[dict]:
        return sorted(rows, key=lambda r: (r["fallback"], -(_timestamp(r["created_at"]))))


def card_summary(card: dict) -> dict:
    """What ``ModelRegistry.list`` shows of a model card: when it was made, its gate figure, its moderator labels."""
    return {
        "created_at": card.get("created_at"),
        "gate": (card.get("gate") or {}).get("value"),
        "labels": (card.get("training") or {}).get("moderator_labels"),
    }


def _timestamp(created_at: str | None) -> float:
    from datetime import datetime

    try:
        return datetime.fromisoformat(created_at).timestamp() if created_at else 0.0
    except ValueError:
        return 0.0
