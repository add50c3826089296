"""Enrichment answers as profile columns: each mapped response field (defs/enrichment's `map`) becomes a
text column of `profiles.user_profiles`, filled from the latest enriched answer for the profile's address.

Run at the end of every profiles build, inside its transaction: a rebuilt row comes back without the
columns' values and gets them here again, and answers that landed since the last build are added.
The columns exist from the first build after an enrichment is configured (ALTER TABLE ... ADD COLUMN,
on both engines), so audience filters such as `profile.enrichment_uuid IS NULL` can name them.
"""

from __future__ import annotations

import dagster as dg
import sqlalchemy as sa

from ..enrichment.config import Enrichment, load_enrichments
from ..enrichment.tables import add_missing_text_columns, ensure_enrichment_tables
from .tables import build_state, user_profiles


def mapped_profile_columns() -> frozenset[str]:
    """Every profile column an enrichment fills (the audiences' filters may name them)."""
    return frozenset(column for enrichment in load_enrichments() for column in enrichment.map.values())


def with_mapped_columns(schema: dg.TableSchema) -> dg.TableSchema:
    """The profiles' column schema plus each mapped column, described by the enrichment that fills it."""
    mapped = [dg.TableColumn(column, "text", description=f"enrichment {e.slug}: response field `{field}`")
              for e in load_enrichments() for field, column in e.map.items()]
    return dg.TableSchema(columns=[*schema.columns, *mapped], constraints=schema.constraints)


def _fill(connection: sa.Connection, enrichment: Enrichment, stream: sa.Table) -> int:
    columns = sorted(enrichment.map.values())
    profiles = user_profiles.fullname
    latest = f"""
        SELECT email, {', '.join(columns)} FROM (
            SELECT email, {', '.join(columns)},
                   row_number() OVER (PARTITION BY email ORDER BY received_at DESC, request_id DESC) AS newest
            FROM {stream.fullname} WHERE enrichment = :slug AND status = 'enriched') AS answers
        WHERE newest = 1"""
    changed = " OR ".join(f"{profiles}.{c} IS DISTINCT FROM a.{c}" for c in columns)
    result = connection.execute(sa.text(f"""
        UPDATE {profiles} SET {', '.join(f'{c} = a.{c}' for c in columns)},
            updated_at = (SELECT built_at FROM {build_state.fullname})
        FROM ({latest}) AS a WHERE a.email = {profiles}.email AND ({changed})"""), {"slug": enrichment.slug})
    return max(result.rowcount or 0, 0)


def add_enrichment_columns(connection: sa.Connection, lock_timeout_seconds: float = 600.0) -> dict[str, sa.Table]:
    """Create the enrichment tables and add the mapped columns the profiles lack; returns the stream tables."""
    enrichments = load_enrichments()
    if not enrichments:
        return {}
    streams = ensure_enrichment_tables(connection, enrichments, lock_timeout_seconds)
    add_missing_text_columns(connection, user_profiles, sorted(mapped_profile_columns()), lock_timeout_seconds)
    return streams


def apply_enrichment_columns(connection: sa.Connection, lock_timeout_seconds: float = 600.0) -> int:
    """Add the mapped columns the profiles lack and fill them; returns the profile rows changed."""
    streams = add_enrichment_columns(connection, lock_timeout_seconds)
    return sum(_fill(connection, enrichment, streams[enrichment.stream]) for enrichment in load_enrichments())
