"""The pool limits in pools.py, the README, dagster.yaml and the REST per-step share agree."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from episerver_assets.pools import (
    CAMPAIGN_RECIPIENT_READS, CAMPAIGN_REST, CAMPAIGN_REST_CONNECTIONS, CAMPAIGN_SFTP, CAMPAIGN_SOAP, WAREHOUSE,
    closed_loop_pool, pool_limits,
)
from episerver_assets.resources import shared_resources

ROOT = Path(__file__).resolve().parents[1]
_README_FIGURES = re.compile(
    r"(\d+)\s+REST,\s+(\d+)\s+SOAP,\s+(\d+)\s+SFTP,\s+and\s+(\d+)\s+warehouse\s+writer\s+for\s+DuckDB,"
    r".*?or\s+(\d+)\s+on\s+PostgreSQL", re.DOTALL)


def test_the_readme_states_the_limits_of_pools_py():
    figures = _README_FIGURES.search((ROOT / "README.md").read_text(encoding="utf-8"))
    assert figures, "README no longer states the pool limits in the expected sentence"
    rest, soap, sftp, duckdb, postgres = map(int, figures.groups())
    assert {CAMPAIGN_REST: rest, CAMPAIGN_SOAP: soap, CAMPAIGN_SFTP: sftp, WAREHOUSE: duckdb} == pool_limits("duckdb")
    assert pool_limits("postgresql")[WAREHOUSE] == postgres


def test_dagster_yaml_admits_no_more_than_the_smallest_limit_until_the_limits_are_set():
    config = yaml.safe_load((ROOT / "dagster.yaml").read_text(encoding="utf-8"))
    default = config["concurrency"]["pools"]["default_limit"]
    assert default <= min(min(pool_limits(d).values()) for d in ("duckdb", "postgresql"))


def test_rest_steps_in_the_pool_stay_within_campaigns_limits_together():
    rest = shared_resources()["rest"]
    steps = pool_limits("duckdb")[CAMPAIGN_REST]
    assert rest.max_connections * steps <= CAMPAIGN_REST_CONNECTIONS
    assert rest.max_concurrent_recipient_reads * steps <= CAMPAIGN_RECIPIENT_READS
    assert rest.max_concurrent_recipient_reads >= 1


def test_the_closed_loop_step_joins_the_scarcer_pool_it_uses():
    for dialect in ("duckdb", "postgresql"):
        limits = pool_limits(dialect)
        assert limits[closed_loop_pool(dialect)] == min(limits[WAREHOUSE], limits[CAMPAIGN_SFTP])


def test_the_closed_loop_assets_sit_in_that_pool():
    from episerver_assets.definitions import build_definitions

    graph = build_definitions().resolve_asset_graph()
    pools = {frozenset(graph.get(key).pools or ()) for key in graph.get_all_asset_keys()
             if key.path[0] == "closed_loop" and graph.get(key).is_materializable}
    assert pools == {frozenset({closed_loop_pool()})}
