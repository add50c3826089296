"""What an export wants the list to hold: one row per member of its audiences, computed in SQL.

`export_desired` (a temporary table) holds, per member, the recipient id, the lower-cased address,
the membership value (the names of the exported audiences the member is in, in the export's order,
joined by its separator) and the payload: a JSON object of the list fields to set. The payload's text
is what plans compare with the ledger's `payload_sent`, so it is built by the engine itself, in one
fixed key order.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from ..audiences.config import Audience
from ..audiences.tables import audience_members
from ..profiles.tables import user_profiles
from .config import Export
from .plan_scope import CHANGED
from .tables import owned_members

DESIRED = "export_desired"


class DuplicateRecipientIds(ValueError):
    """Two members would be sent under one recipient id."""


def json_object_sql(pairs: Sequence[tuple[str, str]], engine: str) -> str:
    """A JSON object text of (key literal bind name, value expression) pairs, built by the engine."""
    if not pairs:
        return "'{}'"
    arguments = ", ".join(f"CAST(:{key} AS TEXT), {value}" for key, value in pairs)
    if engine == "postgresql":
        return f"CAST(json_build_object({arguments}) AS TEXT)"
    return f"CAST(json_object({arguments}) AS VARCHAR)"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def member_id_sql(export: Export) -> str:
    """A member's recipient id over `audience_members m` and `user_profiles p`."""
    return "m.email" if export.identifier == "email" else f"CAST(p.{_quoted(export.identifier)} AS TEXT)"


def _rows_and_shared_ids(connection: sa.Connection, export: Export, only_changed: bool) -> tuple[int, int]:
    """The desired rows, and how many members were given another member's recipient id: within those rows,
    and, when only changed members are compared, an unchanged member's id in the ledger."""
    if export.identifier == "email":  # one row per address, the address its id: nothing to share
        return int(connection.execute(sa.text(f"SELECT count(*) FROM {DESIRED}")).scalar_one()), 0
    rows, distinct = connection.execute(
        sa.text(f"SELECT count(*), count(DISTINCT recipient_id) FROM {DESIRED}")).one()
    shared = rows - distinct
    if only_changed:
        shared += connection.execute(sa.text(f"""
            SELECT count(*) FROM {DESIRED} d JOIN {owned_members.fullname} l
              ON l.export = :export AND l.active AND l.recipient_id = d.recipient_id AND l.email <> d.email
            WHERE l.email NOT IN (SELECT email FROM {CHANGED})"""), {"export": export.name}).scalar_one()
    return int(rows), int(shared)


def fill_desired(connection: sa.Connection, export: Export, audiences: Sequence[Audience],
                 only_changed: bool = False) -> int:
    """Create and fill `export_desired` (only the members in `export_changed_members` if `only_changed`);
    returns its rows. DuplicateRecipientIds if ids collide."""
    names = {a.slug: a.name for a in audiences}
    params: dict[str, object] = {"separator": export.separator}
    values = []
    for position, slug in enumerate(export.audiences):
        params[f"slug{position}"], params[f"name{position}"] = slug, names[slug]
        values.append(f"(CAST(:slug{position} AS TEXT), CAST(:name{position} AS TEXT), {position})")
    mapped = list(export.field_mapping.items())
    columns = "".join(f", max(CAST(p.{_quoted(column)} AS TEXT)) AS v{i}" for i, (column, _) in enumerate(mapped))
    identifier = "email" if export.identifier == "email" else "identifier"
    if identifier == "identifier":
        columns += f", max({member_id_sql(export)}) AS identifier"
    pairs = []
    if export.membership_field:
        params["k_membership"] = export.membership_field
        pairs.append(("k_membership", "membership"))
    for i, (_, field) in enumerate(mapped):
        params[f"k{i}"] = field
        pairs.append((f"k{i}", f"v{i}"))
    payload = json_object_sql(pairs, connection.dialect.name)
    connection.execute(sa.text(f"DROP TABLE IF EXISTS {DESIRED}"))
    connection.execute(sa.text(f"""
        CREATE TEMPORARY TABLE {DESIRED} AS
        WITH members AS (
            SELECT m.email, string_agg(a.name, CAST(:separator AS TEXT) ORDER BY a.position) AS membership{columns}
            FROM {audience_members.fullname} m
            JOIN (VALUES {", ".join(values)}) AS a(slug, name, position) ON a.slug = m.audience
            LEFT JOIN {user_profiles.fullname} p ON p.person_id = m.person_id
            {f"WHERE m.email IN (SELECT email FROM {CHANGED})" if only_changed else ""}
            GROUP BY m.email)
        SELECT {identifier} AS recipient_id, email, membership, {payload} AS payload
        FROM members WHERE {identifier} IS NOT NULL AND {identifier} <> ''"""), params)
    rows, shared = _rows_and_shared_ids(connection, export, only_changed)
    if shared:
        raise DuplicateRecipientIds(
            f"export {export.name}: {shared} recipient ids of identifier {export.identifier!r} are shared "
            "by more than one member; each member needs an id of its own")
    return rows
