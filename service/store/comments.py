"""Comments: idempotent submission (strikes and bans included) and moderator decisions.

A comment has two lifetimes (issue 24). Its **lasting record** is kept for ``retention_s`` (180 days): the claim of
its id (which user it belongs to: ``scripts/claim_id.lua``, a field in a small hash of the site's claims) and, in
the user's slot, about 20 packed bytes (``scripts/_records.lua``): a digest of its text (for the 409 on a changed
text), when it came, its state, verdict, latest decision and categories, scores in hundredths, model version (a
number: ``MODEL_NUMBERS``) and reasons. Its **full record** (its text and fields, exact scores, evidence spans) is
kept for ``full_s`` (14 days), while it waits for review, and through the undo window of a decision. Both are
fields of a hash of the user's, not keys of their own. Repeats, decisions, undo, strikes and bans work for the
whole lasting term; past the full term, a record has no text and no spans (``full`` False).

Records of the legacy format (one hash per comment with both, and a claim key per id) are read and rewritten when
touched; ``migrate`` moves the rest.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import redis

from .. import codec
from .errors import guarded, ignore
from .keys import FORMAT, LEGACY_CLAIMS, MODEL_NUMBERS, SiteKeys, UserKeys, claims, id_digest, legacy_claim_parts
from .lua import Scripts
from .users import UserStore, parse_state

#: Claims are kept in periods of this many seconds: each period's hashes expire together, so a claim lives between
#: ``retention_s`` and ``retention_s`` + a period, and a lookup reads one layout per period kept (13 for 180 days).
CLAIM_PERIOD_S = 15 * 86400
#: Claims per hash of a period, on average at most: under Redis's ``hash-max-listpack-entries`` (512 by default), so
#: every bucket keeps the compact encoding.
CLAIMS_PER_BUCKET = 128
#: The categories in the order of the packed scores (``scripts/_records.lua``), as ``classifier.types.CATEGORIES``.
SCORE_ORDER = ("abuse", "attack", "promotion")
#: The comment's fields a full record keeps, in its order (``user_id`` is the user's own key's).
FULL_FIELDS = ("text", "article_id", "parent_id", "author_name", "created_at")
#: How long (seconds) a process trusts its answer to "may a legacy claim be left?" while the answer is yes.
LEGACY_CHECK_S = 60.0


def short_sha(sha: str) -> str:
    """Return the part of a text's SHA-256 (hex) that a lasting record keeps (48 bits: a changed text under a
    repeated id goes unnoticed once in 2**48)."""
    return sha[:12]


def record_field(comment_id: str) -> bytes:
    """Return the field of a comment's records in its user's hashes: 8 bytes of its id's SHA-1."""
    return bytes.fromhex(id_digest(comment_id)[:16])


def full_body(fields: dict, spans: list[dict]) -> str:
    """Return the JSON a full record keeps besides its exact scores: the comment's fields and its evidence spans
    (without their UTF-16 offsets, computed again from the text)."""
    spans_kept = [[s["start"], s["end"], s["category"], s["source"]] for s in spans]
    return codec.encode([*(fields.get(k) for k in FULL_FIELDS), spans_kept])


@dataclass
class Submitted:
    """What Redis holds for a submitted comment."""

    new: bool  # False: the id was already recorded (a repeated request)
    user: dict  # the user's state after this comment (for a repeat: now)
    banned: bool  # the user was banned when the comment arrived


@dataclass
class Decided:
    """The user's side of a decision."""

    status: str  # "changed"; "same" (a repeated request); for undo "nothing" or "expired"
    number: int  # decisions made on the comment so far
    previous: str | None  # the decision before this one (for undo: the decision undone)
    user: dict
    state: str  # the comment's state now: pending, approved or rejected

    @property
    def changed(self) -> bool:
        """Tell whether this call changed anything."""
        return self.status == "changed"


