"""The activity a build reads: the new events (for identity) and all events of the affected persons.

No per-event state is stored between builds. A person's row is recomputed from every event of its
keys, so an incremental merge reads the events of the persons the new ones touch, and a full build
reads them all. Storing folded facts per key instead (tried until this design) cost a full build more
than it saved: regrouping tens of millions of facts on text keys, and on PostgreSQL a unique index
over them, took over half the build.

An event's key is its address when it has one, else its recipient id (`e:`/`r:`, see identity.py).
"""

from __future__ import annotations

import sqlalchemy as sa

from ..activity.activity_tables import episerver_activity
from .dialect import run, temp_table

ANCHOR = "CASE WHEN e.email <> '' THEN 'e:' || lower(e.email) ELSE 'r:' || e.ep_recipient_id END"

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
"""What every seed rule over events is computed from: `type` (valuect(type), the first/last open and
click, last active), `link`, `mailing`, `list` (the sets), `hashedurl` (clicks only:
valuect(hash(urlmain(link))) from the stored url_hash), `client`, `email`, `rid` (the latest value
wins). Empty values are no values, as in the seed's set()."""


def new_events(connection: sa.Connection, after_request_id: int | None, up_to_request_id: int) -> str:
    """The table holding the events landed in (after_request_id, up_to_request_id]: the activity
    table itself for a full build (None), else a temporary copy of the day's events."""
    if after_request_id is None:
        return episerver_activity.fullname
    temp_table(connection, "pf_new_events", f"""
        SELECT email, ep_recipient_id, landed_request_id FROM {episerver_activity.fullname}
        WHERE landed_request_id > :after AND landed_request_id <= :up_to""",
               after=after_request_id, up_to=up_to_request_id)
    return "pf_new_events"


def keys_and_pairs(connection: sa.Connection, events: str, up_to_request_id: int) -> int:
    """pf_nodes and pf_edges from the new events and the changed recipient rows (pf_recipients);
    returns how many events there were."""
    landed = "e.landed_request_id <= :up_to"
    temp_table(connection, "pf_edges", f"""
        SELECT DISTINCT 'e:' || lower(e.email) AS a, 'r:' || e.ep_recipient_id AS b FROM {events} e
        WHERE e.email <> '' AND e.ep_recipient_id <> '' AND {landed}
        UNION
        SELECT 'e:' || email, 'r:' || ep_recipient_id FROM pf_recipients WHERE email <> ''""", up_to=up_to_request_id)
    temp_table(connection, "pf_nodes", f"""
        SELECT DISTINCT {ANCHOR} AS node FROM {events} e WHERE {ANCHOR} IS NOT NULL AND {landed}
        UNION SELECT 'r:' || ep_recipient_id FROM pf_recipients
        UNION SELECT a FROM pf_edges
        UNION SELECT b FROM pf_edges""", up_to=up_to_request_id)
    return int(run(connection, f"SELECT count(*) FROM {events} e WHERE {landed}", up_to=up_to_request_id).scalar())


def collect_person_events(connection: sa.Connection, up_to_request_id: int) -> None:
    """pf_person_events: the events of the persons in pf_keys (key -> pid) landed up to the build's
    mark, with the person's number. Read once, then grouped field by field (collect_field_facts)."""
    temp_table(connection, "pf_person_events", f"""
        SELECT p.pid, e.event_ts, e.type, e.link, e.mailing_id, e.recipient_list_id, e.url_hash, e.client_id,
               e.email, e.ep_recipient_id
        FROM {episerver_activity.fullname} e JOIN pf_keys p ON p.key = {ANCHOR}
        WHERE e.landed_request_id <= :up_to""", up_to=up_to_request_id)


RECIPIENT_VALUES = {"email": "r.email", "rid": "r.ep_recipient_id", "import_list": "CAST(r.recipient_list_id AS VARCHAR)"}
"""What the person's live recipient rows (pf_live_recipients) add, dated by their modification."""

FACT_FIELDS = (*FIELD_VALUES, *(field for field in RECIPIENT_VALUES if field not in FIELD_VALUES))


def fact_table(field: str) -> str:
    return f"pf_f_{field}"


def collect_field_facts(connection: sa.Connection) -> None:
    """One table per field, `pf_f_<field>`: (pid, value, events, first_ts, last_ts) per person and
    distinct value. Grouping each field by (person, value) on its own costs PostgreSQL much less than
    one grouping of every field's rows by (person, field, value), whose hash table outgrows work_mem
    and spills (10 M events: 61 CPU s and 127 s wall for that one statement)."""
    for field in FACT_FIELDS:
        sources = []
        if field in FIELD_VALUES:
            value = FIELD_VALUES[field]
            sources.append(f"SELECT e.pid, {value} AS value, 1 AS events, e.event_ts AS first_ts, "
                           f"e.event_ts AS last_ts FROM pf_person_events e WHERE {value} <> ''")
        if field in RECIPIENT_VALUES:
            value = RECIPIENT_VALUES[field]
            sources.append(f"SELECT r.pid, {value} AS value, 0 AS events, r.ep_modified_date AS first_ts, "
                           f"r.ep_modified_date AS last_ts "
                           f"FROM pf_live_recipients r WHERE {value} <> ''")
        temp_table(connection, fact_table(field), f"""
            SELECT pid, value, sum(events) AS events, min(first_ts) AS first_ts, max(last_ts) AS last_ts
            FROM ({" UNION ALL ".join(sources)}) AS facts GROUP BY pid, value""")
