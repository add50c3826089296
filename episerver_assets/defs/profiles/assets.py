"""`profiles/user_profiles`: one row per person, built in the warehouse from recipients, activity and
the closed-loop tables."""

import dagster as dg
import sqlalchemy as sa

from ...pools import WAREHOUSE
from ...warehouse import WarehouseResource
from ..closed_loop.checks import asset_key as closed_loop_key
from ..closed_loop.schemas import RESPONSE_TABLES
from .build import build_profiles
from .enrichment_columns import apply_enrichment_columns, with_mapped_columns
from .tables import CLOSED_LOOP_TABLES, ensure_profile_tables, user_profiles

OWNER = "team:crm-data"
RECIPIENTS_KEY = dg.AssetKey(["campaign", "episerver_recipients"])
ACTIVITY_KEY = dg.AssetKey(["activity", "episerver_activity"])


def column_schema() -> dg.TableSchema:
    def type_name(column: sa.Column) -> str:
        if isinstance(column.type, sa.DateTime):
            return "timestamptz" if column.type.timezone else "timestamp"
        return "bigint" if isinstance(column.type, sa.BigInteger) else "text"

    return dg.TableSchema(
        columns=[dg.TableColumn(c.name, type_name(c), description=c.comment) for c in user_profiles.columns],
        constraints=dg.TableConstraints(other=["unique (person_id)"]),
    )


class UserProfilesConfig(dg.Config):
    full_rebuild: bool = False
    """Empty the profiles' state and fold all recipients, activity and closed-loop rows again."""


AUTOMATION = dg.AutomationCondition.eager().without(~dg.AutomationCondition.any_deps_missing())
"""Eager: rebuild when activity lands or recipients or a closed-loop day are loaded, so that audiences and
exports follow (they are eager too). The daily-partitioned parents have days missing since the start date;
the build reads whatever is there, so missing days must not hold it back."""


@dg.asset(
    key=["profiles", "user_profiles"],
    group_name="profiles",
    kinds={"sql"},
    owners=[OWNER],
    pool=WAREHOUSE,
    deps=[RECIPIENTS_KEY, ACTIVITY_KEY, *(closed_loop_key(RESPONSE_TABLES[t]) for t in CLOSED_LOOP_TABLES)],
    metadata={"dagster/table_name": user_profiles.fullname, "dagster/column_schema": column_schema()},
    automation_condition=AUTOMATION,
)
def user_profiles_asset(config: UserProfilesConfig, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """**User profiles**: one row per person, with the seed's Episerver user fields (Import Activity and
    Import Recipients mappings) computed exactly, plus opens, clicks, hard bounces and unsubscribes from
    the closed loop. A person is every address and recipient id linked by an event or a recipient row.
    Each run merges the activity landed since the previous one (a full rebuild on request, or when a
    recipient's address changed); the whole build is one transaction in the warehouse."""
    ensure_profile_tables(warehouse)
    with warehouse.begin() as connection:
        result = build_profiles(connection, full_rebuild=config.full_rebuild,
                                lock_timeout_seconds=warehouse.partition_lock_timeout_seconds)
        enriched = apply_enrichment_columns(connection, warehouse.partition_lock_timeout_seconds)
    return dg.MaterializeResult(metadata={
        "dagster/row_count": result.row_count,
        "dagster/column_schema": with_mapped_columns(column_schema()),
        "build": "full" if result.full else "incremental",
        "reason": result.reason,
        "events_merged": result.events_merged,
        "persons_changed": result.persons_changed,
        "persons_merged": result.persons_merged,
        "enrichment_fields_updated": enriched,
    })
