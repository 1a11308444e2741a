"""Strikes, bans and history of one (site, user)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import redis

from .. import codec
from .errors import guarded, ignore
from .keys import UserKeys
from .lua import Scripts


def parse_state(raw: str) -> dict:
    """Return the user state a script returned: strikes, banned, banned_until (None: not banned or for good)."""
    state = codec.loads(raw)
    return {"strikes": int(state["strikes"]), "banned": bool(state["banned"]), "banned_until": state.get("banned_until")}


@dataclass(frozen=True)
class Changed:
    """A ban, unban or reset: the user's state after it, and its number (for its one audit entry)."""

    state: dict
    number: int


@guarded("users")
class UserStore:
    """Strikes and bans: read, and changed by hand (automatic ones come with comments)."""

    def __init__(self, client: redis.Redis, scripts: Scripts, history: int = 50, on_error: Callable[[str], None] = ignore):
        self.client = client
        self.scripts = scripts
        self.history = history
        self.on_error = on_error

    def state(self, site: str, user: str, now: float) -> dict:
        """Return the user's active strikes and ban."""
        return self._state(site, user, now)

    def _state(self, site: str, user: str, now: float) -> dict:
        return parse_state(self.scripts.call("user_state", UserKeys(site, user).all(), now=now))

    def change(
        self, site: str, user: str, action: str, now: float, reason: str, by: str, duration_s: float | None = None
    ) -> Changed:
        """Ban (for ``duration_s`` seconds; None: for good), unban, or reset the strikes of a user.

        A reset forgets the strikes; a ban stays until lifted or over.
        """
        if action not in ("ban", "unban", "reset"):
            raise ValueError(f"unknown user action {action!r}")
        keys = UserKeys(site, user)
        until = (0 if duration_s is None else now + duration_s) if action == "ban" else 0
        event = {"type": action, "at": now, "until": until if action == "ban" else None, "reason": reason, "by": by}
        raw, number = self.scripts.call(
            "change_user",
            [*keys.all(), keys.actions],
            action=action,
            now=now,
            until_=until,
            reason=reason,
            by=by,
            history_kept=self.history,
            event=event,
        )
        return Changed(parse_state(raw), int(number))

    def view(self, site: str, user: str, now: float, comments: int = 20) -> dict:
        """Return everything a moderator sees about a user; of the recent comments, their ids (``comment_ids``)."""
        keys = UserKeys(site, user)
        state = self._state(site, user, now)
        pipe = self.client.pipeline(transaction=False)
        pipe.zrange(keys.strikes, 0, -1, withscores=True)
        pipe.hgetall(keys.strike_info)
        pipe.hgetall(keys.ban)
        pipe.lrange(keys.history, 0, self.history - 1)
        pipe.lrange(keys.comments, 0, comments - 1)
        strikes, info, ban, history, recent = pipe.execute()
        items = []
        for comment_id, expires in strikes:
            detail = codec.loads(info.get(comment_id, "{}"))
            items.append({"comment_id": comment_id, "expires_at": expires, **detail})
        return {
            "state": state,
            "strikes": items,
            "ban": (
                {
                    "until": float(ban["until"]) or None,
                    "reason": ban.get("reason"),
                    "by": ban.get("by"),
                    "at": float(ban["at"]),
                    "automatic": ban.get("auto") == "1",
                }
                if state["banned"] and ban
                else None
            ),
            "history": [codec.loads(e) for e in history],
            "comment_ids": recent,
        }
