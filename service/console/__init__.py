"""The moderator console: the review queue, users, the decision log and a dashboard, in the browser."""

from .views import bp

__all__ = ["bp"]
