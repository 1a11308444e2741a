"""Comments: idempotent submission (strikes and bans included) and moderator decisions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import redis

from .. import codec
from .errors import guarded, ignore
from .keys import SiteKeys, UserKeys
from .scripts import Scripts
from .users import UserStore, parse_state


@dataclass
class Submitted:
    """What Redis holds for a submitted comment."""

    new: bool  # False: the id was already recorded (a repeated request)
    sha: str
    assessment: dict  # the classifier's answer as stored
    user: dict  # the user's state after this comment
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
        self, client: redis.Redis, scripts: Scripts, users: UserStore, retention_s: int, on_error: Callable[[str], None] = ignore
    ):
        self.client = client
        self.scripts = scripts
        self.users = users
        self.retention_s = retention_s
        self.on_error = on_error

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

    def claim(self, site: str, comment_id: str, user: str, sha: str) -> tuple[str, str] | None:
        """Claim ``comment_id`` for ``user`` and text ``sha``; return the earlier (user, sha) if there was one."""
        raw = self.scripts.call(
            "claim_id", [SiteKeys(site).claim(comment_id)], claim=f"{user}\n{sha}", retention_s=self.retention_s
        )
        if not raw:
            return None
        owner, _, stored_sha = raw.rpartition("\n")
        return owner, stored_sha

    def owner(self, site: str, comment_id: str) -> str | None:
        """Return the user a comment id belongs to, or None when the site has no such comment."""
        return self._owner(site, comment_id)

    def _owner(self, site: str, comment_id: str) -> str | None:
        raw = self.client.get(SiteKeys(site).claim(comment_id))
        return raw.rpartition("\n")[0] if raw else None

    def find(self, site: str, comment_id: str) -> tuple[str | None, dict | None]:
        """Return (user, record) of one of the site's comments; (None, None) when there is no such comment."""
        user = self._owner(site, comment_id)
        return (user, self._record(site, user, comment_id)) if user is not None else (None, None)

    def submit(
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
    ) -> Submitted:
        """Record the comment once (see scripts/submit.lua); a repeat returns what was recorded. With
        ``verdict_event`` its verdict goes to the user's outbox as an event too."""
        keys = UserKeys(site, user)
        raw = self.scripts.call(
            "submit",
            [*keys.all(), keys.comment(comment_id)],
            comment_id=comment_id,
            sha=sha,
            now=now,
            verdict=verdict,
            **self._strike(strike, policy),
            assessment=assessment,
            fields=fields,
            retention_s=self.retention_s,
            comments_kept=comments_kept,
            verdict_event=verdict_event,
        )
        status, stored_sha, stored, user_state, banned = raw
        return Submitted(status == "new", stored_sha, codec.loads(stored), parse_state(user_state), int(banned) == 1)

    def record(self, site: str, user: str, comment_id: str) -> dict | None:
        """Return a comment's stored record, or None."""
        return self._record(site, user, comment_id)

    def _record(self, site: str, user: str, comment_id: str) -> dict | None:
        raw = self.client.hgetall(UserKeys(site, user).comment(comment_id))
        if not raw:
            return None
        return {
            "state": raw.get("state"),
            "assessment": codec.loads(raw.get("assessment", "{}")),
            "fields": codec.loads(raw.get("fields", "{}")),
            "banned": raw.get("banned") == "1",
            "decision": raw.get("decision") or None,
            "decided_categories": raw.get("decided_categories") or "",
            "created": float(raw.get("created", 0)),
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
            [*keys.all(), keys.comment(comment_id)],
            comment_id=comment_id,
            decision=decision,
            categories=",".join(sorted(categories)),
            now=now,
            **self._strike(strike, policy),
            event=event,
            moderator=moderator,
            undo_window_s=undo_window_s,
        )
        if raw[0] == "missing":
            return None
        status, number, previous, user_state, state = raw
        return Decided(status, int(number), previous or None, parse_state(user_state), state)
