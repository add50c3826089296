"""The CRM recipients of one opt-in, without suppressed addresses, as addAll3 records.

Read as columns (Arrow on DuckDB, CSV through COPY on PostgreSQL) and kept as Arrow; addAll3 gets Python
values a batch at a time: no object per recipient is held.
The recipient id is the address trimmed and lower-cased (Campaign's lists are keyed by address); when
several entities share an address the first by entity type (contact, lead, account) and id is sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import dagster as dg
import pyarrow as pa
import sqlalchemy as sa

from ...campaign.soap.add_all3 import RecipientColumns
from ...warehouse import WarehouseResource
from ...warehouse.arrow_reads import duckdb_arrow, literal_sql
from ...warehouse.arrow_sequence import ArrowSequence
from ...warehouse.copy_out import arrow_type_of, copy_out
from ..crm.contacts import ENTITY_TYPES, contacts
from .config import RecipientListRefreshConfig
from .matching import SuppressionMatcher


@dataclass(frozen=True)
class Selection:
    optin_id: int
    recipients: RecipientColumns
    entity_types: Sequence[str]
    entity_ids: Sequence[str]
    """Of each recipient, in the order of `recipients`, for the results table."""
    suppressed: int
    duplicates: int

    def __len__(self) -> int:
        return len(self.recipients)

    def entities(self, recipient_ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """(entity type, entity id) of the given recipients."""
        wanted = set(recipient_ids)
        return {rid: (t, e) for rid, t, e in zip(self.recipients.recipient_ids, self.entity_types, self.entity_ids)
                if rid in wanted}


def _query(config: RecipientListRefreshConfig) -> sa.Select:
    columns = sorted({"entity_type", "entity_id", "email", "optin_id", *config.fields})
    unknown = [c for c in columns if c not in contacts.c]
    if unknown:
        raise dg.Failure(f"fields name columns crm.contacts does not have: {', '.join(unknown)}")
    rank = sa.case({t: i for i, t in enumerate(ENTITY_TYPES)}, value=contacts.c.entity_type, else_=len(ENTITY_TYPES))
    query = (sa.select(*(contacts.c[c] for c in columns))
             .where(contacts.c.entity_type.in_(config.entity_types), contacts.c.optin_id.is_not(None),
                    sa.func.trim(sa.func.coalesce(contacts.c.email, "")) != "")
             .order_by(rank, contacts.c.entity_id))
    if config.optin_id is not None:
        query = query.where(contacts.c.optin_id == config.optin_id)
    return query


def _single_optin(optin_ids: set[int], config: RecipientListRefreshConfig) -> int:
    """Seed 003: never mix opt-ins. An empty selection keeps the configured one (the guard decides)."""
    if len(optin_ids) > 1:
        raise dg.Failure(
            f"the selection holds {len(optin_ids)} opt-ins ({', '.join(map(str, sorted(optin_ids)))}); "
            "a recipient list is filled from exactly one: set optin_id or narrow entity_types")
    if optin_ids:
        return next(iter(optin_ids))
    if config.optin_id is None:
        raise dg.Failure("the selection is empty and no optin_id is configured")
    return config.optin_id


_CHUNK_ROWS = 50_000


def _fetched(driver_connection, sql: str) -> dict[str, list]:
    """Rows from a server-side cursor in chunks of plain tuples (SQLAlchemy's row objects cost more than the
    query at a million rows), turned into columns."""
    with driver_connection.cursor(name="crm_refresh_selection") as cursor:
        cursor.execute(sql)
        names = [column.name for column in cursor.description]
        columns: list[list] = [[] for _ in names]
        while rows := cursor.fetchmany(_CHUNK_ROWS):
            for column, values in zip(columns, zip(*rows)):
                column.extend(values)
    return dict(zip(names, columns))


def _read_columns(connection: sa.Connection, query: sa.Select) -> dict[str, pa.ChunkedArray | list]:
    """The query's result by column: Arrow from DuckDB, and from PostgreSQL through COPY as CSV when every
    column arrives exactly that way (`copy_out`); else lists of the cursor's values."""
    if connection.dialect.name == "duckdb":
        table = duckdb_arrow(connection, query)
    else:
        types = {column.name: arrow_type_of(column) for column in query.selected_columns}
        driver, sql = connection.connection.driver_connection, literal_sql(connection, query)
        if not all(types.values()):
            return _fetched(driver, sql)
        table = copy_out(driver, sql, types)
    return {name: table.column(name) for name in table.column_names}


def _kept(values: pa.ChunkedArray | list, kept: list[int] | None) -> Sequence:
    """A selected column, only the `kept` rows (None: all). Arrow stays Arrow: its Python values are made
    a batch at a time, when the batch's envelope is built."""
    if isinstance(values, list):
        return values if kept is None else [values[i] for i in kept]
    return ArrowSequence(values if kept is None else values.take(kept))


def _python(values: pa.ChunkedArray | list) -> list:
    return values if isinstance(values, list) else values.to_pylist()


def select_recipients(warehouse: WarehouseResource, config: RecipientListRefreshConfig,
                      suppressed: SuppressionMatcher) -> Selection:
    with warehouse.begin() as connection:
        columns = _read_columns(connection, _query(config))
    optin_id = _single_optin({int(v) for v in set(_python(columns["optin_id"]))}, config)
    emails = _python(columns["email"])
    kept: list[int] = []
    seen: set[str] = set()
    excluded = duplicates = 0
    for position, email in enumerate(emails):
        address = email.strip().lower()
        if address in suppressed:
            excluded += 1
        elif address in seen:
            duplicates += 1
        else:
            seen.add(address)
            kept.append(position)
    del seen
    rows = None if len(kept) == len(emails) else kept

    def texts(values: list[str]) -> ArrowSequence:
        return ArrowSequence(pa.array(values, pa.large_string()))

    recipients = RecipientColumns(
        texts([emails[i].strip().lower() for i in kept]), texts([emails[i].strip() for i in kept]),
        {field: _kept(columns[column], rows) for column, field in config.fields.items()})
    return Selection(optin_id, recipients, _kept(columns["entity_type"], rows), _kept(columns["entity_id"], rows),
                     excluded, duplicates)
