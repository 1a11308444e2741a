"""Console sign-in: cookie names and the CSRF check (the sessions themselves: ``service.actions.access``).

The cookie is HttpOnly, SameSite=Strict, and Secure when the console is served
over HTTPS. Each session has its own CSRF token, which every state-changing
request must carry (a form field or the ``X-CSRF-Token`` header).
"""

from __future__ import annotations

import hmac

from ..actions.access import SESSION_S, ConsoleSession

__all__ = ["COOKIE", "LOGIN_COOKIE", "SESSION_S", "ConsoleSession", "same_token"]

COOKIE = "mod_session"
LOGIN_COOKIE = "mod_login"


def same_token(expected: str, given: str | None) -> bool:
    """Compare CSRF tokens in constant time."""
    return bool(given) and hmac.compare_digest(expected.encode(), given.encode())
