"""The demo's enrichment stages (seed 002): send the source audience to the sandbox's OAuth2-protected
endpoint, rebuild the profiles so the mapped field lands on them, recompute the audiences so the
source audience ("has an address, no UUID") drains. One progress line per stage."""

from __future__ import annotations

from collections.abc import Callable

import dagster as dg
import sqlalchemy as sa

from .progress import stage

PROFILES_KEY = dg.AssetKey(["profiles", "user_profiles"])
AUDIENCE_KEYS = [dg.AssetKey(["audiences", "audience_members"]), dg.AssetKey(["audiences", "audience_history"])]

Keep = Callable[[dg.ExecuteInProcessResult], dg.ExecuteInProcessResult]


def _members(warehouse, audience: str) -> int:
    from ..defs.audiences.tables import audience_members

    query = sa.select(sa.func.count()).select_from(audience_members).where(audience_members.c.audience == audience)
    return int(warehouse.scalar(query))


def _profiles_with(warehouse, columns: list[str]) -> int:
    from ..defs.profiles.tables import user_profiles

    filled = " AND ".join(f"{column} IS NOT NULL" for column in columns)
    return int(warehouse.scalar(f"SELECT count(*) FROM {user_profiles.fullname} WHERE {filled}"))


def _metadata(result: dg.ExecuteInProcessResult) -> dict:
    events = result.get_asset_materialization_events()
    return {k: v.value for e in events for k, v in e.materialization.metadata.items()}


def enrich_source_audiences(defs: dg.Definitions, instance: dg.DagsterInstance, run_config: dict,
                            tags: dict[str, str], keep: Keep) -> None:
    from ..defs.enrichment.assets import ENRICHMENTS

    warehouse = defs.resources["warehouse"]
    job = defs.resolve_job_def("__ASSET_JOB")

    def execute(selection: list[dg.AssetKey]) -> dg.ExecuteInProcessResult:
        return keep(job.execute_in_process(instance=instance, run_config=run_config, tags=tags,
                                           asset_selection=selection, raise_on_error=False))

    before = {e.slug: _members(warehouse, e.source_audience) for e in ENRICHMENTS}
    for enrichment in ENRICHMENTS:
        with stage(f"enriching audience {enrichment.source_audience} ({before[enrichment.slug]:,} members) "
                   "at the sandbox's OAuth2-protected endpoint") as done:
            result = execute([dg.AssetKey(["enrichment", enrichment.slug])])
            m = _metadata(result)
            done(f"{m.get('enriched', 0):,} enriched, {m.get('failed', 0):,} failed, {m.get('requests', 0):,} requests, "
                 f"{m.get('tokens_fetched', 0)} token(s), {m.get('profiles_per_second', 0)}/s" if result.success
                 else "FAILED", ok=result.success)
    columns = sorted({column for e in ENRICHMENTS for column in e.map.values()})
    with stage("rebuilding profiles.user_profiles with the mapped fields") as done:
        result = execute([PROFILES_KEY])
        done(f"{_profiles_with(warehouse, columns):,} profiles with {', '.join(columns)}" if result.success
             else "FAILED", ok=result.success)
    with stage("recomputing the audiences") as done:
        result = execute(AUDIENCE_KEYS)
        sizes = [f"{e.source_audience} {before[e.slug]:,} -> {_members(warehouse, e.source_audience):,} members"
                 for e in ENRICHMENTS]
        done(", ".join(sizes) if result.success else "FAILED", ok=result.success)
