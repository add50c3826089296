"""The exports' warehouse tables: the owned-membership ledger, plans and their rows, per-row results."""

from __future__ import annotations

import sqlalchemy as sa

from ...warehouse.indexes import create_missing_indexes

SCHEMA = "exports"
TS = sa.DateTime(timezone=True)

metadata = sa.MetaData()


def _export_and_recipient() -> list[sa.Column]:
    return [sa.Column("export", sa.Text, nullable=False, comment="the export's name"),
            sa.Column("recipient_id", sa.Text, nullable=False, comment="the recipient id in the list")]


owned_members = sa.Table(
    "owned_members", metadata, *_export_and_recipient(),
    sa.Column("email", sa.Text, nullable=False, comment="the member's lower-cased address"),
    sa.Column("added_by_us", sa.Boolean, nullable=False,
              comment="this export added the recipient to the list (only such recipients are ever removed)"),
    sa.Column("active", sa.Boolean, nullable=False, comment="the member is in an exported audience"),
    sa.Column("membership_sent", sa.Text,
              comment="the membership field's value this export last set; NULL: never set (never cleared)"),
    sa.Column("payload_sent", sa.Text, comment="JSON of the list fields this export last set"),
    sa.Column("first_sent_at", TS, nullable=False, comment="first successful write"),
    sa.Column("last_sent_at", TS, nullable=False, comment="last successful write"),
    sa.Column("exited_at", TS, comment="when the member left every exported audience"),
    schema=SCHEMA,
    comment="What each export put into its recipient list: an exit never touches what it did not add or set.",
)

plans = sa.Table(
    "plans", metadata,
    sa.Column("plan_id", sa.Text, nullable=False, comment="the Dagster run that made the plan"),
    sa.Column("export", sa.Text, nullable=False, comment="the export's name"),
    sa.Column("recipient_list_id", sa.BigInteger, nullable=False),
    sa.Column("planned_at", TS, nullable=False),
    sa.Column("list_size", sa.BigInteger, nullable=False, comment="recipients in the list when planned"),
    sa.Column("changes", sa.BigInteger, nullable=False, comment="rows that write to Campaign"),
    sa.Column("suppressed", sa.BigInteger, nullable=False, comment="adds and updates of suppressed addresses"),
    sa.Column("status", sa.Text, nullable=False, comment="refused, ready, applied"),
    sa.Column("confirmed", sa.Boolean, nullable=False, comment="run config confirmed the plan despite its check"),
    schema=SCHEMA,
    comment="One row per plan; apply takes the export's latest plan when it is ready.",
)

plan_inputs = sa.Table(
    "plan_inputs", metadata,
    sa.Column("plan_id", sa.Text, nullable=False),
    sa.Column("export", sa.Text, nullable=False, comment="the export's name"),
    sa.Column("scope", sa.Text, nullable=False,
              comment="full (every member compared) or changes (only members changed since the base plan)"),
    sa.Column("reason", sa.Text, nullable=False, comment="why the plan compared what it did"),
    sa.Column("base_plan_id", sa.Text, comment="the applied plan whose inputs a changes-only plan starts from"),
    sa.Column("definition", sa.Text, nullable=False,
              comment="digest of what decides the payloads (audiences, names, fields, identifier, exit)"),
    sa.Column("audiences_seen_to", TS, comment="latest audience_history event of the export's audiences read"),
    sa.Column("profiles_seen_to", TS,
              comment="latest user_profiles.updated_at read, at most the last audiences computation's time"),
    sa.Column("compared", sa.BigInteger, nullable=False,
              comment="members whose wanted rows were computed (in a full plan every member with an id)"),
    schema=SCHEMA,
    comment="What each plan read: the next plan compares only the members changed since the last applied one.",
)