@guarded("comments")
class CommentStore:
    """Comments of a site, keyed by the site's comment id and stored with their user's keys."""

    def __init__(
        self,
        client: redis.Redis,
        scripts: Scripts,
        users: UserStore,
        retention_s: int,
        full_s: int = 14 * 86400,
        on_error: Callable[[str], None] = ignore,
    ):
        self.client = client
        self.scripts = scripts
        self.users = users
        self.retention_s = retention_s
        self.full_s = min(full_s, retention_s)
        self.on_error = on_error
        self._legacy: bool | None = None  # may a claim of the legacy format be left? (None: not asked yet)
        self._legacy_asked = 0.0
        self._model_numbers: dict[str, int] = {}
        self._model_versions: dict[int, str] = {}

    def _model_number(self, version: str) -> int:
        number = self._model_numbers.get(version)
        if number is None:
            number = int(self.scripts.call("model_number", [MODEL_NUMBERS], version=version))
            self._model_numbers[version] = number
            self._model_versions[number] = version
        return number

    def _model_version(self, number: int) -> str:
        version = self._model_versions.get(number)
        if version is None:
            version = self.client.hget(MODEL_NUMBERS, f"#{number}") or ""
            if version:
                self._model_versions[number] = version
        return version

    def _strike(self, strike: tuple[int, dict], policy) -> dict:
        """Return the arguments every script that may strike takes: the strike and the site's strike policy."""
        weight, info = strike
        return {
            "strike_weight": weight,
            "strike_info": dict(info, weight=weight),
            "strike_ttl_s": policy.strike_ttl_s,
            "ban_steps": [list(s) for s in policy.ban_steps],
            "history_kept": self.users.history,
        }

    def _claim_call(self, site: str, comment_id: str, user: str, now: float) -> tuple[list[str], dict]:
        """Return the keys and arguments of the claim script (``user`` '': only look)."""
        digest = id_digest(comment_id)
        prefix = claims(site, digest)
        args = {
            "prefix": prefix,
            "field": bytes.fromhex(digest[8:24]),
            "bucket": int(digest[1:8], 16),
            "user": user,
            "now": now,
            "period_s": CLAIM_PERIOD_S,
            "retention_s": self.retention_s,
            "per_bucket": CLAIMS_PER_BUCKET,
        }
        return [f"{prefix}:m"], args

    def _claim(self, site: str, comment_id: str, user: str, now: float) -> str | None:
        keys, args = self._claim_call(site, comment_id, user, now)
        return self.scripts.call("claim_id", keys, **args) or None

    def claim(self, site: str, comment_id: str, user: str, now: float) -> str | None:
        """Claim ``comment_id`` for ``user``; return the user of an earlier claim, None when this call made it."""
        return self._legacy_owner(site, comment_id, now) or self._claim(site, comment_id, user, now)

    def owner(self, site: str, comment_id: str, now: float) -> str | None:
        """Return the user a comment id belongs to, or None when the site has no such comment."""
        return self._owner(site, comment_id, now)

    def _owner(self, site: str, comment_id: str, now: float) -> str | None:
        return self._legacy_owner(site, comment_id, now) or self._claim(site, comment_id, "", now)

    def find(self, site: str, comment_id: str, now: float) -> tuple[str | None, dict | None]:
        """Return (user, record) of one of the site's comments; (None, None) when there is no such comment."""
        user = self._owner(site, comment_id, now)
        return (user, self._record(site, user, comment_id, now)) if user is not None else (None, None)

    # -- the legacy format ---------------------------------------------------------------------------------------

    def _legacy_possible(self) -> bool:
        if self._legacy is False:
            return False
        if self._legacy is None or time.monotonic() - self._legacy_asked > LEGACY_CHECK_S:
            self._legacy = self.client.hget(FORMAT, "comments") != "2"
            self._legacy_asked = time.monotonic()
        return self._legacy

    def _legacy_owner(self, site: str, comment_id: str, now: float) -> str | None:
        """Return the user of a legacy claim of ``comment_id``, moved to the current format on the way; None when
        there is none."""
        if not self._legacy_possible():
            return None
        key = SiteKeys(site).legacy_claim(comment_id)
        raw = self.client.get(key)
        if raw is None:
            return None
        user = raw.rpartition("\n")[0]
        self._move(site, comment_id, user, key, now)
        return user

    def _move(self, site: str, comment_id: str, user: str, key: str, now: float) -> None:
        # the user's side first (its record says when the comment came: its claim goes in that period), then the
        # claim, and the legacy key last: whoever reads it in between finds the claim in one format or the other
        record = self._read(site, user, comment_id, now, legacy=True)
        self._claim(site, comment_id, user, record[1] if record else now)
        self.client.delete(key)

    def mark_current(self) -> None:
        """Record that no legacy claim is left (a store that starts empty, or ``migrate`` done)."""
        self.client.hset(FORMAT, "comments", "2")
        self._legacy = False

    def migrate(self, batch: int = 1000, progress: Callable[[int], None] = lambda moved: None) -> int:
        """Move every legacy record to the current format; return how many were moved.

        Safe while the service runs (each comment moves as a touch would move it, and a comment moved twice is
        moved once) and resumable (what is moved is gone from the legacy keys: a second run finds only the rest).
        """
        moved = 0
        for key in self._legacy_keys(batch):
            raw = self.client.get(key)
            if raw is not None:
                site, comment_id = legacy_claim_parts(key)
                self._move(site, comment_id, raw.rpartition("\n")[0], key, time.time())
                moved += 1
                if moved % batch == 0:
                    progress(moved)
        progress(moved)
        self.mark_current()
        return moved

    def _legacy_keys(self, batch: int) -> Iterator[str]:
        yield from self.client.scan_iter(match=LEGACY_CLAIMS, count=batch)

    # -- submissions and records ---------------------------------------------------------------------------------

    def submit(self, *args, **kwargs) -> Submitted:
        """Record the comment once (see scripts/submit.lua; the arguments are ``_submit_call``'s); a repeat returns what
        was recorded. With ``verdict_event`` its verdict goes to the user's outbox as an event too."""
        keys, args_ = self._submit_call(*args, **kwargs)
        status, user_state, banned = self.scripts.call("submit", keys, **args_)
        return Submitted(status == "new", parse_state(user_state), int(banned) == 1)

    def _submit_call(
        self,
        site: str,
        user: str,
        comment_id: str,
        sha: str,
        verdict: str,
        assessment: dict,
        fields: dict,
        strike: tuple[int, dict],
        policy,
        now: float,
        comments_kept: int = 50,
        verdict_event: bool = False,
    ) -> tuple[list[str], dict]:
        """Return the keys and arguments of the submission script for a comment (``sha``: its text's SHA-256, hex;
        ``assessment``: the answer as stored, ``fields``: what came with it; ``strike``: (weight, info) should it be
        rejected; ``policy``: the site's). ``submit`` runs it; bulk loads queue it."""
        keys = UserKeys(site, user)
        scores = assessment.get("scores") or {}
        args = {
            "comment_id": comment_id,
            "field": record_field(comment_id),
            "legacy": self._legacy_possible(),
            "sha": bytes.fromhex(short_sha(sha)),
            "now": now,
            "verdict": verdict,
            **self._strike(strike, policy),
            "scores": ",".join(repr(float(scores.get(c, 0.0))) for c in SCORE_ORDER),
            "reasons": list(assessment.get("reasons") or []),
            "model": self._model_number(assessment.get("model_version") or ""),
            "body": full_body(fields, assessment.get("spans") or []),
            "retention_s": self.retention_s,
            "full_s": self.full_s,
            "comments_kept": comments_kept,
            "verdict_event": verdict_event,
        }
        return [*keys.all(), keys.records, keys.full, keys.comment(comment_id)], args

    def record(self, site: str, user: str, comment_id: str, now: float) -> dict | None:
        """Return a comment's stored record, or None.

        ``full`` False: only the lasting record is left (no text, no spans, scores in hundredths).
        """
        return self._record(site, user, comment_id, now)

    def _read(self, site: str, user: str, comment_id: str, now: float, legacy: bool | None = None) -> list | None:
        keys = UserKeys(site, user)
        return (
            self.scripts.call(
                "read_comment",
                [*keys.all(), keys.records, keys.full, keys.comment(comment_id)],
                field=record_field(comment_id),
                legacy=self._legacy_possible() if legacy is None else legacy,
                now=now,
                retention_s=self.retention_s,
                full_s=self.full_s,
            )
            or None
        )

    def _record(self, site: str, user: str, comment_id: str, now: float) -> dict | None:
        raw = self._read(site, user, comment_id, now)
        if raw is None:
            return None
        sha, received, state, verdict, decision, _struck, banned, decided, _number, scores, model, version = raw[:12]
        reasons, ms, exact, body = raw[12:]
        assessment = {
            "verdict": verdict,
            "scores": {c: int(v) / 100 for c, v in zip(SCORE_ORDER, scores.split(","))},
            "reasons": reasons.split(",") if reasons else [],
            "spans": [],
            "model_version": self._model_version(int(model)) if int(model) else version,
        }
        fields: dict = {}
        created = float(received)
        full = bool(body)
        if full:
            *kept, spans = codec.loads(body)
            fields = {**dict(zip(FULL_FIELDS, kept)), "user_id": user}
            assessment["scores"] = {c: int(v) / 1e6 for c, v in zip(SCORE_ORDER, exact.split(","))}
            assessment["spans"] = [
                {"start": a, "end": b, "category": c, "source": d} for a, b, c, d in (spans if isinstance(spans, list) else [])
            ]
            created += int(ms) / 1000
        return {
            "state": state,
            "assessment": assessment,
            "fields": fields,
            "banned": int(banned) == 1,
            "decision": decision or None,
            "decided_categories": sorted(c for c in (decided or "").split(",") if c),
            "created": created,
            "sha": sha,
            "full": full,
        }

    def apply_decision(
        self,
        site: str,
        user: str,
        comment_id: str,
        decision: str,
        categories: list[str],
        strike: tuple[int, dict],
        policy,
        event: dict,
        now: float,
        moderator: str = "",
        undo_window_s: float = 10.0,
    ) -> Decided | None:
        """Apply a moderator's decision, or "undo", to the user's strikes (see scripts/apply_decision.lua); None: no such comment."""
        keys = UserKeys(site, user)
        raw = self.scripts.call(
            "apply_decision",
            [*keys.all(), keys.records, keys.full, keys.comment(comment_id), keys.undo(comment_id)],
            comment_id=comment_id,
            field=record_field(comment_id),
            legacy=self._legacy_possible(),
            decision=decision,
            categories=",".join(sorted(categories)),
            now=now,
            **self._strike(strike, policy),
            event=event,
            moderator=moderator,
            undo_window_s=undo_window_s,
            retention_s=self.retention_s,
            full_s=self.full_s,
        )
        if raw[0] == "missing":
            return None
        status, number, previous, user_state, state = raw
        return Decided(status, int(number), previous or None, parse_state(user_state), state)
