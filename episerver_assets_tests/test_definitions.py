"""The code location loads, and every asset reads well in the UI."""

from __future__ import annotations

import dagster as dg

from episerver_assets.definitions import build_definitions

defs = build_definitions()


def _asset_specs() -> list[dg.AssetSpec]:
    return list(defs.resolve_all_asset_specs())


def test_definitions_load_and_validate():
    dg.Definitions.validate_loadable(defs)


def test_every_asset_has_a_description_a_group_and_an_owner():
    specs = _asset_specs()
    lacking = {
        spec.key.to_user_string(): [
            what
            for what, present in (
                ("description", bool(spec.description and spec.description.strip())),
                ("group", spec.group_name not in (None, "default")),
                ("owner", bool(spec.owners)),
                ("kinds", bool(spec.kinds)),
            )
            if not present
        ]
        for spec in specs
    }
    assert {key: missing for key, missing in lacking.items() if missing} == {}


def test_every_asset_names_a_known_concurrency_pool():
    from episerver_assets.pools import pool_limits

    known = set(pool_limits("duckdb"))
    graph = defs.resolve_asset_graph()
    pools = {key.to_user_string(): graph.get(key).pools for key in graph.get_all_asset_keys()
             if graph.get(key).is_materializable}
    assert {key: p for key, p in pools.items() if not p or not p <= known} == {}


def test_recipients_webhooks_activity_and_closed_loop_feed_user_profiles_in_one_lineage():
    graph = defs.resolve_asset_graph()

    def parents(key: str) -> set[str]:
        return {parent.to_user_string() for parent in graph.get(dg.AssetKey.from_user_string(key)).parent_keys}

    assert {"campaign/episerver_recipients", "activity/episerver_activity", "closed_loop/opens",
            "closed_loop/clicks", "closed_loop/responses", "closed_loop/unsubscribes"} <= parents("profiles/user_profiles")
    assert parents("activity/episerver_activity") == {"activity/campaign_webhooks"}
    groups = {key: graph.get(dg.AssetKey.from_user_string(key)).group_name for key in (
        "campaign/episerver_recipients", "activity/campaign_webhooks", "activity/episerver_activity",
        "profiles/user_profiles")}
    assert groups == {"campaign/episerver_recipients": "campaign", "activity/campaign_webhooks": "activity",
                      "activity/episerver_activity": "activity", "profiles/user_profiles": "profiles"}
