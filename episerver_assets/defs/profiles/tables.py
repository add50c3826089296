"""`profiles.user_profiles` and the state tables its incremental merge keeps.

Representation, identical on DuckDB and PostgreSQL (byte for byte, see test_user_profiles_engines):
- sets (`[]string` in the seed) are JSON arrays of strings, distinct, sorted by code point, no spaces:
  `["a","b"]`; maps are JSON objects with keys sorted the same way: `{"click":2,"open":5}`;
  a set or map with no value is NULL (Lytics keeps no field rather than an empty one);
- `epochms()` times are timestamps with time zone, truncated to milliseconds; inside
  `last_channel_activities` they are epoch milliseconds.
"""

from __future__ import annotations

import sqlalchemy as sa

from ...warehouse import WarehouseResource
from ...warehouse.indexes import create_missing_indexes
from ..activity.activity_tables import episerver_activity
from ..campaign.recipient_tables import episerver_recipients
from ..closed_loop.schemas import RESPONSE_TABLES
from ..closed_loop.warehouse_tables import warehouse_table

SCHEMA = "profiles"
CLOSED_LOOP_TABLES = ("opens", "clicks", "responses", "unsubscribes")

metadata = sa.MetaData()

TS = sa.DateTime(timezone=True)


def _text(name: str, comment: str) -> sa.Column:
    return sa.Column(name, sa.Text, comment=comment)


def _ts(name: str, comment: str) -> sa.Column:
    return sa.Column(name, TS, comment=comment)


user_profiles = sa.Table(
    "user_profiles",
    metadata,
    sa.Column("person_id", sa.Text, nullable=False,
              comment="md5 of the person's smallest identity key (see identity.py): stable while that key stays; "
                      "unique"),
    _text("ep_client_id", "clientId of the person's latest event carrying one"),
    _text("email", "unique id: lower-cased address seen last (events: event time; recipients: modified)"),
    _text("last_channel_activities", 'map("email", epochms()) IF type IN (open, click): {"email":<epoch ms>}'),
    _ts("ep_lastclick_ts", "max(epochms()) IF type = click"),
    _ts("ep_lastopen_ts", "max(epochms()) IF type = open"),
    _ts("last_active_ts", "max(epochms()) of every event and the recipients' last_active_ts"),
    _ts("ep_firstclick_ts", "min(epochms()) IF type = click"),
    _ts("ep_firstopen_ts", "min(epochms()) IF type = open"),
    _text("ep_recipient_id", "unique id: recipientId seen last (events: event time; recipients: modified)"),
    _text("channels", 'set("email") IF type IN (open, click): ["email"] or NULL'),
    _text("ep_links", "set(link): JSON array of the distinct clicked links"),
    _text("ep_mailing_id", "set(mailingId): JSON array of decimal mailing ids"),
    _text("ep_recipient_list_id", "set(userListId) of the events: JSON array of decimal list ids"),
    _text("hashedurls", "valuect(hash(urlmain(link))) IF type = click: JSON object, signed decimal hash -> clicks"),
    _text("ep_event_type", "valuect(type): JSON object, lower-case type -> events"),
    _ts("ep_created_date", "todate(created) of the person's recipient row modified last (live rows)"),
    _ts("ep_modified_date", "todate(modified) of that row: the latest modification"),
    _text("emails", "ours: every lower-cased address of the person (events and recipient rows), JSON array"),
    _text("ep_recipient_ids", "ours: every recipient id of the person (events and recipient rows), JSON array"),
    _text("import_recipient_list_ids", "ours: lists the recipients import finds the person in (live rows)"),
    sa.Column("opens", sa.BigInteger, nullable=False, comment="ours: rows in closed_loop.opens"),
    sa.Column("clicks", sa.BigInteger, nullable=False, comment="ours: rows in closed_loop.clicks"),
    sa.Column("hard_bounces", sa.BigInteger, nullable=False,
              comment="ours: closed_loop.responses with category fatal_bounce"),
    sa.Column("unsubscribes", sa.BigInteger, nullable=False, comment="ours: rows in closed_loop.unsubscribes"),
    sa.Column("last_bounce_ts", sa.DateTime, comment="ours: latest closed_loop.responses bounce of any kind, "
              "as Campaign wrote it (no time zone)"),
    sa.Column("last_unsubscribe_ts", sa.DateTime, comment="ours: latest closed_loop.unsubscribes, no time zone"),
    _ts("updated_at", "when this row was last rebuilt or its enrichment columns changed (the build's time)"),
    schema=SCHEMA,
    comment="One row per person: the seed's Episerver user fields plus closed-loop facts.",
)

person_keys = sa.Table(
    "user_profile_keys",
    metadata,
    sa.Column("key", sa.Text, nullable=False, comment="'e:' + lower-cased address or 'r:' + recipient id; unique"),
    sa.Column("person_key", sa.Text, nullable=False, comment="the smallest key of the person's component"),
    schema=SCHEMA,
    comment="Identity: every known key and the person it belongs to.",
)

recipient_identities = sa.Table(
    "user_profile_recipient_identities",
    metadata,
    sa.Column("recipient_list_id", sa.BigInteger, nullable=False),
    sa.Column("ep_recipient_id", sa.Text, nullable=False),
    sa.Column("email", sa.Text, nullable=False, comment="lower-cased address, '' when none"),
    schema=SCHEMA,
    comment="The recipients' addresses as the profiles last merged them: a changed one forces a rebuild.",
)

build_state = sa.Table(
    "user_profile_build_state",
    metadata,
    sa.Column("activity_request_id", sa.BigInteger, comment="landed_request_id merged up to"),
    _ts("recipients_written_at", "latest imported_at/deleted_at of the recipient rows merged"),
    sa.Column("closed_loop_date", sa.Date, comment="latest closed-loop partition merged (re-read next time)"),
    sa.Column("profiles", sa.BigInteger, comment="rows in user_profiles after the build (counting them is slow)"),
    _ts("built_at", "commit time of the build"),
    schema=SCHEMA,
    comment="Where the last build stopped; empty means the next build is a full one.",
)

STATE_TABLES = (person_keys, recipient_identities, build_state)

POSTGRESQL_INDEXES = (
    sa.Index("user_profiles_by_person", user_profiles.c.person_id, unique=True),
    sa.Index("user_profile_keys_by_key", person_keys.c.key, unique=True),
    sa.Index("user_profile_keys_by_person", person_keys.c.person_key),
    sa.Index("user_profiles_by_update", user_profiles.c.updated_at),
)
"""An incremental merge reads the rows of a few persons: PostgreSQL needs indexes to find them without
reading the tables through. The tables declare no primary keys (the build keeps keys unique by
construction) because DuckDB holds a key's index in memory: millions of keys would not fit in its
memory limit, and its column scans find a few persons fast enough. The exports' plans read the rows
rebuilt since they last looked by `updated_at`."""


def closed_loop_table(name: str) -> sa.Table:
    return warehouse_table(RESPONSE_TABLES[name])


def ensure_profile_tables(warehouse: WarehouseResource) -> None:
    """Create the profiles' tables and the input tables they read (empty until their assets run)."""
    warehouse.ensure_table(episerver_activity, episerver_recipients, *map(closed_loop_table, CLOSED_LOOP_TABLES),
                           *STATE_TABLES, user_profiles)
    if warehouse.dialect == "postgresql":
        with warehouse.ddl() as connection:
            create_missing_indexes(connection, POSTGRESQL_INDEXES)
