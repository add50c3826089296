"""An apply that dies half-way: re-run, no row is sent twice and none is lost, on both engines."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from episerver_assets.campaign.rest import CampaignRestResource
from episerver_assets.defs.exports import apply_run
from episerver_assets.defs.exports.tables import in_flight, owned_members, sync_results

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


def small_batches(world: ExportWorld) -> CampaignRestResource:
    return CampaignRestResource(**{**world.rest.model_dump(), "bulk_batch_size": 2})


@pytest.mark.parametrize("dies", ["after_sending", "before_sending"])
def test_an_interrupted_apply_rerun_sends_each_row_once(sandbox, sandbox_env, warehouse_url, tmp_path,
                                                        monkeypatch, dies):
    world = ExportWorld(sandbox, warehouse_url, tmp_path)
    world.suppress()
    world.people(*(person(n, opens=1) for n in range(1, 8)))  # 7 adds: 4 batches of 2
    assert world.plan().success
    rest = small_batches(world)
    first = RecordingSender(**({"die_after": {2}} if dies == "after_sending" else {"die_before": {2}}))
    monkeypatch.setattr(apply_run, "send_batch", first)

    interrupted = world.apply(rest)

    assert not interrupted.success and "died" in failure_of(interrupted)
    assert len(world.rows(in_flight)) == 2
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
    assert world.rows(in_flight) == []
