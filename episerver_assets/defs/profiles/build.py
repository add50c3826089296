"""One profiles build, full or incremental, in one transaction: all of it commits or none of it.

Incremental input:
- activity rows with `landed_request_id` above the last build's: the activity table is filled in
  landing-store order and stores each event once, so those are exactly the events not merged yet;
  the persons they touch are recomputed from all their events (person_events.py);
- recipient rows written (imported_at/deleted_at) since the last build, less an hour's margin for
  writers that committed late: their persons are recomputed, so seeing a row twice is harmless;
- closed-loop rows of the last merged partition date and later (re-read: recomputed, not added).

A full rebuild empties the state and reads everything; it runs when asked, when there is no state,
and when a recipient row the last build knew has vanished or changed its address (identity may then
split, which merging cannot undo). Joining two persons is incremental (identity.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from ...warehouse.indexes import create_missing_indexes
from ...warehouse.partition_lock import lock_partition_on_server
from ..activity.activity_tables import episerver_activity
from ..campaign.recipient_tables import episerver_recipients
from ..closed_loop.warehouse_tables import PARTITION_COLUMN
from .dialect import drop_temp, fragments, raise_duckdb_memory_limit, run, temp_table
from .identity import resolve_persons
from .person_events import FACT_FIELDS, fact_table, keys_and_pairs, new_events
from .profile_rows import COLLECTION_TABLES, rebuild_rows
from .tables import (
    CLOSED_LOOP_TABLES, POSTGRESQL_INDEXES, STATE_TABLES, build_state, closed_loop_table, person_keys,
    recipient_identities, user_profiles,
)

RECIPIENTS_MARGIN = dt.timedelta(hours=1)
TEMP_TABLES = ("pf_new_events", "pf_person_events", "pf_recipients", "pf_edges", "pf_nodes",
               "pf_graph", "pf_links", "pf_labels", "pf_moves", "pf_affected", "pf_persons", "pf_keys",
               "pf_live_recipients", "pf_latest", "pf_times", "pf_summary",
               "pf_recipient_dates", "pf_closed_loop", *COLLECTION_TABLES,
               *map(fact_table, FACT_FIELDS))


@dataclass(frozen=True)
class BuildResult:
    full: bool
    reason: str
    events_merged: int
    persons_changed: int
    persons_merged: int
    row_count: int


def _closed_loop_union(select: str) -> str:
    return " UNION ALL ".join(
        select.format(table=closed_loop_table(name).fullname) for name in CLOSED_LOOP_TABLES)


def _changed_identities(connection: sa.Connection) -> int:
    return int(run(connection, f"""
        SELECT count(*) FROM {recipient_identities.fullname} s
        LEFT JOIN {episerver_recipients.fullname} r
          ON r.recipient_list_id = s.recipient_list_id AND r.ep_recipient_id = s.ep_recipient_id
        WHERE s.email <> '' AND (r.ep_recipient_id IS NULL OR coalesce(lower(r.email), '') <> s.email)""").scalar())


def _why_full(connection: sa.Connection, state, asked: bool) -> str | None:
    if asked:
        return "full rebuild requested"
    if state is None:
        return "no previous build"
    if _changed_identities(connection):
        return "a recipient's address changed or its row vanished"
    return None


def _empty_state(connection: sa.Connection) -> None:
    """The state tables are dropped and created again inside the transaction: deleting tens of millions
    of rows would cost DuckDB their undo in memory (beyond its limit) and PostgreSQL index upkeep
    during the refill (its indexes come back after it, `_index_state`). The profiles themselves are
    deleted on PostgreSQL, so its readers keep seeing the old ones until the commit."""
    postgresql = connection.dialect.name == "postgresql"
    for table in (*STATE_TABLES, user_profiles):
        if postgresql and table is user_profiles:
            run(connection, f"DELETE FROM {table.fullname}")
        else:
            connection.execute(sa.schema.DropTable(table))
            connection.execute(sa.schema.CreateTable(table))


def _index_state(connection: sa.Connection) -> None:
    if connection.dialect.name == "postgresql":
        create_missing_indexes(connection, POSTGRESQL_INDEXES)


def _input_marks(connection: sa.Connection) -> tuple:
    """How far each input goes now: activity request id, recipients write time, closed-loop date."""
    recipients = episerver_recipients.fullname
    closed_loop_days = _closed_loop_union(f"SELECT max({PARTITION_COLUMN}) AS d FROM {{table}}")
    return (
        run(connection, f"SELECT max(landed_request_id) FROM {episerver_activity.fullname}").scalar(),
        run(connection, f"SELECT max(CASE WHEN deleted_at > imported_at THEN deleted_at ELSE imported_at END) "
                        f"FROM {recipients}").scalar(),
        run(connection, f"SELECT max(d) FROM ({closed_loop_days}) AS days").scalar(),
    )


def _changed_recipients(connection: sa.Connection, written_since: dt.datetime | None) -> None:
    """pf_recipients: the recipient rows written since the last build (all of them when None)."""
    since = "" if written_since is None else "WHERE imported_at > :since OR deleted_at > :since"
    temp_table(connection, "pf_recipients", f"""
        SELECT recipient_list_id, ep_recipient_id, coalesce(lower(email), '') AS email
        FROM {episerver_recipients.fullname} {since}""", since=written_since)


def _affected_persons(connection: sa.Connection, closed_loop_since: dt.date | None) -> None:
    """pf_affected: the persons of every key touched, plus those with closed-loop rows since the date."""
    with_closed_loop = ""
    if closed_loop_since is not None:
        addresses = _closed_loop_union(
            f"SELECT 'e:' || lower(user_id) AS key FROM {{table}} WHERE {PARTITION_COLUMN} >= :since")
        with_closed_loop = (f"UNION SELECT k.person_key FROM {person_keys.fullname} k "
                            f"JOIN ({addresses}) AS touched ON touched.key = k.key")
    temp_table(connection, "pf_affected", f"SELECT DISTINCT label AS person_key FROM pf_labels {with_closed_loop}",
               since=closed_loop_since)


def _remember_recipients(connection: sa.Connection) -> None:
    identities = recipient_identities.fullname
    run(connection, f"""DELETE FROM {identities} WHERE EXISTS (SELECT 1 FROM pf_recipients p
        WHERE p.recipient_list_id = {identities}.recipient_list_id
          AND p.ep_recipient_id = {identities}.ep_recipient_id)""")
    run(connection, f"INSERT INTO {identities} (recipient_list_id, ep_recipient_id, email) "
                    "SELECT recipient_list_id, ep_recipient_id, email FROM pf_recipients")


def build_profiles(connection: sa.Connection, full_rebuild: bool = False,
                   lock_timeout_seconds: float = 600.0) -> BuildResult:
    """Merge what is new since the last build (or everything) into `profiles.user_profiles`.

    Two builds must not both merge the same new events: on PostgreSQL the second waits for the first
    (an advisory lock held until commit); on DuckDB the second process waits for the database file's
    lock, then finds nothing new (test_user_profiles_race)."""
    f = fragments(connection)
    if f.name == "postgresql":
        lock_partition_on_server(connection, user_profiles.fullname, "build", lock_timeout_seconds)
    else:  # the temporary tables need no order, and keeping it costs DuckDB memory
        run(connection, "SET preserve_insertion_order = false")
        raise_duckdb_memory_limit(connection)
    now = dt.datetime.now(dt.UTC)
    state = run(connection, f"SELECT * FROM {build_state.fullname}").first()
    reason = _why_full(connection, state, full_rebuild)
    full = reason is not None
    if full:
        _empty_state(connection)
    activity_mark, recipients_mark, closed_loop_mark = _input_marks(connection)

    up_to = -1 if activity_mark is None else activity_mark
    landed = new_events(connection, None if full else state.activity_request_id, up_to)
    written_since = None if full or state.recipients_written_at is None else state.recipients_written_at
    _changed_recipients(connection, None if written_since is None else written_since - RECIPIENTS_MARGIN)
    events = keys_and_pairs(connection, landed, up_to)
    persons_merged = resolve_persons(connection, f)
    drop_temp(connection, "pf_new_events")
    # closed-loop rows arriving while there were none before count from the first date on
    _affected_persons(connection, None if full else state.closed_loop_date or dt.date(1970, 1, 1))
    deleted, persons_changed = rebuild_rows(connection, f, up_to, now)
    row_count = (0 if full else state.profiles or 0) - deleted + persons_changed
    _remember_recipients(connection)
    run(connection, f"DELETE FROM {build_state.fullname}")
    run(connection, f"""INSERT INTO {build_state.fullname}
        (activity_request_id, recipients_written_at, closed_loop_date, profiles, built_at)
        VALUES (:activity, :recipients, :closed_loop, :profiles, :now)""",
        activity=activity_mark, recipients=recipients_mark, closed_loop=closed_loop_mark, profiles=row_count,
        now=now)
    drop_temp(connection, *TEMP_TABLES)
    if full:
        _index_state(connection)
    return BuildResult(full, reason or "incremental", events, persons_changed, persons_merged, row_count)
