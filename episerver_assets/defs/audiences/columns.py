"""What audience filters may name: the columns of the two tables an audience is computed over."""

from __future__ import annotations

from ..crm.contacts import contacts
from ..profiles.enrichment_columns import mapped_profile_columns
from ..profiles.tables import user_profiles

FILTER_COLUMNS: dict[str, frozenset[str]] = {
    "profile": frozenset(c.name for c in user_profiles.columns) | mapped_profile_columns(),
    "contact": frozenset(c.name for c in contacts.columns),
}
"""Qualifier -> column names; its keys are the qualifiers filters write (`profile.email`)."""
