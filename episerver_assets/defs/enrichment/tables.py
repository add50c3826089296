"""The enrichment tables: one stream table per configured stream, the ledger and the state.

- `enrichment.<stream>`: one row per profile sent (per audience entry), written once its outcome is
  known: the final answer's status and body, or the reason it failed; plus one text column per mapped
  response field (added with ALTER TABLE when first configured, as the recipients' attributes are).
- `enrichment.enrichment_ledger`: who was sent for which audience entry. Written in the same
  transaction as the stream rows: a member is due while the ledger lacks their current entry.
- `enrichment.enrichment_state`: when each enrichment first ran (members who entered before it are
  skipped when `existing_users` is false).
"""

from __future__ import annotations

import sqlalchemy as sa

from ...warehouse.indexes import create_missing_indexes
from ...warehouse.partition_lock import lock_partition_on_server
from ..campaign.recipient_columns import columns_in_warehouse
from .config import Enrichment

SCHEMA = "enrichment"
TS = sa.DateTime(timezone=True)
metadata = sa.MetaData()

ledger = sa.Table(
    "enrichment_ledger", metadata,
    sa.Column("enrichment", sa.Text, nullable=False, comment="the enrichment's slug"),
    sa.Column("email", sa.Text, nullable=False, comment="the audience member (lower-cased address)"),
    sa.Column("entered_at", TS, nullable=False, comment="the audience entry the request served"),
    sa.Column("request_id", sa.Text, nullable=False, comment="the stream row of the outcome"),
    sa.Column("status", sa.Text, nullable=False, comment="enriched or failed"),
    sa.Column("recorded_at", TS, nullable=False),
    schema=SCHEMA, comment="Who was sent for which audience entry: nobody twice for one entry.",
)

state = sa.Table(
    "enrichment_state", metadata,
    sa.Column("enrichment", sa.Text, nullable=False, comment="the enrichment's slug"),
    sa.Column("activated_at", TS, nullable=False, comment="its first run: 'from now on' for existing_users false"),
    schema=SCHEMA, comment="When each enrichment first ran.",
)

POSTGRESQL_INDEXES = (
    sa.Index("enrichment_ledger_by_entry", ledger.c.enrichment, ledger.c.email, ledger.c.entered_at, unique=True),
)


def _stream_columns() -> list[sa.Column]:
    return [
        sa.Column("request_id", sa.Text, nullable=False, comment="ours, sent as X-Request-Id; unique"),
        sa.Column("enrichment", sa.Text, nullable=False, comment="the enrichment's slug"),
        sa.Column("email", sa.Text, nullable=False, comment="profile key: the audience member's address"),
        sa.Column("person_id", sa.Text, comment="profiles.user_profiles.person_id when sent"),
        sa.Column("entered_at", TS, nullable=False, comment="the audience entry the request served"),
        sa.Column("status", sa.Text, nullable=False, comment="enriched, or failed (see reason)"),
        sa.Column("http_status", sa.BigInteger, comment="the final answer's HTTP status; NULL: none came"),
        sa.Column("reason", sa.Text, comment="why it failed; NULL when enriched"),
        sa.Column("attempts", sa.BigInteger, nullable=False, comment="requests sent for it"),
        sa.Column("body", sa.Text, comment="the final answer's body as received (capped)"),
        sa.Column("sent_at", TS, nullable=False, comment="the first attempt"),
        sa.Column("received_at", TS, nullable=False, comment="the outcome"),
    ]


BASE_STREAM_COLUMNS = frozenset(c.name for c in _stream_columns())


def stream_table(stream: str, mapped_columns: list[str]) -> sa.Table:
    """`enrichment.<stream>` with the base columns and one text column per mapped response field."""
    return sa.Table(stream, sa.MetaData(), *_stream_columns(),
                    *(sa.Column(c, sa.Text, comment="mapped response field") for c in sorted(mapped_columns)),
                    schema=SCHEMA, comment="The enrichment endpoint's answers, one row per profile sent.")


def stream_tables(enrichments: tuple[Enrichment, ...]) -> dict[str, sa.Table]:
    """Stream name -> its table, with the mapped columns of every enrichment writing to it."""
    columns: dict[str, list[str]] = {}
    for enrichment in enrichments:
        columns.setdefault(enrichment.stream, []).extend(enrichment.map.values())
    return {stream: stream_table(stream, names) for stream, names in columns.items()}


def add_missing_text_columns(connection: sa.Connection, table: sa.Table, names: list[str],
                             lock_timeout_seconds: float) -> None:
    """ALTER TABLE ... ADD COLUMN for each name the table lacks (same statement on both engines)."""
    missing = sorted(set(names) - set(columns_in_warehouse(connection, table)))
    if missing and connection.dialect.name == "postgresql":
        lock_partition_on_server(connection, "warehouse tables", "DDL", lock_timeout_seconds)
    target = connection.dialect.identifier_preparer.format_table(table)
    for name in missing:
        connection.execute(sa.text(f"ALTER TABLE {target} ADD COLUMN IF NOT EXISTS {name} TEXT"))


def ensure_enrichment_tables(connection: sa.Connection, enrichments: tuple[Enrichment, ...],
                             lock_timeout_seconds: float) -> dict[str, sa.Table]:
    """Create what is missing (schema, ledger, state, stream tables and their mapped columns)."""
    if connection.dialect.name == "postgresql":
        lock_partition_on_server(connection, "warehouse tables", "DDL", lock_timeout_seconds)
    connection.execute(sa.schema.CreateSchema(SCHEMA, if_not_exists=True))
    tables = stream_tables(enrichments)
    for table in (ledger, state, *tables.values()):
        connection.execute(sa.schema.CreateTable(table, if_not_exists=True))
    for table in tables.values():
        add_missing_text_columns(connection, table, [c.name for c in table.columns], lock_timeout_seconds)
    if connection.dialect.name == "postgresql":
        create_missing_indexes(connection, POSTGRESQL_INDEXES)
    return tables
