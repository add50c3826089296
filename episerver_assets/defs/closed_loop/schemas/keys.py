"""Duplicate keys of an Arrow table: the whole-file primary-key check batches cannot make."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow
import pyarrow.compute as pc

DUPLICATE_COUNT_COLUMN = "row_count"


def duplicate_keys(data: pyarrow.Table, key_columns: Sequence[str]) -> pyarrow.Table:
    """The key values that occur more than once, with how often (`row_count`), largest count first.

    Rows with a null in the key are left out, as a SQL unique constraint would.
    """
    if not key_columns:
        raise ValueError("duplicate_keys needs at least one key column")
    keys = data.select(list(key_columns)).drop_null()
    counts = keys.group_by(list(key_columns), use_threads=False).aggregate([([], "count_all")])
    counts = counts.rename_columns({"count_all": DUPLICATE_COUNT_COLUMN})
    repeated = counts.filter(pc.greater(counts[DUPLICATE_COUNT_COLUMN], 1))
    return repeated.sort_by([(DUPLICATE_COUNT_COLUMN, "descending"), *((k, "ascending") for k in key_columns)])
