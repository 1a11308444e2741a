"""Load shedding's decision (service.shedding.Admission), driven with explicit times: a standing queue is refused,
a burst and a busy machine are not."""

from __future__ import annotations

from moderation.service.shedding import PICK_UP, SHED_TO, Admission

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


def serve_ticket(a: Admission, ticket, start_at: float, end_at: float) -> bool:
    """An admitted request from pick-up to the end; return whether it was served."""
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


def test_during_overload_a_request_facing_more_than_a_fifth_of_the_target_is_refused_and_one_facing_less_is_not():
    a = admission(threads=2, target_ms=50)
    busy(a, 0)
    standing_queue(a, 0.150, wait_ms=55)
    assert a.overloaded and SHED_TO == 0.2  # the bound: 10 ms
    a.service_s = 8 * MS  # 2 threads: each one waiting adds 4 ms
    assert a.arrive(0.15) is not None  # 1 waiting (this one): 4 ms
    assert a.arrive(0.15) is not None  # 8 ms
    assert a.arrive(0.15) is None  # 12 ms
    assert a.waiting == 2


def test_a_queue_standing_below_the_target_is_never_refused():
    """A closed loop: more requests in flight than threads, all the time, each waiting a little under the target."""
    a = admission(threads=2, target_ms=50)
    busy(a, 10)
    a.service_s = 9 * MS  # 10 waiting: the next faces 49.5 ms
    standing_queue(a, 10.0, wait_ms=45)
    assert not a.overloaded
    assert all(a.arrive(10.0) for _ in range(10))


def test_during_overload_a_request_that_waited_longer_than_part_of_the_target_is_refused_on_pick_up():
    a = admission(target_ms=50)
    busy(a, 0)
    standing_queue(a, 0.150, wait_ms=55)
    assert a.overloaded and PICK_UP == 0.6  # 30 ms
    a.service_s = 0.0
    late = a.arrive(0.2)
    assert not a.pick_up(late, 0.2 + 31 * MS)
    on_time = a.arrive(0.25)
    assert a.pick_up(on_time, 0.25 + 29 * MS)


def test_overload_ends_after_an_interval_without_a_refusal():
    a = admission(threads=2, target_ms=50)
    running = busy(a, 0)
    standing_queue(a, 0.150, wait_ms=55)
    assert a.overloaded
    a.service_s = 8 * MS
    held = [a.arrive(0.16), a.arrive(0.16)]
    assert all(held) and a.arrive(0.16) is None  # the last refusal, at 0.16
    for ticket in running:  # the load falls: the threads finish, nothing more is refused
        a.finish(ticket, 0.17)
    for ticket in held:
        assert serve_ticket(a, ticket, 0.17, 0.171)
    later = a.arrive(0.25)
    assert later is not None and a.overloaded  # 90 ms since the last refusal
    assert serve_ticket(a, later, 0.25, 0.251)
    assert a.arrive(0.2605) is not None
    assert not a.overloaded


def test_overload_does_not_end_while_refusals_go_on_however_short_the_waits():
    """During overload the refusals keep the waits short; admitting everything again at the first short wait would
    let the queue grow for a whole interval before it counted as overload again."""
    a = admission(threads=2, target_ms=50)
    busy(a, 0)
    standing_queue(a, 0.150, wait_ms=55)
    assert a.overloaded
    a.service_s = 8 * MS
    for ms in range(1000):  # a second of 2 ms waits, two waiting, every thread taken, a refusal every millisecond
        now = 0.2 + ms * MS
        held = [a.arrive(now), a.arrive(now)]
        assert a.arrive(now) is None
        for ticket in held:
            a.pick_up(ticket, now + 2 * MS)
    assert a.overloaded


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
