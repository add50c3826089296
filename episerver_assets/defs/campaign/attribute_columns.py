"""Campaign field names as warehouse columns: `attr_<safe name>`, lower-case `[a-z0-9_]`.

Field names are free text in Campaign ("Vorname", "PLZ/Ort", "Größe"); a column name must be the
same on DuckDB and PostgreSQL without quoting. Accents are dropped (é -> e), every other run of
characters outside `[a-z0-9]` becomes one `_`. Two fields that come out the same would share one
column and overwrite each other, so the configuration refuses them.
"""

from __future__ import annotations

import re
import unicodedata

PREFIX = "attr_"
MAX_IDENTIFIER_LENGTH = 63
"""PostgreSQL truncates longer identifiers silently; DuckDB does not: refuse rather than diverge."""

_OUTSIDE_SAFE = re.compile(r"[^a-z0-9]+")


def safe_column_name(field_name: str) -> str:
    """`attr_` plus the field name made safe; ValueError if nothing usable is left or it is too long."""
    decomposed = unicodedata.normalize("NFKD", field_name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    safe = _OUTSIDE_SAFE.sub("_", plain).strip("_")
    if not safe:
        raise ValueError(f"field name {field_name!r} has no letters or digits to name a column after")
    column = PREFIX + safe
    if len(column) > MAX_IDENTIFIER_LENGTH:
        raise ValueError(f"field name {field_name!r} gives column {column!r}, longer than "
                         f"{MAX_IDENTIFIER_LENGTH} characters")
    return column


def column_mapping(field_names: list[str]) -> dict[str, str]:
    """Field name -> column for every distinct field; ValueError naming both fields on a collision."""
    mapping: dict[str, str] = {}
    taken: dict[str, str] = {}
    for name in field_names:
        if name in mapping:
            continue
        column = safe_column_name(name)
        if column in taken:
            raise ValueError(f"fields {taken[column]!r} and {name!r} would both be stored in column {column!r}; "
                             "import only one of them")
        mapping[name], taken[column] = column, name
    return mapping