plan_rows = sa.Table(
    "plan_rows", metadata,
    sa.Column("plan_id", sa.Text, nullable=False),
    *_export_and_recipient(),
    sa.Column("email", sa.Text, nullable=False, comment="the member's lower-cased address"),
    sa.Column("action", sa.Text, nullable=False,
              comment="add, update, clear_membership (exit: field set to ''), remove (mirror exit), forget "
                      "(exit without a write)"),
    sa.Column("payload", sa.Text, comment="JSON of the list fields to set"),
    sa.Column("suppressed", sa.Boolean, nullable=False, comment="bounced, unsubscribed or blocklisted"),
    schema=SCHEMA,
    comment="Every row of every plan: what apply sends.",
)

sync_results = sa.Table(
    "sync_results", metadata,
    sa.Column("plan_id", sa.Text, nullable=False),
    *_export_and_recipient(),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False,
              comment="sent, retried (sent after earlier rejections), rejected (retried later), permanent"),
    sa.Column("reason", sa.Text, comment="Campaign's reason for a rejection"),
    sa.Column("attempt", sa.Integer, nullable=False, comment="1 for the first try of this row's change"),
    sa.Column("recorded_at", TS, nullable=False),
    schema=SCHEMA,
    comment="Per-row results of every apply.",
)

row_failures = sa.Table(
    "row_failures", metadata, *_export_and_recipient(),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("payload", sa.Text, comment="the change that was rejected"),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", TS, nullable=False, comment="plans leave the row out until then"),
    sa.Column("permanent", sa.Boolean, nullable=False, comment="given up; a different change is tried again"),
    sa.Column("reason", sa.Text, comment="Campaign's reason for the last rejection"),
    schema=SCHEMA,
    comment="Rows Campaign rejected, their retry schedule and reason.",
)

in_flight = sa.Table(
    "in_flight", metadata,
    sa.Column("plan_id", sa.Text, nullable=False),
    *_export_and_recipient(),
    schema=SCHEMA,
    comment="Rows of a batch sent but not yet recorded, one row each (written by applies before "
            "in_flight_ranges; still read after a crash).",
)

in_flight_ranges = sa.Table(
    "in_flight_ranges", metadata,
    sa.Column("plan_id", sa.Text, nullable=False),
    sa.Column("export", sa.Text, nullable=False, comment="the export's name"),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("first_recipient_id", sa.Text, nullable=False),
    sa.Column("last_recipient_id", sa.Text, nullable=False),
    schema=SCHEMA,
    comment="A group of batches sent but not yet recorded: the plan's rows of the action from the first to the "
            "last recipient id (in the apply's page order). After a crash, those without a result are checked, "
            "not sent again.",
)

# No primary keys: DuckDB checks them eagerly when a transaction deletes and re-inserts a key, and the
# writers here replace rows that way. Keys are kept unique by those writers; PostgreSQL indexes them.
ALL_TABLES = (owned_members, plans, plan_inputs, plan_rows, sync_results, row_failures, in_flight,
              in_flight_ranges)

POSTGRESQL_INDEXES = (
    sa.Index("owned_members_by_key", owned_members.c.export, owned_members.c.recipient_id, unique=True),
    sa.Index("row_failures_by_key", row_failures.c.export, row_failures.c.recipient_id, unique=True),
    sa.Index("plan_rows_by_plan", plan_rows.c.plan_id, plan_rows.c.recipient_id),
    sa.Index("sync_results_by_plan", sync_results.c.plan_id, sync_results.c.recipient_id),
    sa.Index("in_flight_by_plan", in_flight.c.plan_id, in_flight.c.recipient_id),
)
"""Apply pages through a plan's rows with anti-joins on results and in-flight marks: without these
indexes PostgreSQL scans both tables per page (a 1 M-row apply stalled for minutes on one page)."""


def ensure_export_tables(warehouse) -> None:
    warehouse.ensure_table(*ALL_TABLES)
    if warehouse.dialect == "postgresql":
        with warehouse.ddl() as connection:
            create_missing_indexes(connection, POSTGRESQL_INDEXES)
