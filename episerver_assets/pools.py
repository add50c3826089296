"""Concurrency pools shared by every asset that touches the same external system.

Dagster declares pool limits on the instance, not in code: `episerver-assets pools` applies these
(dagster.yaml's `default_limit: 1` holds until then).
"""

from __future__ import annotations

import dagster as dg

CAMPAIGN_REST = "campaign_rest"
CAMPAIGN_SOAP = "campaign_soap"
CAMPAIGN_SFTP = "campaign_sftp"
WAREHOUSE = "warehouse"


def pool_limits(warehouse_dialect: str) -> dict[str, int]:
    """Campaign allows 40 REST and 25 SOAP connections per client; each step uses up to 10.

    The embedded DuckDB file takes one writing process at a time; PostgreSQL takes many.
    """
    return {
        CAMPAIGN_REST: 4,
        CAMPAIGN_SOAP: 2,
        CAMPAIGN_SFTP: 2,
        WAREHOUSE: 1 if warehouse_dialect == "duckdb" else 8,
    }


def apply_pool_limits(instance: dg.DagsterInstance, warehouse_dialect: str) -> dict[str, int]:
    limits = pool_limits(warehouse_dialect)
    for pool, limit in limits.items():
        instance.event_log_storage.set_concurrency_slots(pool, limit)
    return limits
