"""`activity.episerver_activity` (normalised webhook events) and its rejects table."""

from __future__ import annotations

import sqlalchemy as sa

SCHEMA = "activity"
PARTITION_COLUMN = "event_date"

metadata = sa.MetaData()

episerver_activity = sa.Table(
    "episerver_activity",
    metadata,
    sa.Column("event_id", sa.Text, primary_key=True, comment="SHA-256 of the event's canonical JSON: a redelivery has the same id"),
    sa.Column(PARTITION_COLUMN, sa.Date, nullable=False, comment="UTC date of event_ts (the partition)"),
    sa.Column("event_ts", sa.DateTime(timezone=True), nullable=False, comment="when the event happened"),
    sa.Column("type", sa.Text, nullable=False, comment="event type, lower-cased (open, click, ...)"),
    sa.Column("email", sa.Text, comment="mediaTypesToAddresses.EMAIL lower-cased: the identity key"),
    sa.Column("email_original", sa.Text, comment="mediaTypesToAddresses.EMAIL as delivered"),
    sa.Column("ep_recipient_id", sa.Text, comment="recipientId"),
    sa.Column("mailing_id", sa.Text, comment="mailingId, in decimal"),
    sa.Column("recipient_list_id", sa.Text, comment="userListId, in decimal"),
    sa.Column("client_id", sa.Text, comment="clientId, in decimal"),
    sa.Column("link", sa.Text, comment="clicked URL (clicks only)"),
    sa.Column("url_main", sa.Text, comment="urlmain(link): host[:port] and path"),
    sa.Column("url_hash", sa.BigInteger, comment="hash(urlmain(link)): SipHash-2-4, k0=0, k1=1, signed"),
    sa.Column("landed_request_id", sa.BigInteger, nullable=False, comment="landing store row it came from"),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, comment="when the receiver committed it"),
    schema=SCHEMA,
    comment="Campaign webhook events, one row per distinct event (seed 000, Import Activity).",
)

episerver_activity_rejects = sa.Table(
    "episerver_activity_rejects",
    metadata,
    sa.Column("landed_request_id", sa.BigInteger, primary_key=True, comment="landing store row"),
    sa.Column("event_index", sa.Integer, primary_key=True, comment="position in the delivered array (0 for an object)"),
    sa.Column("reason", sa.Text, nullable=False, comment="why the event was not stored"),
    sa.Column("raw_event", sa.Text, nullable=False, comment="the event's JSON as delivered"),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    schema=SCHEMA,
    comment="Webhook events that could not be normalised, with the reason.",
)
