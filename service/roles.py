"""The roles an API key can have and what each may do: one table, read by the store (which keeps a key's role), the
authentication (which checks a permission) and the OpenAPI document (which lists the roles of each operation)."""

from __future__ import annotations

#: What each role's keys may do: ``site`` submits and scores comments; ``moderator`` works the queue, decides and
#: manages users; ``admin`` can do all of that plus keys, policy and labels.
PERMISSIONS: dict[str, frozenset[str]] = {
    "site": frozenset({"submit", "score", "read", "events"}),
    "moderator": frozenset({"score", "read", "queue", "decide", "users"}),
    "admin": frozenset({"submit", "score", "read", "queue", "decide", "users", "admin", "events"}),
}
ROLES: tuple[str, ...] = tuple(PERMISSIONS)
