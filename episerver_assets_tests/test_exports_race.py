"""Two processes applying the same export at once (an automation run beside a manual one) send every
row once, on both engines: the export's lock makes the second wait and then find nothing left."""

from __future__ import annotations

from collections import Counter

from .exports_support import ExportWorld, person
from .process_race import race

MEMBERS = 60


def _apply(warehouse_url: str, start, results) -> None:
    import dagster as dg

    from episerver_assets.campaign.rest import CampaignRestResource
    from episerver_assets.defs.exports.apply_asset import build_apply_asset
    from episerver_assets.defs.exports.config import Export
    from episerver_assets.resources import rest_resource
    from episerver_assets.settings import load_settings
    from episerver_assets.warehouse import WarehouseResource

    try:
        export = Export(name="newsletter", audiences=("openers", "clickers"), recipient_list_id=58001000998,
                        membership_field="audiences")
        rest = CampaignRestResource(**{**rest_resource(load_settings()).model_dump(), "bulk_batch_size": 5})
        start.wait(timeout=60)
        result = dg.materialize([build_apply_asset(export)], raise_on_error=False,
                                resources={"warehouse": WarehouseResource(url=warehouse_url), "rest": rest})
        [event] = result.get_asset_materialization_events() or [None]
        sent = event.materialization.metadata["dagster/row_count"].value if event else None
        results.put(("ok", sent) if result.success else ("failed", None))
    except Exception as error:  # reported to the test, which fails on it
        results.put((f"{type(error).__name__}: {error}", None))


def test_two_processes_applying_one_plan_send_each_row_once(sandbox, sandbox_env, warehouse_url, tmp_path):
    world = ExportWorld(sandbox, warehouse_url, tmp_path)
    world.suppress()
    world.people(*(person(n, opens=1) for n in range(MEMBERS)))
    assert world.plan().success

    outcomes = race(_apply, warehouse_url)

    assert sorted(outcomes) == [("ok", 0), ("ok", MEMBERS)]
    from episerver_assets.defs.exports.tables import sync_results

    per_row = Counter(r["recipient_id"] for r in world.rows(sync_results))
    assert len(per_row) == MEMBERS and set(per_row.values()) == {1}
    assert len(world.recipients()) == MEMBERS
