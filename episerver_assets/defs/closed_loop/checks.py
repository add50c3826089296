"""Asset checks of the response tables: declared here, evaluated in the same step that loads them.

Every check has one result per day (partition), so the UI says which day a failure is about.

- `schema` (blocking): the file matched its pandera model and loaded; a failure stops everything
  downstream.
- `primary_key_unique`: no key appears twice in the loaded partition (a safety net: the reader
  already rejects files with duplicate keys).
- `foreign_keys` (WARN): rows pointing at mailings, recipients or links the warehouse does not hold.
- `all_files_present` (on mailings): the day's files of the tables in the run were all on the server.
"""

from __future__ import annotations

import warnings

import dagster as dg
import sqlalchemy as sa

from .partitions import daily_partitions
from .schemas import RESPONSE_TABLES, ResponseTable
from .warehouse_tables import PARTITION_COLUMN, warehouse_table

SCHEMA_CHECK = "schema"
PRIMARY_KEY_CHECK = "primary_key_unique"
FOREIGN_KEY_CHECK = "foreign_keys"
ALL_FILES_CHECK = "all_files_present"


def asset_key(table: ResponseTable) -> dg.AssetKey:
    return dg.AssetKey(["closed_loop", table.name])


def _spec(name: str, table: ResponseTable, description: str, blocking: bool = False) -> dg.AssetCheckSpec:
    # Partitioned checks are "preview" in Dagster 1.13, and the only way to report a result per day;
    # the warning would otherwise greet every command that loads the definitions.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return dg.AssetCheckSpec(name, asset=asset_key(table), blocking=blocking, description=description,
                                 partitions_def=daily_partitions)


def check_specs() -> list[dg.AssetCheckSpec]:
    specs = []
    for table in RESPONSE_TABLES.values():
        specs.append(_spec(SCHEMA_CHECK, table, "The file matches its pandera model (columns, types, enums) "
                           "and loaded.", blocking=True))
        if table.primary_key:
            specs.append(_spec(PRIMARY_KEY_CHECK, table, f"{', '.join(table.primary_key)} is unique in the partition."))
        if table.foreign_keys:
            targets = ", ".join(f"{fk.column} -> {fk.references_table}.{fk.references_column}"
                                for fk in table.foreign_keys)
            specs.append(_spec(FOREIGN_KEY_CHECK, table, f"Rows whose keys exist in the warehouse: {targets}."))
    specs.append(_spec(ALL_FILES_CHECK, RESPONSE_TABLES["mailings"],
                       "The day's response files were all on the server (all eight when every table is in the run)."))
    return specs


def duplicate_key_count(connection: sa.Connection, table: ResponseTable, day) -> int:
    target = warehouse_table(table)
    keys = [target.c[name] for name in table.primary_key]
    duplicated = (
        sa.select(*keys).where(target.c[PARTITION_COLUMN] == day).group_by(*keys).having(sa.func.count() > 1)
    ).subquery()
    return int(connection.execute(sa.select(sa.func.count()).select_from(duplicated)).scalar())


def orphan_counts(connection: sa.Connection, table: ResponseTable, day) -> dict[str, int]:
    """Per foreign key, rows of the partition whose referenced row is not in the warehouse."""
    source = warehouse_table(table)
    counts = {}
    for fk in table.foreign_keys:
        referenced = warehouse_table(RESPONSE_TABLES[fk.references_table])
        missing = ~sa.exists().where(referenced.c[fk.references_column] == source.c[fk.column])
        query = sa.select(sa.func.count()).select_from(source).where(
            source.c[PARTITION_COLUMN] == day, source.c[fk.column].is_not(None), missing
        )
        counts[f"{fk.column} -> {fk.references_table}"] = int(connection.execute(query).scalar())
    return counts
