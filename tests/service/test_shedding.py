"""Load shedding's decision (service.shedding.Admission), driven with explicit times: a standing queue is refused,
a burst and a busy machine are not."""

from __future__ import annotations

from service.shedding import PICK_UP_FACTOR, Admission

MS = 0.001


def admission(threads=2, target_ms=20.0, interval_ms=100.0, max_queued=64) -> Admission:
    return Admission(threads, target_ms * MS, interval_ms * MS, max_queued)


def serve(a: Admission, arrive_at: float, start_at: float, end_at: float) -> bool:
    """One request through its whole life; return whether it was served (admitted and not refused on pick-up)."""
    ticket = a.arrive(arrive_at)
    if ticket is None:
        return False
    if not a.pick_up(ticket, start_at):
        return False
    a.begin(ticket, start_at)
    a.finish(ticket, end_at)
    return True


def test_a_request_that_finds_a_free_thread_is_never_refused_however_late_it_is_picked_up():
    """One request at a time on a machine whose cores another process keeps busy: each one waits for the CPU, long
    past the target, but nothing was queued ahead of it."""
    a = admission(threads=1)
    now = 0.0
    for _ in range(1000):
        assert serve(a, now, now + 200 * MS, now + 260 * MS)  # picked up 200 ms late, 60 ms to serve
        now += 300 * MS
    assert not a.overloaded


def test_a_burst_that_drains_within_the_interval_is_served_whole():
    a = admission(threads=2)
    tickets = [a.arrive(0.0) for _ in range(40)]  # 40 at once: far more than the threads, none refused
    assert all(tickets)
    now = 0.0
    for ticket in tickets:  # 2 threads, 3 ms each: the last waits 57 ms, the burst is gone in 60 ms
        assert a.pick_up(ticket, now)
        a.begin(ticket, now)
        a.finish(ticket, now + 3 * MS)
        now += 1.5 * MS
    assert not a.overloaded
    assert a.arrive(now) is not None


def test_the_count_bound_holds_whatever_the_state():
    a = admission(threads=1, max_queued=3)
    first = a.arrive(0.0)
    assert a.pick_up(first, 0.0)
    a.begin(first, 0.0)
    assert all(a.arrive(0.0) for _ in range(3))
    assert a.arrive(0.0) is None  # three wait already
    assert a.arrive(0.0, force=True) is not None  # a health check is queued all the same


def standing_queue(a: Admission, until: float, wait_ms: float) -> float:
    """Pick requests up every millisecond, each having waited ``wait_ms``, with the queue never empty."""
    now = 0.0
    while now < until:
        ticket = a.arrive(now - wait_ms * MS)
        if ticket is not None:
            served = a.pick_up(ticket, now)
            if served:
                a.begin(ticket, now)
                a.finish(ticket, now + 1 * MS)
        now += 1 * MS
    return now


def busy(a: Admission, waiting: int) -> list:
    """Take every thread and queue ``waiting`` more, so the next arrival finds no free thread; return the tickets
    of the requests on the threads."""
    running = []
    for _ in range(a.threads):
        ticket = a.arrive(0.0)
        a.pick_up(ticket, 0.0)
        a.begin(ticket, 0.0)
        running.append(ticket)
    for _ in range(waiting):
        assert a.arrive(0.0) is not None
    return running


def test_waits_above_the_target_for_a_whole_interval_are_overload_and_a_wait_below_resets_the_clock():
    a = admission()
    busy(a, 0)
    a.service_s = 10 * MS
    standing_queue(a, 0.099, wait_ms=25)  # 99 ms of waits above 20 ms: not yet
    assert not a.overloaded
    a.pick_up(a.arrive(0.099 - 5 * MS), 0.099)  # one short wait: the run starts again
    assert a.above_since is None
    standing_queue(a, 0.099, wait_ms=25)
    assert not a.overloaded
    a = admission()
    busy(a, 0)
    standing_queue(a, 0.150, wait_ms=25)
    assert a.overloaded


def test_during_overload_a_request_facing_more_than_the_target_is_refused_and_one_facing_less_is_not():
    a = admission(threads=2, target_ms=20)
    busy(a, 0)
    standing_queue(a, 0.150, wait_ms=25)
    assert a.overloaded
    a.service_s = 10 * MS  # 2 threads: each one waiting adds 5 ms
    assert a.arrive(1.0) is not None  # 1 waiting (this one): 5 ms
    assert a.arrive(1.0) is not None  # 10 ms
    assert a.arrive(1.0) is not None  # 15 ms
    assert a.arrive(1.0) is not None  # 20 ms: not above
    assert a.arrive(1.0) is None  # 25 ms
    assert a.waiting == 4


def test_during_overload_a_request_that_waited_far_longer_than_the_target_is_refused_on_pick_up():
    a = admission(target_ms=20)
    busy(a, 0)
    standing_queue(a, 0.150, wait_ms=25)
    assert a.overloaded
    a.service_s = 0.0
    late = a.arrive(1.0)
    assert not a.pick_up(late, 1.0 + PICK_UP_FACTOR * 20 * MS + 1 * MS)
    on_time = a.arrive(2.0)
    assert a.pick_up(on_time, 2.0 + PICK_UP_FACTOR * 20 * MS - 1 * MS)


def test_overload_ends_when_the_queue_drains():
    a = admission(threads=2)
    running = busy(a, 0)
    standing_queue(a, 0.150, wait_ms=25)
    assert a.overloaded
    queued = a.arrive(1.0)  # every thread still taken: it queues, and the overload goes on
    assert queued.queued and a.overloaded
    for ticket in running:
        a.finish(ticket, 1.001)
    assert serve_ticket(a, queued, 1.001, 1.002)
    assert a.arrive(2.0).queued is False  # a free thread: the queue has drained
    assert not a.overloaded


def serve_ticket(a: Admission, ticket, start_at: float, end_at: float) -> bool:
    if not a.pick_up(ticket, start_at):
        return False
    a.begin(ticket, start_at)
    a.finish(ticket, end_at)
    return True


def test_overload_ends_after_an_interval_of_waits_below_half_the_target_and_not_at_the_first_short_wait():
    a = admission(threads=2, target_ms=20)
    busy(a, 0)
    standing_queue(a, 0.150, wait_ms=25)
    assert a.overloaded
    a.pick_up(a.arrive(0.2 - 15 * MS), 0.2)  # below the target, not below half: still overloaded
    assert a.overloaded
    for ms in range(100):  # 99 ms of waits of 5 ms, the queue never empty
        now = 0.3 + ms * MS
        a.pick_up(a.arrive(now - 5 * MS), now)
    assert a.overloaded
    now = 0.3 + 100.5 * MS  # past the interval
    a.pick_up(a.arrive(now - 5 * MS), now)
    assert not a.overloaded


def test_target_zero_turns_the_time_rule_off():
    a = admission(target_ms=0, max_queued=0)
    busy(a, 100)
    standing_queue(a, 1.0, wait_ms=500)
    assert not a.overloaded
    assert a.arrive(2.0) is not None


def test_the_mean_thread_time_follows_the_requests_served():
    a = admission(threads=1)
    for i in range(200):
        serve(a, i * 1.0, i * 1.0, i * 1.0 + 4 * MS)
    assert abs(a.service_s - 4 * MS) < 0.1 * MS
    assert a.estimate() == a.service_s  # nothing waiting: one request's time on one thread
