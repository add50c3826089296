"""Rebuild the `user_profiles` rows of the affected persons (pf_affected) from the stored state.

A person's row is computed from everything known about it, never patched: the events of all its
keys, its live recipient rows and its closed-loop rows. So a row is the same whether the
person came from one full build or from many incremental merges.

Choices where the seed gives one value and a person has several:
- `email`, `ep_recipient_id`, `ep_client_id`: the value seen last (events by event time, recipient
  rows by their modified date; ties to the greater value); every address and recipient id is also
  kept in the sets `emails` and `ep_recipient_ids`.
- `ep_created_date`, `ep_modified_date`: both from the live recipient row modified last.
- Closed-loop facts attach to the persons known from recipients or activity by address; an address
  seen only in closed-loop files makes no profile, nor does a person whose only records are recipient
  rows marked deleted (they still link its keys).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ..campaign.recipient_tables import episerver_recipients
from .dialect import Fragments, drop_temp, run, temp_table
from .person_events import FACT_FIELDS, collect_field_facts, collect_person_events, fact_table
from .tables import closed_loop_table, person_keys, user_profiles

BOUNCES = "('bounce', 'temporary_bounce', 'fatal_bounce')"


def _person_facts(connection: sa.Connection, up_to_request_id: int) -> None:
    recipients = episerver_recipients.fullname
    # the steps below group by person: a number groups faster than a text key of 20-odd bytes
    temp_table(connection, "pf_persons", "SELECT person_key, row_number() OVER () AS pid FROM pf_affected")
    temp_table(connection, "pf_keys", f"""
        SELECT k.key, p.pid FROM {person_keys.fullname} k JOIN pf_persons p ON p.person_key = k.person_key""")
    temp_table(connection, "pf_live_recipients", f"""
        SELECT p.pid, r.recipient_list_id, r.ep_recipient_id, lower(r.email) AS email,
               r.ep_created_date, r.ep_modified_date, r.last_active_ts
        FROM {recipients} r JOIN pf_keys p ON p.key = 'r:' || r.ep_recipient_id
        WHERE r.deleted_at IS NULL""")
    collect_person_events(connection, up_to_request_id)
    collect_field_facts(connection)


def _latest_values(connection: sa.Connection, f: Fragments) -> None:
    ranked = " UNION ALL ".join(f"""
        SELECT pid, '{field}' AS field, value FROM (
            SELECT pid, value, row_number() OVER (PARTITION BY pid ORDER BY last_ts DESC NULLS LAST, value{f.c} DESC)
                   AS rank
            FROM {fact_table(field)}) AS ranked
        WHERE rank = 1""" for field in LATEST)
    temp_table(connection, "pf_latest", ranked)
    temp_table(connection, "pf_recipient_dates", f"""
        SELECT pid, ep_created_date, ep_modified_date, last_active_ts FROM (
            SELECT pid, ep_created_date, ep_modified_date,
                   max(last_active_ts) OVER (PARTITION BY pid) AS last_active_ts,
                   row_number() OVER (PARTITION BY pid ORDER BY ep_modified_date DESC NULLS LAST,
                                      recipient_list_id DESC, ep_recipient_id{f.c} DESC) AS rank
            FROM pf_live_recipients) AS ranked
        WHERE rank = 1""")


def _closed_loop(connection: sa.Connection) -> None:
    def rows(table: str, opens: str, clicks: str, hard: str, unsubs: str, bounce_ts: str, unsub_ts: str) -> str:
        return (f"SELECT lower(user_id) AS address, {opens} AS opens, {clicks} AS clicks, {hard} AS hard, "
                f"{unsubs} AS unsubs, {bounce_ts} AS bounce_ts, {unsub_ts} AS unsub_ts "
                f"FROM {closed_loop_table(table).fullname}")

    none = "CAST(NULL AS TIMESTAMP)"
    temp_table(connection, "pf_closed_loop", f"""
        SELECT p.pid, sum(opens) AS opens, sum(clicks) AS clicks, sum(hard) AS hard_bounces,
               sum(unsubs) AS unsubscribes, max(bounce_ts) AS last_bounce_ts, max(unsub_ts) AS last_unsubscribe_ts
        FROM (
            {rows("opens", "1", "0", "0", "0", none, none)}
            UNION ALL {rows("clicks", "0", "1", "0", "0", none, none)}
            UNION ALL {rows("responses", "0", "0", "CASE WHEN category = 'fatal_bounce' THEN 1 ELSE 0 END", "0",
                            f"CASE WHEN category IN {BOUNCES} THEN created END", none)}
            UNION ALL {rows("unsubscribes", "0", "0", "0", "1", none, "created")}
        ) AS events JOIN pf_keys p ON p.key = 'e:' || events.address
        GROUP BY p.pid""")


SETS = {"link": "ep_links", "mailing": "ep_mailing_id", "list": "ep_recipient_list_id", "email": "emails",
        "rid": "ep_recipient_ids", "import_list": "import_recipient_list_ids"}
COUNTS = {"type": "ep_event_type", "hashedurl": "hashedurls"}
LATEST = {"client": "ep_client_id", "email": "email", "rid": "ep_recipient_id"}
COLLECTION_TABLES = tuple(f"pf_{column}" for column in (*COUNTS.values(), *SETS.values()))


def _collection_tables(f: Fragments) -> dict[str, str]:
    """Column -> the temporary table holding it per person, and the SELECT that fills that table."""
    return {
        **{column: f"SELECT pid, {f.json_counts()} AS text FROM {fact_table(field)} GROUP BY pid"
           for field, column in COUNTS.items()},
        **{column: f"SELECT pid, {f.json_set()} AS text FROM {fact_table(field)} GROUP BY pid"
           for field, column in SETS.items()},
    }


def _summary(connection: sa.Connection, f: Fragments) -> None:
    """One table per set or map (`pf_<column>`: pid, text), grouped by person alone, and pf_summary: one
    row per person with its latest values. Every person with a fact has an address or a recipient id
    (an event's key is one of them, a recipient row has an id), so pf_summary lists them all. Separate
    tables joined at the end cost DuckDB about half of collections grouped by (person, field) and
    pivoted into one row (10 M events: 10 CPU s and a join instead of 18 and a 7 s pivot)."""
    for column, select in _collection_tables(f).items():
        temp_table(connection, f"pf_{column}", select)
    latest = [f"max(CASE WHEN field = '{field}' THEN value END) AS {column}" for field, column in LATEST.items()]
    temp_table(connection, "pf_summary", f"SELECT pid, {', '.join(latest)} FROM pf_latest GROUP BY pid")

    def ms(expr: str) -> str:
        return f"date_trunc('milliseconds', {expr})"

    opens, clicks = "value = 'open'", "value = 'click'"
    temp_table(connection, "pf_times", f"""
        SELECT pid,
            {ms(f"min(first_ts) FILTER (WHERE {opens})")} AS ep_firstopen_ts,
            {ms(f"max(last_ts) FILTER (WHERE {opens})")} AS ep_lastopen_ts,
            {ms(f"min(first_ts) FILTER (WHERE {clicks})")} AS ep_firstclick_ts,
            {ms(f"max(last_ts) FILTER (WHERE {clicks})")} AS ep_lastclick_ts,
            {ms("max(last_ts)")} AS last_event_ts,
            {ms("max(last_ts) FILTER (WHERE value IN ('open', 'click'))")} AS last_email_ts
        FROM {fact_table('type')} GROUP BY pid""")


def rebuild_rows(connection: sa.Connection, f: Fragments, up_to_request_id: int,
                 now: dt.datetime) -> tuple[int, int]:
    """Replace the affected persons' rows (and drop those of persons merged away, pf_moves);
    returns the rows deleted and inserted."""
    _person_facts(connection, up_to_request_id)
    drop_temp(connection, "pf_person_events")
    _latest_values(connection, f)
    _summary(connection, f)
    drop_temp(connection, *map(fact_table, FACT_FIELDS))  # the largest: free them before the insert
    _closed_loop(connection)
    profiles = user_profiles.fullname
    deleted = run(connection, f"""
        DELETE FROM {profiles} WHERE person_id IN (
            SELECT md5(person_key) FROM pf_affected UNION SELECT md5(old_key) FROM pf_moves)""").rowcount
    columns = ", ".join(c.name for c in user_profiles.columns)
    collections = " ".join(f"LEFT JOIN {table} ON {table}.pid = x.pid" for table in COLLECTION_TABLES)
    inserted = run(connection, f"""
        INSERT INTO {profiles} ({columns})
        SELECT md5(p.person_key), x.ep_client_id, x.email,
            '{{"email":' || CAST({f.epoch_ms("t.last_email_ts")} AS VARCHAR) || '}}',
            t.ep_lastclick_ts, t.ep_lastopen_ts,
            greatest(t.last_event_ts, date_trunc('milliseconds', rd.last_active_ts)),
            t.ep_firstclick_ts, t.ep_firstopen_ts, x.ep_recipient_id,
            CASE WHEN t.last_email_ts IS NOT NULL THEN '["email"]' END,
            pf_ep_links.text, pf_ep_mailing_id.text, pf_ep_recipient_list_id.text, pf_hashedurls.text,
            pf_ep_event_type.text, rd.ep_created_date, rd.ep_modified_date, pf_emails.text, pf_ep_recipient_ids.text,
            pf_import_recipient_list_ids.text,
            coalesce(cl.opens, 0), coalesce(cl.clicks, 0), coalesce(cl.hard_bounces, 0),
            coalesce(cl.unsubscribes, 0), cl.last_bounce_ts, cl.last_unsubscribe_ts, :now
        FROM pf_summary x JOIN pf_persons p ON p.pid = x.pid
        LEFT JOIN pf_times t ON t.pid = x.pid
        LEFT JOIN pf_recipient_dates rd ON rd.pid = x.pid
        LEFT JOIN pf_closed_loop cl ON cl.pid = x.pid
        {collections}""", now=now).rowcount
    return int(deleted), int(inserted)
