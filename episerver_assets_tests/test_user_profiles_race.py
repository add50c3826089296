"""Two processes building the user profiles at once over the same new activity (a schedule beside a manual
run) merge it once, on both engines: the build's lock (PostgreSQL's advisory lock, DuckDB's file lock)
makes the later one wait and then find nothing new. The profiles equal one full build's."""

from __future__ import annotations

import sqlalchemy as sa

from episerver_assets.defs.activity.activity_tables import episerver_activity
from episerver_assets.defs.profiles.build import build_profiles
from episerver_assets.defs.profiles.tables import build_state
from episerver_assets.warehouse import WarehouseResource

from .process_race import race
from .user_profiles_support import build, ensure_tables, generated_days, load_day, profile_rows


def _build(warehouse_url: str, start, results) -> None:
    try:
        warehouse = WarehouseResource(url=warehouse_url)
        ensure_tables(warehouse)  # before the start: its DDL would otherwise line the builds up by itself
        start.wait(timeout=60)
        with warehouse.begin() as connection:
            result = build_profiles(connection)
        results.put(("ok", result.full, result.events_merged))
    except Exception as error:  # reported to the test, which fails on it
        results.put((f"{type(error).__name__}: {error}", None, None))


def test_two_processes_building_at_once_merge_the_new_activity_once(warehouse):
    build(warehouse)
    days = generated_days(seed=21, days=4, per_day=60)
    for day in days:
        load_day(warehouse, day)

    outcomes = race(_build, warehouse.resolved_url)

    new_events = sum(len(day["events"]) for day in days)
    assert sorted(outcomes) == [("ok", False, 0), ("ok", False, new_events)]
    raced = profile_rows(warehouse)
    with warehouse.begin() as connection:
        [state] = connection.execute(sa.select(build_state)).all()
        last_request = connection.execute(sa.select(sa.func.max(episerver_activity.c.landed_request_id))).scalar()
    assert (state.activity_request_id, state.profiles) == (last_request, len(raced))
    assert len({row["person_id"] for row in raced}) == len(raced) > 0

    assert build(warehouse, full_rebuild=True).row_count == len(raced)
    assert profile_rows(warehouse) == raced
