"""`campaign.episerver_recipients`: one row per (recipient list, recipient), the seed's fields first.

The chosen attributes of each list are added as further text columns (`attr_<safe name>`) by the
import; the fixed columns below are what user profiles and audiences rely on.
"""

from __future__ import annotations

import sqlalchemy as sa

SCHEMA = "campaign"

metadata = sa.MetaData()

episerver_recipients = sa.Table(
    "episerver_recipients",
    metadata,
    sa.Column("recipient_list_id", sa.BigInteger, primary_key=True, comment="Campaign recipient list id"),
    sa.Column("ep_recipient_id", sa.Text, primary_key=True, comment="Episerver Recipient ID (unique id)"),
    sa.Column("email", sa.Text, comment="E-mail address as Campaign holds it (unique id, compared lower-cased)"),
    sa.Column("ep_created_date", sa.DateTime(timezone=True), comment="Episerver Created Date for Recipient"),
    sa.Column("ep_modified_date", sa.DateTime(timezone=True), comment="Episerver Modified Date for Recipient"),
    sa.Column("last_active_ts", sa.DateTime(timezone=True), comment="Last Active: latest of created and modified"),
    sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False, comment="when this row was last written"),
    sa.Column("deleted_at", sa.DateTime(timezone=True), comment="set when a full pass no longer finds the recipient"),
    schema=SCHEMA,
    comment="Recipients of the configured Campaign recipient lists (seed 000, Import Recipients).",
)

import_state = sa.Table(
    "episerver_recipients_import_state",
    metadata,
    sa.Column("recipient_list_id", sa.BigInteger, primary_key=True, autoincrement=False,
              comment="Campaign recipient list id"),
    sa.Column("watermark", sa.DateTime(timezone=True),
              comment="incremental passes keep recipients created or modified at or after this time"),
    sa.Column("last_full_pass_at", sa.DateTime(timezone=True), nullable=False,
              comment="when a pass last read the whole list and marked deletions"),
    sa.Column("attributes", sa.Text, nullable=False,
              comment="the fields imported by that pass, sorted, one per line: a change forces a full pass"),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, comment="commit time of the last pass"),
    schema=SCHEMA,
    comment="Per recipient list: the recipients import's watermark, written with the rows it covers.",
)
