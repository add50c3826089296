"""Primary-key uniqueness across a whole file, kept as the batches stream by.

Each batch's key column (int64, 8 bytes a row: 80 MB at 10 M rows) is kept; at the end one sort
finds repeated values, and only then are their record numbers looked up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow

from ..schemas import ResponseTable

_SCAN = 65_536


@dataclass(frozen=True)
class DuplicateKey:
    """`value` of the key column occurs at record `first` and again at record `repeated`."""

    value: int
    first: int
    repeated: int


class KeyTracker:
    def __init__(self, table: ResponseTable):
        key = table.primary_key
        if len(key) > 1:
            raise NotImplementedError(f"{table.name}: only single-column primary keys are checked")
        self.column = key[0] if key else None
        self.wire_name = next((c.wire_name for c in table.columns if c.name == self.column), None)
        self._parts: list[np.ndarray] = []

    def add(self, batch: pyarrow.RecordBatch) -> None:
        """`batch` is validated: its key column is int64 without nulls."""
        if self.column is not None:
            self._parts.append(batch.column(self.column).to_numpy())

    def duplicates(self, limit: int) -> list[DuplicateKey]:
        """The first `limit` records (in file order) whose key an earlier record already had."""
        if not self._parts:
            return []
        keys = np.concatenate(self._parts)
        self._parts = []
        ordered = np.sort(keys)
        repeated = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
        del ordered
        if not repeated.size:
            return []
        found: list[DuplicateKey] = []
        first_seen: dict[int, int] = {}
        candidates = np.flatnonzero(np.isin(keys, repeated))
        for start in range(0, candidates.size, _SCAN):
            for record in candidates[start : start + _SCAN].tolist():
                value = int(keys[record])
                if value in first_seen:
                    found.append(DuplicateKey(value, first_seen[value], record))
                    if len(found) == limit:
                        return found
                else:
                    first_seen[value] = record
        return found
