"""Recording on the apply's warehouse thread, on both engines: a recording failure stops the apply and loses
nothing, and a re-entering member's earlier ledger row (read with its page of plan rows) is replaced, not
duplicated."""

from __future__ import annotations

from collections import Counter

import pytest

from episerver_assets.campaign.rest import CampaignRestResource
from episerver_assets.defs.exports import apply_asset, apply_run, apply_warehouse
from episerver_assets.defs.exports.tables import in_flight_ranges, owned_members, sync_results

from .exports_marks import marked_ids
from .exports_support import ExportWorld, failure_of, person

REAL_RECORD = apply_warehouse.record_batches


class WarehouseDown(RuntimeError):
    pass


def test_a_recording_failure_stops_the_apply_and_the_rerun_loses_nothing(sandbox, sandbox_env, warehouse_url,
                                                                          tmp_path, monkeypatch):
    world = ExportWorld(sandbox, warehouse_url, tmp_path)
    world.suppress()
    world.people(*(person(n, opens=1) for n in range(1, 10)))
    assert world.plan().success
    rest = CampaignRestResource(**{**world.rest.model_dump(), "bulk_batch_size": 2})
    # 5 batches, 2 out at a time and recorded 2 to a transaction: the second recording fails
    monkeypatch.setattr(apply_asset, "rest_share_per_step", lambda: (2, 2))
    monkeypatch.setattr(apply_run, "BATCHES_PER_TRANSACTION", 2)
    calls = Counter()

    def record_then_fail(connection, export, plan_id, batches, at):
        calls["record"] += 1
        if calls["record"] == 2:
            raise WarehouseDown("the warehouse went away while recording")
        return REAL_RECORD(connection, export, plan_id, batches, at)

    monkeypatch.setattr(apply_warehouse, "record_batches", record_then_fail)
    failed = world.apply(rest)

    assert not failed.success and "went away" in failure_of(failed)
    recorded = {r["recipient_id"] for r in world.rows(sync_results)}
    marked = set(marked_ids(world))
    everyone = {f"user{n}@example.com" for n in range(1, 10)}
    assert len(recorded) < len(everyone)
    # What was sent and not recorded is still marked in flight: the rerun checks it instead of losing it.
    assert set(world.recipients()) - recorded <= marked

    monkeypatch.setattr(apply_warehouse, "record_batches", REAL_RECORD)
    rerun = world.apply(rest)
    assert rerun.success, failure_of(rerun)
    results = Counter(r["recipient_id"] for r in world.rows(sync_results))
    assert set(results) == everyone and max(results.values()) == 1
    assert set(world.recipients()) == everyone
    assert world.rows(in_flight_ranges) == []


def test_a_member_back_after_an_exit_keeps_one_ledger_row_and_its_first_send(sandbox, sandbox_env, warehouse_url,
                                                                              tmp_path):
    world = ExportWorld(sandbox, warehouse_url, tmp_path)
    world.suppress()
    world.people(person(1, opens=1), person(2, opens=1))
    world.sync()
    first = {r["recipient_id"]: r["first_sent_at"] for r in world.rows(owned_members)}
    world.people(person(2, opens=1))  # 1 exits: its membership field is cleared, its ledger row kept inactive
    world.sync()
    world.people(person(1, opens=1), person(2, opens=1))  # 1 re-enters: an add over an inactive ledger row
    world.sync()

    ledger = world.rows(owned_members)
    assert Counter(r["recipient_id"] for r in ledger) == {"user1@example.com": 1, "user2@example.com": 1}
    back = next(r for r in ledger if r["recipient_id"] == "user1@example.com")
    assert back["active"] and back["added_by_us"] and back["first_sent_at"] == first["user1@example.com"]


@pytest.mark.parametrize(("at_least", "expected"), [(1, [2, 2, 1]), (3, [3, 2])])
def test_sent_batches_are_recorded_a_transactions_worth_at_a_time(sandbox, sandbox_env, warehouse_url, tmp_path,
                                                                  monkeypatch, at_least, expected):
    world = ExportWorld(sandbox, warehouse_url, tmp_path)
    world.suppress()
    world.people(*(person(n, opens=1) for n in range(1, 10)))
    assert world.plan().success
    # Transactions of the batches out at once (2), or of BATCHES_PER_TRANSACTION when that is more.
    monkeypatch.setattr(apply_asset, "rest_share_per_step", lambda: (2, 2))
    monkeypatch.setattr(apply_run, "BATCHES_PER_TRANSACTION", at_least)
    sizes = []

    def counted(connection, export, plan_id, batches, at):
        sizes.append(len(batches))
        return REAL_RECORD(connection, export, plan_id, batches, at)

    monkeypatch.setattr(apply_warehouse, "record_batches", counted)
    assert world.apply(CampaignRestResource(**{**world.rest.model_dump(), "bulk_batch_size": 2})).success
    assert sizes == expected  # 5 batches: the rest recorded when the apply ends
    assert len(world.rows(sync_results)) == 9
