"""Merging day by day gives what one full build gives, on both engines; the asset reports it."""

from __future__ import annotations

import dagster as dg
import pytest

from episerver_assets.defs.profiles.assets import user_profiles_asset
from episerver_assets.defs.profiles.tables import person_keys

from .user_profiles_support import build, generated_days, load_day, profile_rows


def test_day_by_day_merges_equal_a_full_rebuild(warehouse):
    build(warehouse)
    results = []
    for day in generated_days(seed=9):
        load_day(warehouse, day)
        results.append(build(warehouse))
    incremental = profile_rows(warehouse)
    assert [r.full for r in results] == [False] * len(results)
    assert sum(r.persons_merged for r in results) > 0  # the days join persons of earlier days
    assert sum(r.events_merged for r in results) == sum(len(day["events"]) for day in generated_days(seed=9))

    rebuilt = build(warehouse, full_rebuild=True)
    assert rebuilt.full and rebuilt.row_count == len(incremental)
    assert profile_rows(warehouse) == incremental
    assert len({row["person_id"] for row in incremental}) == len(incremental)
    assert warehouse.scalar(f"SELECT count(*) - count(DISTINCT key) FROM {person_keys.fullname}") == 0


def test_a_build_without_new_input_changes_nobody(warehouse):
    build(warehouse)
    load_day(warehouse, generated_days(seed=3, days=1)[0])
    build(warehouse)
    before = profile_rows(warehouse)
    again = build(warehouse)
    assert (again.full, again.events_merged, again.persons_merged) == (False, 0, 0)
    assert profile_rows(warehouse) == before


def test_the_asset_reports_rows_and_persons_changed(warehouse):
    resources = {"warehouse": warehouse}
    first = dg.materialize([user_profiles_asset], resources=resources)
    load_day(warehouse, generated_days(seed=5, days=1)[0])
    second = dg.materialize([user_profiles_asset], resources=resources)
    metadata = second.asset_materializations_for_node(user_profiles_asset.op.name)[0].metadata
    assert first.success and second.success
    assert metadata["dagster/row_count"].value == len(profile_rows(warehouse)) > 0
    assert metadata["build"].value == "incremental"
    assert metadata["persons_changed"].value == metadata["dagster/row_count"].value
    columns = [c.name for c in metadata["dagster/column_schema"].schema.columns]
    assert columns[:3] == ["person_id", "ep_client_id", "email"]

    full = dg.materialize([user_profiles_asset], resources=resources,
                          run_config={"ops": {user_profiles_asset.op.name: {"config": {"full_rebuild": True}}}})
    assert full.asset_materializations_for_node(user_profiles_asset.op.name)[0].metadata["build"].value == "full"


def test_a_failed_build_leaves_the_previous_profiles(warehouse, monkeypatch):
    import episerver_assets.defs.profiles.build as build_module

    build(warehouse)
    load_day(warehouse, generated_days(seed=4, days=1)[0])
    build(warehouse)
    before = profile_rows(warehouse)

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(build_module, "rebuild_rows", fail)
    for full in (False, True):
        with pytest.raises(RuntimeError, match="disk full"):
            build(warehouse, full_rebuild=full)
    assert profile_rows(warehouse) == before
    monkeypatch.undo()
    assert build(warehouse).events_merged == 0  # the failed builds merged nothing either
