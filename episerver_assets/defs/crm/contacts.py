"""`crm/contacts`: the CRM's contacts, leads and accounts as the company extracts them into the warehouse.

Nothing here writes the table: a CRM export job outside Dagster fills it (the sandbox demo seeds one
with `sandbox_contacts.seed_crm_contacts`). Audiences join it to `profiles.user_profiles` by e-mail:
the contact's address trimmed and lower-cased equals the profile's `email` (already lower-cased).
"""

from __future__ import annotations

import dagster as dg
import sqlalchemy as sa

SCHEMA = "crm"
OWNER = "team:crm-data"
ENTITY_TYPES = ("contact", "lead", "account")

metadata = sa.MetaData()


def _text(name: str, comment: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.Text, nullable=nullable, comment=comment)


contacts = sa.Table(
    "contacts",
    metadata,
    _text("entity_type", "contact, lead or account (the seed's technical field entity-type)", nullable=False),
    _text("entity_id", "the CRM's id of the entity; unique with entity_type", nullable=False),
    _text("email", "e-mail address as the CRM holds it (any case); joined lower-cased and trimmed"),
    sa.Column("optin_id", sa.BigInteger, comment="Campaign opt-in process id the address was collected "
                                                 "under (the seed's opt-in-id); NULL: no opt-in"),
    _text("optin_description", "the opt-in's description (the seed's technical field description)"),
    _text("media_type", "channel of the address: EMAIL (the seed's media-type)"),
    _text("salutation", "salutation"),
    _text("first_name", "first name"),
    _text("last_name", "last name"),
    _text("company", "company name"),
    _text("city", "city"),
    _text("zip", "postal code"),
    sa.Column("created_at", sa.DateTime(timezone=True), comment="when the CRM created the entity"),
    sa.Column("modified_at", sa.DateTime(timezone=True), comment="when the CRM last changed the entity"),
    schema=SCHEMA,
    comment="The CRM extract: one row per contact, lead or account.",
)


def table_schema(table: sa.Table, constraints: list[str] | None = None) -> dg.TableSchema:
    """`dagster/column_schema` of a warehouse table, from its SQLAlchemy columns and their comments."""

    def type_name(column: sa.Column) -> str:
        if isinstance(column.type, sa.DateTime):
            return "timestamptz" if column.type.timezone else "timestamp"
        return "bigint" if isinstance(column.type, sa.BigInteger) else "text"

    return dg.TableSchema(
        columns=[dg.TableColumn(c.name, type_name(c), description=c.comment,
                                constraints=dg.TableColumnConstraints(nullable=c.nullable))
                 for c in table.columns],
        constraints=dg.TableConstraints(other=constraints or []),
    )


CONTACTS_KEY = dg.AssetKey(["crm", "contacts"])

contacts_spec = dg.AssetSpec(
    key=CONTACTS_KEY,
    description=(
        "**CRM contacts**: the company's CRM extract in the warehouse (`crm.contacts`), one row per "
        "contact, lead or account with its e-mail address, opt-in and names. Loaded by the CRM's own "
        "export, outside this code location; audiences join it to the user profiles by lower-cased e-mail."
    ),
    group_name="crm",
    kinds={"sql"},
    owners=[OWNER],
    metadata={
        "dagster/table_name": contacts.fullname,
        "dagster/column_schema": table_schema(contacts, ["unique (entity_type, entity_id)"]),
    },
)
