"""Activity folded per (event key, field, value): what every seed rule over events is computed from.

One row per key, field and value with the events' count, first and last time. Counts add, firsts
take the least and lasts the greatest, so a day's new events merge into the stored rows and give
what folding all events at once gives. An event's key is its address when it has one, else its
recipient id; the identity map says which person a key belongs to, so merging two persons later
never rewrites these rows.

Fields: `type` (valuect(type), the first/last open and click, last active), `link`, `mailing`,
`list` (the sets), `hashedurl` (clicks only: valuect(hash(urlmain(link))) from the stored url_hash),
`client`, `email`, `rid` (the latest value wins). Empty values are no values, as in the seed's set().
"""

from __future__ import annotations

import sqlalchemy as sa

from ..activity.activity_tables import episerver_activity
from .dialect import run, temp_table
from .tables import FACTS_UNIQUE_KEY, activity_facts

FIELD_VALUES = {
    "type": "e.type",
    "link": "e.link",
    "mailing": "e.mailing_id",
    "list": "e.recipient_list_id",
    "hashedurl": "CASE WHEN e.type = 'click' THEN CAST(e.url_hash AS VARCHAR) END",
    "client": "e.client_id",
    "email": "lower(e.email)",
    "rid": "e.ep_recipient_id",
}
FACT_COLUMNS = "anchor_key, field, value, events, first_ts, last_ts"


def fold_new_activity(connection: sa.Connection, after_request_id: int | None, up_to_request_id: int,
                      into_empty_store: bool) -> str:
    """Fold the activity landed in (after_request_id, up_to_request_id]; returns the table holding it.

    A day's events go to pf_delta_facts, merged into the stored facts afterwards (merge_into_stored).
    A full build (into_empty_store: the stored facts were just emptied) writes them straight into
    the stored table: copying tens of millions of rows from a temporary table took as long as half the
    folding itself."""
    source = episerver_activity.fullname
    if after_request_id is not None:
        # a day's events: one scan picks them out, the eight branches below read the small copy
        temp_table(connection, "pf_new_events", f"""
            SELECT * FROM {source} WHERE landed_request_id > :after AND landed_request_id <= :up_to""",
                   after=after_request_id, up_to=up_to_request_id)
        source = "pf_new_events"
    anchor = "CASE WHEN e.email <> '' THEN 'e:' || lower(e.email) ELSE 'r:' || e.ep_recipient_id END"
    # one branch per field, each keeping only its non-empty values, rather than a cross join that
    # multiplies every event by eight and filters afterwards
    spread = " UNION ALL ".join(
        f"SELECT {anchor} AS anchor_key, '{field}' AS field, {value} AS value, e.event_ts "
        f"FROM {source} AS e WHERE {value} <> '' AND e.landed_request_id <= :up_to"
        for field, value in FIELD_VALUES.items())
    folded = f"""
        SELECT anchor_key, field, value, count(*) AS events, min(event_ts) AS first_ts, max(event_ts) AS last_ts
        FROM ({spread}) AS spread
        WHERE anchor_key IS NOT NULL
        GROUP BY anchor_key, field, value"""
    if into_empty_store:
        stored = activity_facts.fullname
        run(connection, f"INSERT INTO {stored} ({FACT_COLUMNS}) {folded}", up_to=up_to_request_id)
        return stored
    temp_table(connection, "pf_delta_facts", folded, up_to=up_to_request_id)
    return "pf_delta_facts"


def merge_into_stored(connection: sa.Connection) -> None:
    """Add pf_delta_facts to the stored facts (sums, least firsts, greatest lasts).

    PostgreSQL upserts through its unique index (a day touches a few of tens of millions of rows), in
    the index's order so that each index page is read once; DuckDB, without indexes, rewrites the
    rows it matches."""
    stored = activity_facts.fullname
    columns = FACT_COLUMNS
    if connection.dialect.name == "postgresql":
        run(connection, f"""
            INSERT INTO {stored} AS s ({columns}) SELECT {columns} FROM pf_delta_facts
            ORDER BY anchor_key, field, md5(value)
            ON CONFLICT {FACTS_UNIQUE_KEY} DO UPDATE SET events = s.events + excluded.events,
                first_ts = least(s.first_ts, excluded.first_ts), last_ts = greatest(s.last_ts, excluded.last_ts)""")
        return
    same_row = ("EXISTS (SELECT 1 FROM pf_delta_facts d WHERE d.anchor_key = s.anchor_key "
                "AND d.field = s.field AND d.value = s.value)")
    temp_table(connection, "pf_merged_facts", f"""
        SELECT anchor_key, field, value, sum(events) AS events, min(first_ts) AS first_ts, max(last_ts) AS last_ts
        FROM (SELECT {columns} FROM pf_delta_facts
              UNION ALL SELECT {columns} FROM {stored} AS s WHERE {same_row}) AS both_sides
        GROUP BY anchor_key, field, value""")
    run(connection, f"DELETE FROM {stored} AS s WHERE {same_row}")
    run(connection, f"INSERT INTO {stored} ({columns}) SELECT {columns} FROM pf_merged_facts")


def keys_and_pairs(connection: sa.Connection, new_facts: str) -> None:
    """pf_nodes and pf_edges from the new activity's facts and the changed recipient rows (pf_recipients)."""
    temp_table(connection, "pf_edges", f"""
        SELECT DISTINCT anchor_key AS a, 'r:' || value AS b FROM {new_facts}
        WHERE field = 'rid' AND anchor_key LIKE 'e:%'
        UNION
        SELECT 'e:' || email, 'r:' || ep_recipient_id FROM pf_recipients WHERE email <> ''""")
    temp_table(connection, "pf_nodes", f"""
        SELECT DISTINCT anchor_key AS node FROM {new_facts}
        UNION SELECT 'r:' || ep_recipient_id FROM pf_recipients
        UNION SELECT a FROM pf_edges
        UNION SELECT b FROM pf_edges""")
