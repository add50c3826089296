"""Two processes running the same enrichment at once (a schedule beside a manual run) never send one profile
twice, on both engines: the enrichment's run lock turns the later one away (or, coming after the first
finished, it finds nobody due)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from episerver_assets.settings import SANDBOX_ENRICHMENT_SECRET
from episerver_assets.warehouse import WarehouseResource

from .enrichment_support import add_members, enrichments_file, ledger_rows
from .process_race import race

EMAILS = [f"racer{n:03d}@example.com" for n in range(300)]


def _run(warehouse_url: str, enrichments: str, start, results) -> None:
    from episerver_assets.defs.enrichment.run import run_enrichment
    from episerver_assets.defs.enrichment.run_lock import EnrichmentBusyError

    from .enrichment_support import the_enrichment

    try:
        warehouse, enrichment = WarehouseResource(url=warehouse_url), the_enrichment(Path(enrichments))
        start.wait(timeout=60)
        summary = run_enrichment(warehouse, enrichment)
        results.put(("ok", summary.enriched))
    except EnrichmentBusyError:
        results.put(("busy", 0))
    except Exception as error:  # reported to the test, which fails on it
        results.put((f"{type(error).__name__}: {error}", None))


def test_two_processes_running_one_enrichment_send_each_profile_once(warehouse, sandbox, sandbox_env, tmp_path,
                                                                    monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TESTS_ENRICHMENT_SECRET", SANDBOX_ENRICHMENT_SECRET)
    enrichments = enrichments_file(tmp_path)
    add_members(warehouse, EMAILS)

    outcomes = race(_run, warehouse.resolved_url, str(enrichments))

    assert sorted(outcomes)[1] == ("ok", len(EMAILS)) and sorted(outcomes)[0] in (("busy", 0), ("ok", 0))
    requests = Counter(request.email for request in sandbox.enrichment.answered())
    assert requests == Counter(EMAILS)
    assert Counter(row.email for row in ledger_rows(warehouse)) == Counter(EMAILS)
