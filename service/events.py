"""The event relay: publishes the events of changes whose process stopped before it did (``service.actions.events``).

A change marks itself under way, makes the change and its event in one step
(the user's outbox), then publishes the event to the site's log and clears the
mark. A process killed between the last two leaves the mark. The relay, a
thread in every process of which one at a time holds a lease in Redis, looks at
every site's marks every ``event_relay_s`` seconds and publishes the outbox of
each mark older than ``RELAY_GRACE_S`` (a change still running is left alone,
and publishing it twice would change nothing: each outbox entry is published
once). The lease keeps the instances from doing the same work; losing it to
another instance costs nothing.

The thread (``service.background.Loop``) starts with the first request a
process serves, and holds its services weakly.
"""

from __future__ import annotations

import weakref

from .actions import events as actions
from .actions.context import Services
from .background import Loop
from .store import StoreUnavailable

#: A mark younger than this is a change still under way.
RELAY_GRACE_S = 5.0


class EventRelay(Loop):
    """Publish what changes left unpublished, in one process of all at a time."""

    name = "event-relay"

    def __init__(self, services: Services, interval_s: float):
        super().__init__(interval_s)
        self._services = weakref.ref(services)

    def round(self) -> int:
        return self.sweep()

    def sweep(self, grace_s: float = RELAY_GRACE_S) -> int:
        """Publish the outbox of every mark older than ``grace_s`` if this process holds the lease; return how many
        users' outboxes were settled."""
        services = self._services()
        if services is None:
            return 0
        store = services.store.events
        settled = 0
        try:
            if not store.take_lease(self.holder, max(5, int(self.interval_s * 5))):
                return 0
            now = services.clock()
            for site in store.sites():
                for user, (at, token) in store.marked(site).items():
                    if now - at >= grace_s or at > now + 60:  # (a mark from a clock far ahead is stale too)
                        actions.settle(services, site, user, token)
                        settled += 1
        except StoreUnavailable:
            pass  # counted by the store; the next sweep tries again
        return settled
