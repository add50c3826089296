"""An apply that dies half-way: re-run, no row is sent twice and none is lost, on both engines."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from episerver_assets.campaign.rest import CampaignRestResource
from episerver_assets.defs.exports import apply_asset, apply_pages, apply_run
from episerver_assets.defs.exports.tables import in_flight, in_flight_ranges, owned_members, sync_results

from .exports_marks import marked_ids
from .exports_support import ExportWorld, failure_of, person


REAL_SEND_BATCH = apply_run.send_batch


class Crash(RuntimeError):
    pass


class RecordingSender:
    """Wraps send_batch: counts every row sent; the chosen calls die after (or before) their request."""

    def __init__(self, die_after: set[int] = frozenset(), die_before: set[int] = frozenset()):
        self.sent, self.calls = Counter(), 0
        self.die_after, self.die_before = die_after, die_before
        self.lock = threading.Lock()

    def __call__(self, client, list_id, rows):
        with self.lock:
            self.calls += 1
            call = self.calls
        if call in self.die_before:
            raise Crash(f"died before sending call {call}")
        outcomes = REAL_SEND_BATCH(client, list_id, rows)
        with self.lock:
            self.sent.update(r.recipient_id for r in rows)
        if call in self.die_after:
            raise Crash(f"died after sending call {call}, before recording it")
        return outcomes


def planned(sandbox, warehouse_url: str, tmp_path, people: int) -> ExportWorld:
    """A plan adding `people` members, not applied yet."""
    world = ExportWorld(sandbox, warehouse_url, tmp_path)
    world.suppress()
    world.people(*(person(n, opens=1) for n in range(1, people + 1)))
    assert world.plan().success
    return world


def small_batches(world: ExportWorld) -> CampaignRestResource:
    return CampaignRestResource(**{**world.rest.model_dump(), "bulk_batch_size": 2})


@pytest.mark.parametrize("dies", ["after_sending", "before_sending"])
def test_an_interrupted_apply_rerun_sends_each_row_once(sandbox, sandbox_env, warehouse_url, tmp_path,
                                                        monkeypatch, dies):
    world = planned(sandbox, warehouse_url, tmp_path, people=7)  # 7 adds: 4 batches of 2
    rest = small_batches(world)
    first = RecordingSender(**({"die_after": {2}} if dies == "after_sending" else {"die_before": {2}}))
    monkeypatch.setattr(apply_run, "send_batch", first)

    interrupted = world.apply(rest)

    assert not interrupted.success and "died" in failure_of(interrupted)
    # the batch that died, and only it, is left in flight without a result
    assert len(marked_ids(world)) == 2
    second = RecordingSender()
    monkeypatch.setattr(apply_run, "send_batch", second)
    rerun = world.apply(rest)
    assert rerun.success, failure_of(rerun)

    everyone = {f"user{n}@example.com" for n in range(1, 8)}
    assert set(world.recipients()) == everyone
    sent = first.sent + second.sent
    assert set(sent) == everyone and max(sent.values()) == 1, (first.sent, second.sent)
    assert len(second.sent) == (0 if dies == "after_sending" else 2)
    results = Counter(r["recipient_id"] for r in world.rows(sync_results))
    assert set(results) == everyone and max(results.values()) == 1
    ledger = world.rows(owned_members)
    assert len(ledger) == 7 and all(r["active"] and r["added_by_us"] for r in ledger)
    assert world.rows(in_flight_ranges) == []


def assert_each_sent_once(world: ExportWorld, *senders: RecordingSender, people: int) -> None:
    everyone = {f"user{n}@example.com" for n in range(1, people + 1)}
    assert set(world.recipients()) == everyone
    sent = sum((sender.sent for sender in senders), Counter())
    assert set(sent) == everyone and max(sent.values()) == 1, [sender.sent for sender in senders]
    results = Counter(r["recipient_id"] for r in world.rows(sync_results))
    assert set(results) == everyone and max(results.values()) == 1
    assert world.rows(in_flight_ranges) == [] and world.rows(in_flight) == []


def test_a_death_in_the_second_group_of_batches_leaves_only_its_unrecorded_rows_in_flight(
        sandbox, sandbox_env, warehouse_url, tmp_path, monkeypatch):
    world = planned(sandbox, warehouse_url, tmp_path, people=9)  # 9 adds: 5 batches of 2, groups of 2 batches
    monkeypatch.setattr(apply_asset, "rest_share_per_step", lambda: (2, 2))
    first = RecordingSender(die_after={3})
    monkeypatch.setattr(apply_run, "send_batch", first)
    assert not world.apply(small_batches(world)).success

    # The third batch died unrecorded; the third group (the fifth batch), marked ahead, was never sent.
    recorded = {r["recipient_id"] for r in world.rows(sync_results)}
    assert sorted(marked_ids(world)) == sorted(set(first.sent) - recorded) and len(marked_ids(world)) == 2
    second = RecordingSender()
    monkeypatch.setattr(apply_run, "send_batch", second)
    assert world.apply(small_batches(world)).success
    assert_each_sent_once(world, first, second, people=9)


def test_rows_marked_one_by_one_by_an_older_apply_are_checked_not_sent_again(sandbox, sandbox_env, warehouse_url,
                                                                              tmp_path, monkeypatch):
    world = planned(sandbox, warehouse_url, tmp_path, people=5)
    first = RecordingSender(die_after={1})
    monkeypatch.setattr(apply_run, "send_batch", first)
    assert not world.apply(small_batches(world)).success
    unrecorded = marked_ids(world)
    assert len(unrecorded) == 2
    # As an apply before range marks left them: one row per recipient in exports.in_flight.
    plan_id = world.rows(in_flight_ranges)[0]["plan_id"]
    with world.warehouse.begin() as connection:
        connection.execute(in_flight_ranges.delete())
        connection.execute(in_flight.insert(), [{"plan_id": plan_id, "export": world.export.name,
                                                 "recipient_id": rid} for rid in unrecorded])
    second = RecordingSender()
    monkeypatch.setattr(apply_run, "send_batch", second)
    assert world.apply(small_batches(world)).success
    assert_each_sent_once(world, first, second, people=5)


def test_pages_of_a_few_rows_send_each_row_once_across_a_death_and_a_rerun(sandbox, sandbox_env, warehouse_url,
                                                                            tmp_path, monkeypatch):
    # Pages of 3 rows: PostgreSQL's by LIMIT, DuckDB's between bounds found up front (and a last page of 1).
    monkeypatch.setattr(apply_pages, "PAGE_ROWS", {"postgresql": 3, "duckdb": 3})
    world = planned(sandbox, warehouse_url, tmp_path, people=10)
    monkeypatch.setattr(apply_asset, "rest_share_per_step", lambda: (2, 2))
    first = RecordingSender(die_after={4})
    monkeypatch.setattr(apply_run, "send_batch", first)
    assert not world.apply(small_batches(world)).success
    second = RecordingSender()
    monkeypatch.setattr(apply_run, "send_batch", second)
    assert world.apply(small_batches(world)).success
    assert_each_sent_once(world, first, second, people=10)
