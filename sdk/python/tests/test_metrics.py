"""Counting and batching: the server's batch rule (per arm, errors and durations never exceed
exposures) holds in every batch; what exceeds is carried, never lost; ids are unique."""

from __future__ import annotations

from canary._metrics import ARM_OFFSET, Counters, Reporter, duration_bucket

CANARY = ARM_OFFSET["canary"]


def bump(counters: Counters, index: int, times: int) -> None:
    for _ in range(times):
        counters.add("f", index)

CONTROL = ARM_OFFSET["control"]


def test_an_error_after_its_exposures_flush_waits_for_the_next_batch_with_exposures() -> None:
    counters = Counters(0.0)
    bump(counters, CANARY, 1)
    first = list(counters.drain(1.0))
    assert first[0]["flags"] == {"f": {"canary": {"exposures": 1, "errors": 0}}}
    bump(counters, CANARY + 1, 1)  # the error arrives after the flush
    bump(counters, CANARY + 2 + duration_bucket(30), 1)
    bump(counters, CANARY + 2 + duration_bucket(3000), 1)
    bump(counters, CANARY, 1)  # one exposure: room for one duration, the slowest
    second = list(counters.drain(1.5))[0]["flags"]["f"]["canary"]
    assert second["errors"] == 1 and second["durations"][duration_bucket(3000)] == 1 and sum(second["durations"]) == 1
    bump(counters, CANARY + 1, 1)  # another error after the flush
    assert list(counters.drain(2.0)) == []  # an errors-only batch would be refused: nothing sent
    bump(counters, CANARY, 2)
    third = list(counters.drain(3.0))
    assert third[0]["flags"]["f"]["canary"]["errors"] == 1
    durations = third[0]["flags"]["f"]["canary"]["durations"]
    assert sum(durations) == 1 and durations[duration_bucket(30)] == 1
    assert third[0]["start"] == 2000 and third[0]["end"] == 3000


def test_errors_beyond_exposures_are_split_and_the_arms_are_independent() -> None:
    counters = Counters(0.0)
    bump(counters, CANARY, 2)
    bump(counters, CANARY + 1, 5)
    bump(counters, CONTROL, 3)
    bump(counters, CONTROL + 1, 1)
    batch = list(counters.drain(1.0))[0]["flags"]["f"]
    assert batch == {"canary": {"exposures": 2, "errors": 2}, "control": {"exposures": 3, "errors": 1}}
    bump(counters, CANARY, 10)
    assert list(counters.drain(2.0))[0]["flags"]["f"]["canary"] == {"exposures": 10, "errors": 3}


def test_unknown_flags_are_mentioned_once_with_no_counts_and_batch_ids_differ() -> None:
    counters = Counters(0.0)
    counters.mention("typo")
    counters.mention("x" * 200)  # longer than the server takes: never named
    a = list(counters.drain(1.0))
    assert a[0]["flags"] == {"typo": {}}
    bump(counters, CANARY, 1)
    b = list(counters.drain(2.0))
    assert a[0]["id"] != b[0]["id"]


def test_the_reporter_is_bounded_and_resends_once_per_connection() -> None:
    reporter = Reporter(limit=3)
    for i in range(5):
        reporter.add({"id": f"b{i}", "flags": {}})
    assert list(reporter.pending) == ["b2", "b3", "b4"] and reporter.dropped == 2
    reporter.connected()
    assert [b["id"] for b in reporter.unsent()] == ["b2", "b3", "b4"]
    assert reporter.unsent() == []
    assert reporter.ack("b3") and not reporter.ack("b3")
    reporter.connected()
    assert [b["id"] for b in reporter.unsent()] == ["b2", "b4"]


def test_duration_buckets_follow_the_shared_bounds() -> None:
    assert [duration_bucket(ms) for ms in (0, 5, 5.1, 10000, 10001)] == [0, 0, 1, 10, 11]
