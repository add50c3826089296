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
from .tables import activity_facts

_FIELD_VALUES = """CASE f.field
    WHEN 'type' THEN e.type
    WHEN 'link' THEN e.link
    WHEN 'mailing' THEN e.mailing_id
    WHEN 'list' THEN e.recipient_list_id
    WHEN 'hashedurl' THEN CASE WHEN e.type = 'click' THEN CAST(e.url_hash AS VARCHAR) END
    WHEN 'client' THEN e.client_id
    WHEN 'email' THEN lower(e.email)
    WHEN 'rid' THEN e.ep_recipient_id
END"""
FIELDS = ("type", "link", "mailing", "list", "hashedurl", "client", "email", "rid")


def fold_new_activity(connection: sa.Connection, after_request_id: int | None, up_to_request_id: int) -> None:
    """pf_delta_facts: the activity landed in (after_request_id, up_to_request_id], folded."""
    fields = ", ".join(f"('{name}')" for name in FIELDS)
    since = "" if after_request_id is None else "AND e.landed_request_id > :after"
    temp_table(connection, "pf_delta_facts", f"""
        SELECT anchor_key, field, value, count(*) AS events, min(event_ts) AS first_ts, max(event_ts) AS last_ts
        FROM (
            SELECT CASE WHEN e.email <> '' THEN 'e:' || lower(e.email) ELSE 'r:' || e.ep_recipient_id END
                       AS anchor_key,
                   f.field, {_FIELD_VALUES} AS value, e.event_ts
            FROM {episerver_activity.fullname} AS e CROSS JOIN (VALUES {fields}) AS f(field)
            WHERE e.landed_request_id <= :up_to {since}
        ) AS spread
        WHERE value <> '' AND anchor_key IS NOT NULL
        GROUP BY anchor_key, field, value""", after=after_request_id, up_to=up_to_request_id)


def merge_into_stored(connection: sa.Connection, stored_is_empty: bool) -> None:
    """Add pf_delta_facts to the stored facts (sums, least firsts, greatest lasts)."""
    stored = activity_facts.fullname
    columns = "anchor_key, field, value, events, first_ts, last_ts"
    if stored_is_empty:
        run(connection, f"INSERT INTO {stored} ({columns}) SELECT {columns} FROM pf_delta_facts")
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


def keys_and_pairs(connection: sa.Connection) -> None:
    """pf_nodes and pf_edges from the new activity and the changed recipient rows (pf_recipients)."""
    temp_table(connection, "pf_edges", """
        SELECT DISTINCT anchor_key AS a, 'r:' || value AS b FROM pf_delta_facts
        WHERE field = 'rid' AND anchor_key LIKE 'e:%'
        UNION
        SELECT 'e:' || email, 'r:' || ep_recipient_id FROM pf_recipients WHERE email <> ''""")
    temp_table(connection, "pf_nodes", """
        SELECT DISTINCT anchor_key AS node FROM pf_delta_facts
        UNION SELECT 'r:' || ep_recipient_id FROM pf_recipients
        UNION SELECT a FROM pf_edges
        UNION SELECT b FROM pf_edges""")
