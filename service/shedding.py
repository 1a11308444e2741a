"""Load shedding's decision, for one worker's thread pool: refuse a standing queue, not a busy moment.

A request waits for a thread from the moment the worker queues it to the moment
a thread picks it up. How long it waited says something about the load only if
it had to queue: one that arrived while a thread was free waited, if at all,
for the CPU (another process was running), not behind other requests, and a
client sending one request at a time never finds every thread taken. Those
requests count as no wait at all.

The rule is CoDel's (RFC 8289), applied on arrival instead of by dropping at
the head of the queue:

- **overload** begins when every request picked up during one ``interval``
  had waited at least ``target``: the shortest wait over the interval stayed
  above the target, so the queue is standing, not a burst draining. A queue
  that stands below the target is not overload: clients that keep more
  requests in flight than there are threads (a closed loop of 16 connections
  on 4 threads) wait their turn and are all served;
- during overload a request that arrives with every thread taken is refused
  (503 at once, before the app) when the wait it faces, by the estimate
  ``(waiting + 1) x mean thread time / threads``, is above ``SHED_TO`` (a
  fifth) of the target: the queue is brought well under the target, so what
  piled up while the interval ran drains and what is accepted while shedding
  starts soon. A request that waited more than ``PICK_UP`` (0.6) of the target
  all the same (it queued while the interval ran, or the estimate missed a
  slower stretch) is refused on pick-up rather than served late;
- **overload** ends after an interval without a refusal: the offered load fits
  again. Not when the waits fall below the target: during overload the
  refusals themselves keep them there, and admitting everything again would
  let the queue grow for a whole interval before it counted as overload again
  (at twice the capacity, by an interval's worth of waiting). A client that
  keeps more requests in flight than there are threads and resends a refused
  one at once (ignoring ``Retry-After``) can keep a worker shedding; one that
  honours ``Retry-After`` lets it drain;
- outside overload nothing is refused but past ``max_queued`` waiting (a hard
  bound on what one worker holds, whatever the state), so a burst is queued
  whole.

``target`` 0 turns the time rule off; ``max_queued`` 0 the count bound.
Everything here is pure arithmetic on the times given, so it is tested from
tables (tests/service/test_shedding.py) and the worker only reports events.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

#: During overload, a request is admitted only if the wait it faces, by the estimate, is at most this share of the
#: target, and one that waited longer than ``PICK_UP`` of it all the same is refused on pick-up (docs/BENCHMARKS.md,
#: "Load shedding: what was tried (issue 21)": half the target and the whole of it let the accepted p99 reach 60 to
#: 70 ms at twice the capacity; a fifth and 0.6 kept it within 50).
SHED_TO = 0.2
PICK_UP = 0.6
#: Weight of the newest thread time in the moving mean (about the last 20 requests).
SERVICE_WEIGHT = 0.05


@dataclass(slots=True)
class Ticket:
    """One admitted request: when it was queued and whether it found every thread taken."""

    at: float
    queued: bool
    started: float = 0.0


class Admission:
    """The admission state of one worker: requests waiting and running, the mean thread time, overload."""

    def __init__(self, threads: int, target_s: float, interval_s: float, max_queued: int):
        self.threads = max(1, threads)
        self.target_s = target_s
        self.interval_s = interval_s
        self.max_queued = max_queued
        self.waiting = 0
        self.running = 0
        #: Seconds a request keeps a thread, on average (moving): with those waiting, the wait a new one faces.
        self.service_s = 0.0
        self.overloaded = False
        #: When the current run of waits at or above the target began (None: the last wait was below it).
        self.above_since: float | None = None
        #: When a request was last refused.
        self.refused_at = float("-inf")
        self._lock = threading.Lock()

    def estimate(self) -> float:
        """Return the seconds a request arriving now would wait for a thread, by the moving mean."""
        return (self.waiting + 1) * self.service_s / self.threads

    def arrive(self, now: float, force: bool = False) -> Ticket | None:
        """A request arrives: return its ticket, or None to refuse it (``force``: never; health checks)."""
        with self._lock:
            if self.overloaded and now - self.refused_at >= self.interval_s:  # an interval without a refusal
                self.overloaded = False
            free = self.running + self.waiting < self.threads
            if free:
                self.above_since = None
            elif not force and (
                (self.max_queued and self.waiting >= self.max_queued)
                or (self.overloaded and self.target_s and self.estimate() > SHED_TO * self.target_s)
            ):
                self.refused_at = now
                return None
            self.waiting += 1
            return Ticket(now, queued=not free)

    def pick_up(self, ticket: Ticket, now: float) -> bool:
        """A thread takes the request from the queue: return whether to serve it (False: refuse it now, unless it
        cannot be refused; either way ``begin`` it if it is served)."""
        with self._lock:
            self.waiting -= 1
            wait = now - ticket.at if ticket.queued else 0.0
            if not self.target_s or wait < self.target_s:
                self.above_since = None
            elif self.above_since is None:
                self.above_since = now
            elif now - self.above_since >= self.interval_s and not self.overloaded:
                self.overloaded = True
                self.refused_at = now  # the interval without a refusal that ends it counts from here
            if self.overloaded and self.target_s and wait > PICK_UP * self.target_s:
                self.refused_at = now
                return False
            return True

    def begin(self, ticket: Ticket, now: float) -> None:
        """The thread serves the request."""
        with self._lock:
            self.running += 1
            ticket.started = now

    def finish(self, ticket: Ticket, now: float) -> None:
        """The request ``begin`` started is done: its thread is free again."""
        with self._lock:
            self.running -= 1
            self.service_s += (now - ticket.started - self.service_s) * SERVICE_WEIGHT
