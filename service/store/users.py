"""Strikes, bans and history of one (site, user)."""

from __future__ import annotations

import json

import redis

from .keys import UserKeys


def parse_state(raw: str) -> dict:
    """Return the user state a script returned: strikes, banned, banned_until (None: not banned or for good)."""
    state = json.loads(raw)
    return {"strikes": int(state["strikes"]), "banned": bool(state["banned"]), "banned_until": state.get("banned_until")}


class UserStore:
    """Strikes and bans: read, and changed by hand (automatic ones come with comments)."""

    def __init__(self, client: redis.Redis, scripts: dict, history: int = 50):
        self.client = client
        self.scripts = scripts
        self.history = history

    def state(self, site: str, user: str, now: float) -> dict:
        """Return the user's active strikes and ban."""
        keys = UserKeys(site, user)
        return parse_state(self.scripts["user_state"](keys=keys.all(), args=[now]))

    def _change(self, site: str, user: str, now: float, action: str, until: float, reason: str, by: str) -> dict:
        keys = UserKeys(site, user)
        event = json.dumps({"type": action, "at": now, "until": until if action == "ban" else None, "reason": reason, "by": by})
        raw = self.scripts["ban"](keys=keys.all(), args=[action, now, until, reason, by, self.history, event])
        return parse_state(raw)

    def ban(self, site: str, user: str, now: float, duration_s: float | None, reason: str, by: str) -> dict:
        """Ban the user for ``duration_s`` seconds (None: for good)."""
        until = 0 if duration_s is None else now + duration_s
        return self._change(site, user, now, "ban", until, reason, by)

    def unban(self, site: str, user: str, now: float, reason: str, by: str) -> dict:
        """Lift the user's ban."""
        return self._change(site, user, now, "unban", 0, reason, by)

    def reset(self, site: str, user: str, now: float, reason: str, by: str) -> dict:
        """Forget the user's strikes (a ban stays until lifted or over)."""
        return self._change(site, user, now, "reset", 0, reason, by)

    def view(self, site: str, user: str, now: float, comments: int = 20) -> dict:
        """Return everything a moderator sees about a user."""
        keys = UserKeys(site, user)
        state = self.state(site, user, now)
        pipe = self.client.pipeline(transaction=False)
        pipe.zrange(keys.strikes, 0, -1, withscores=True)
        pipe.hgetall(keys.strike_info)
        pipe.hgetall(keys.ban)
        pipe.lrange(keys.history, 0, self.history - 1)
        pipe.lrange(keys.comments, 0, comments - 1)
        strikes, info, ban, history, recent = pipe.execute()
        items = []
        for comment_id, expires in strikes:
            detail = json.loads(info.get(comment_id, "{}"))
            items.append({"comment_id": comment_id, "expires_at": expires, **detail})
        pipe = self.client.pipeline(transaction=False)
        for comment_id in recent:
            pipe.hmget(keys.comment(comment_id), "state", "created", "fields", "assessment", "banned")
        records = pipe.execute()
        recent_comments = []
        for comment_id, (status, created, fields, assessment, banned) in zip(recent, records):
            if status is None:
                continue  # expired
            fields = json.loads(fields or "{}")
            assessment = json.loads(assessment or "{}")
            recent_comments.append(
                {
                    "id": comment_id,
                    "state": status,
                    "received_at": float(created),
                    "text": fields.get("text", ""),
                    "article_id": fields.get("article_id"),
                    "verdict": "reject" if banned == "1" else assessment.get("verdict"),
                    "reasons": ["user_banned"] if banned == "1" else assessment.get("reasons", []),
                }
            )
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
            "history": [json.loads(e) for e in history],
            "comments": recent_comments,
        }
