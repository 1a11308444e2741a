"""The models a worker serves: the active one, and a shadow that scores beside it.

Each gunicorn worker holds its own ``LiveModels``. At most every
``model_poll_s`` seconds a request looks at the model directory's pointer
files (two tiny reads); when they name other versions, one background thread
loads them and swaps them in. Requests keep using the model they started with
and never wait for a load, so a switch fails no request and costs none of
them the load time. A model that fails to load is logged and skipped; the
worker keeps serving what it has.

The shadow model scores new comments after their answer is stored, on its own
thread with a bounded queue (a full queue drops comparisons and counts them),
so it never changes a verdict or slows an answer down. Agreement is counted
in ``/metrics`` and, per site, in Redis with the latest disagreements.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from moderation.classifier.assessor import Assessor
from moderation.classifier.registry import ModelRegistry, Pointers
from moderation.classifier.site_words import SiteWordLists
from moderation.classifier.types import CATEGORIES

from .store.errors import StoreUnavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Loaded:
    """A model in service, and the file it came from."""

    assessor: Assessor
    path: Path | None


class LiveModels:
    """The active model (and the shadow), switched without a restart when the model directory changes."""

    def __init__(
        self,
        registry: ModelRegistry | None,
        rules_dir: str | None = None,
        poll_s: float = 2.0,
        fixed: Assessor | None = None,
        on_switch=None,
        encoder: str | None = None,
    ):
        self.registry = registry
        self.rules_dir = rules_dir
        self.encoder = encoder
        self.poll_s = poll_s
        self.on_switch = on_switch
        self._lock = threading.Lock()
        self._loading = False
        self._checked = 0.0
        self._failed: dict[Path, float] = {}
        if fixed is not None or registry is None:
            self.active = Loaded(fixed or Assessor.load(None, rules_dir, encoder=encoder), None)
            self.shadow: Loaded | None = None
            self.registry = None if fixed is not None else registry
            return
        try:
            pointers = registry.pointers()
        except StoreUnavailable:  # a shared registry whose Redis is down: the fallback until it answers again
            log.warning("cannot read the model registry; serving the fallback model until it can be read")
            pointers = Pointers(None, None)
        path = pointers.active or registry.fallback
        # A broken active version must not keep the service from starting: serve the fallback and say so.
        self.active = self._try_load(path) or Loaded(
            Assessor.load(registry.fallback, rules_dir, encoder=encoder), registry.fallback
        )
        self.shadow = self._try_load(pointers.shadow) if pointers.shadow else None
        self._checked = time.monotonic()

    @property
    def assessor(self) -> Assessor:
        """Return the active model."""
        return self.active.assessor

    def refresh(self, wait: bool = False) -> None:
        """Look at the model directory (at most every ``poll_s`` seconds) and load what changed, in the background."""
        if self.registry is None:
            return
        now = time.monotonic()
        if not wait and now - self._checked < self.poll_s:
            return
        with self._lock:
            if self._loading or (not wait and now - self._checked < self.poll_s):
                return
            self._checked = now
            try:
                pointers = self.registry.pointers()
            except (OSError, StoreUnavailable) as exc:
                log.warning("cannot read the model registry: %s", exc)
                return
            active = pointers.active or self.registry.fallback
            shadow = pointers.shadow
            current_shadow = self.shadow.path if self.shadow else None
            if active == self.active.path and shadow == current_shadow:
                return
            self._loading = True
        thread = threading.Thread(target=self._load, args=(active, shadow), name="model-loader", daemon=True)
        thread.start()
        if wait:
            thread.join()

    def look_now(self) -> None:
        """Look at the registry now (its pointers changed: ``service.watch`` calls this from its own thread)."""
        self._checked = 0.0
        self.refresh()

    def _load(self, active: Path, shadow: Path | None) -> None:
        try:
            new_active = self.active
            if active != self.active.path:
                new_active = self._try_load(active) or self.active
            new_shadow = self.shadow
            if shadow is None:
                new_shadow = None
            elif not self.shadow or shadow != self.shadow.path:
                new_shadow = self._try_load(shadow) or self.shadow
            old = self.active.assessor.version
            self.active, self.shadow = new_active, new_shadow  # plain reference swaps: requests in flight keep theirs
            if new_active.assessor.version != old:
                log.info("now serving model %s (was %s)", new_active.assessor.version, old)
                if self.on_switch:
                    self.on_switch(old, new_active.assessor.version)
        finally:
            with self._lock:
                self._loading = False

    def _try_load(self, path: Path) -> Loaded | None:
        if path in self._failed and time.monotonic() - self._failed[path] < 60:
            return None
        try:
            local = self.registry.local_file(path) if self.registry is not None else path
            return Loaded(Assessor.load(local, self.rules_dir, encoder=self.encoder), path)
        except Exception as exc:  # noqa: BLE001 - a bad file must not take the worker down
            log.error("cannot load model %s: %s", path, exc)
            self._failed[path] = time.monotonic()
            return None


@dataclass(frozen=True)
class Comparison:
    """One comment to score with the shadow model."""

    site: str
    comment_id: str
    text: str
    allowed_domains: frozenset[str]
    active: dict  # the stored assessment body of the active model
    site_words: SiteWordLists | None = None  # the site's own word lists, as the active model used them


class ShadowScorer:
    """Score new comments with the shadow model on a background thread and count agreement."""

    def __init__(self, models: LiveModels, store, metrics, clock, capacity: int = 1000, keep: int = 500):
        self.models = models
        self.store = store
        self.metrics = metrics
        self.clock = clock
        self.keep = keep
        self._queue: queue.Queue[Comparison] = queue.Queue(maxsize=capacity)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def offer(self, comparison: Comparison) -> None:
        """Queue a comparison if a shadow model is set (never blocks)."""
        if self.models.shadow is None:
            return
        self._start()
        try:
            self._queue.put_nowait(comparison)
        except queue.Full:
            self.metrics.shadow_dropped.inc()

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until every queued comparison is done (for tests and shutdown); False on timeout."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def _start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="shadow-scorer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                self.compare(item)
            except Exception:  # keep the thread alive whatever one comparison does
                log.exception("shadow comparison failed")
            finally:
                self._queue.task_done()

    def compare(self, item: Comparison) -> None:
        """Score one comment with the shadow model and record how it compares."""
        shadow = self.models.shadow
        if shadow is None:
            return
        assessment = shadow.assessor.assess(item.text, allowed_domains=item.allowed_domains, site=item.site_words)
        active_verdict, shadow_verdict = item.active["verdict"], assessment.verdict
        agree = active_verdict == shadow_verdict
        version = shadow.assessor.version
        self.metrics.shadow.labels(version, active_verdict, shadow_verdict).inc()
        disagreement = None
        if not agree:
            disagreement = {
                "comment_id": item.comment_id,
                "at": self.clock(),
                "active": {
                    "version": item.active["model_version"],
                    "verdict": active_verdict,
                    "scores": item.active["scores"],
                    "reasons": item.active["reasons"],
                },
                "shadow": {
                    "version": version,
                    "verdict": shadow_verdict,
                    "scores": {c: round(assessment.scores[c], 6) for c in CATEGORIES},
                    "reasons": list(assessment.reasons),
                },
            }
        try:
            self.store.shadow.record(item.site, version, active_verdict, shadow_verdict, disagreement, self.keep)
        except StoreUnavailable:
            pass  # counted by the store; a comparison is not worth retrying
