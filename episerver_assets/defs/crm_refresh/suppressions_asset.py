"""`crm_refresh/suppressions`: everything the refresh must never add again, in `crm_refresh.suppressions`."""

from collections import Counter
from collections.abc import Iterable

import dagster as dg
import pyarrow as pa
import sqlalchemy as sa

from ...campaign.rest import CampaignRestResource
from ...campaign.soap import CampaignSoapResource
from ...pools import CAMPAIGN_REST
from ...warehouse import WarehouseResource
from ...warehouse.bulk_load import load_arrow
from ..crm.contacts import CONTACTS_KEY, contacts
from .matching import SuppressionMatcher
from .suppression_sources import (
    Suppression, blocklist_suppressions, closed_loop_suppressions, rest_suppressions,
)
from .tables import suppressions

OWNER = "team:crm-data"
GROUP = "crm_refresh"
SUPPRESSIONS_KEY = dg.AssetKey(["crm_refresh", "suppressions"])
CLOSED_LOOP_INPUTS = [dg.AssetKey(["closed_loop", "responses"]), dg.AssetKey(["closed_loop", "unsubscribes"])]

_ARROW_SCHEMA = pa.schema([
    ("address", pa.string()), ("reason", pa.string()), ("source", pa.string()),
    ("suppressed_at", pa.timestamp("us", tz="UTC")), ("is_pattern", pa.bool_()),
])
_TYPE_NAMES = {sa.Text: "text", sa.Boolean: "boolean", sa.DateTime: "timestamptz"}


def column_schema() -> dg.TableSchema:
    return dg.TableSchema(columns=[
        dg.TableColumn(c.name, _TYPE_NAMES[type(c.type)], description=c.comment,
                       constraints=dg.TableColumnConstraints(nullable=c.nullable))
        for c in suppressions.columns
    ])


def _distinct(records: Iterable[Suppression]) -> list[Suppression]:
    """One row per address, reason and source, with the latest time any of its records carries."""
    latest: dict[tuple[str, str, str], Suppression] = {}
    for record in records:
        key = (record.address, record.reason, record.source)
        known = latest.get(key)
        if known is None or (record.suppressed_at and (not known.suppressed_at
                                                       or record.suppressed_at > known.suppressed_at)):
            latest[key] = record
    return sorted(latest.values(), key=lambda r: (r.source, r.reason, r.address))


def _as_arrow(records: list[Suppression]) -> pa.Table:
    return pa.Table.from_pylist([
        {"address": r.address, "reason": r.reason, "source": r.source, "suppressed_at": r.suppressed_at,
         "is_pattern": r.is_pattern} for r in records
    ], schema=_ARROW_SCHEMA)


def crm_addresses(warehouse: WarehouseResource) -> list[str]:
    address = sa.func.lower(sa.func.trim(contacts.c.email))
    with warehouse.begin() as connection:
        return list(connection.execute(sa.select(address).where(contacts.c.email.is_not(None)).distinct()).scalars())


def load_matcher(warehouse: WarehouseResource) -> SuppressionMatcher:
    """The stored suppressions as a matcher (the refresh excludes whatever it contains)."""
    with warehouse.begin() as connection:
        rows = connection.execute(sa.select(suppressions.c.address, suppressions.c.is_pattern).distinct()).all()
    return SuppressionMatcher((a for a, pattern in rows if not pattern), (a for a, pattern in rows if pattern))


@dg.asset(
    key=SUPPRESSIONS_KEY,
    deps=[CONTACTS_KEY, *CLOSED_LOOP_INPUTS],
    group_name=GROUP,
    kinds={"sql", "rest", "soap"},
    owners=[OWNER],
    pool=CAMPAIGN_REST,
    metadata={"dagster/table_name": suppressions.fullname, "dagster/column_schema": column_schema()},
)
def crm_suppressions(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, rest: CampaignRestResource,
    soap: CampaignSoapResource,
) -> dg.MaterializeResult:
    """**Suppressions** (seed 003: bounces and unsubscribes reach the CRM before every refresh): hard
    bounces and unsubscribes from the closed-loop response tables and the REST API, and the whole
    blocklist from SOAP RpcBlacklist, patterns such as `*@domain` kept as patterns. Addresses are
    lower-cased; the table is replaced as a whole in one transaction."""
    warehouse.ensure_table(contacts, suppressions)
    records = _distinct([
        *closed_loop_suppressions(warehouse),
        *rest_suppressions(rest, crm_addresses(warehouse)),
        *blocklist_suppressions(soap),
    ])
    with warehouse.begin() as connection:
        connection.execute(suppressions.delete())
        load_arrow(connection, suppressions, _as_arrow(records))
    by_source = Counter(r.source for r in records)
    by_reason = Counter(r.reason for r in records)
    context.log.info(f"stored {len(records)} suppressions: {dict(by_source)}")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(records),
        "patterns": sum(r.is_pattern for r in records),
        **{f"source/{source}": count for source, count in sorted(by_source.items())},
        **{f"reason/{reason}": count for reason, count in sorted(by_reason.items())},
    })
