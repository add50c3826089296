"""Turn one batch of wire values into the model's typed columns and validate it with the model.

The wire values arrive as Arrow binary columns (empty fields already null). Casts are vectorised
Arrow kernels; only when a cast fails does bisection find the failing positions, so a valid batch
pays nothing for error reporting. Nullability and enums are then checked by the pandera model
itself on the Arrow-backed frame (no copy), so the model stays the single source of those rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import pandera.errors
import pyarrow
import pyarrow.compute as pc

from .tables import ColumnSpec, ResponseTable

_TIMESTAMP_LENGTH = 19  # YYYY-MM-DD HH:MM:SS
_DATE_LENGTH = 10  # YYYY-MM-DD, then one space


@dataclass(frozen=True)
class ValueFailure:
    """A value of one record that breaks the model; `row` counts records within the batch from 0."""

    row: int
    column: str
    reason: str
    value: str | None


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("utf-8", errors="backslashreplace")


def _failing_positions(values: pyarrow.Array, convert: Callable[[pyarrow.Array], object], limit: int) -> list[int]:
    """The first `limit` positions whose value `convert` rejects, by bisecting failing slices."""
    found: list[int] = []
    pending = [(0, len(values))]
    while pending and len(found) < limit:
        offset, length = pending.pop()
        try:
            convert(values.slice(offset, length))
        except pyarrow.ArrowInvalid:
            if length == 1:
                found.append(offset)
            else:
                half = length // 2
                pending += [(offset + half, length - half), (offset, half)]
    return found


class _BatchConverter:
    """Casts one batch column by column, recording failures instead of stopping at the first."""

    def __init__(self, raw: pyarrow.RecordBatch, limit: int):
        self.raw, self.limit = raw, limit
        self.failures: list[ValueFailure] = []
        self.failed_columns: set[str] = set()

    def _fail(self, column: ColumnSpec, positions: list[int], reason: str) -> pyarrow.Array:
        raw = self.raw.column(column.name)
        self.failures += [ValueFailure(p, column.wire_name, reason, _text(raw[p].as_py())) for p in positions]
        self.failed_columns.add(column.name)
        return pyarrow.nulls(len(raw), column.arrow_type)

    def _cast(self, column: ColumnSpec, values: pyarrow.Array, target: pyarrow.DataType, reason: str):
        try:
            return values.cast(target)
        except pyarrow.ArrowInvalid:
            positions = _failing_positions(values, lambda part: part.cast(target), self.limit)
            if not positions:  # no single value fails: never null the column silently
                raise
            return self._fail(column, positions, reason)

    def _reject_shapes(self, column: ColumnSpec, values: pyarrow.Array, shape_ok: pyarrow.Array, reason: str):
        """Fails the column if any value has the wrong shape; None when all shapes are right."""
        wrong = pc.invert(pc.fill_null(shape_ok, True))
        if not pc.any(wrong).as_py():
            return None
        positions = pc.indices_nonzero(wrong).slice(0, self.limit).to_pylist()
        return self._fail(column, positions, reason)

    def convert(self, column: ColumnSpec) -> pyarrow.Array:
        raw = self.raw.column(column.name)
        if pyarrow.types.is_string(column.arrow_type):
            return self._cast(column, raw, pyarrow.string(), "not valid UTF-8")
        # Valid ids and timestamps are ASCII, so their shape checks reject invalid UTF-8 as well:
        # viewing the bytes as text saves a validation pass.
        text = raw.view(pyarrow.string())
        if pyarrow.types.is_int64(column.arrow_type):
            reason = "not an integer id (digits only, at most 64 bits)"
            # Arrow's cast also takes "0x1F" and "-5"; ids are plain decimal digits.
            shape_ok = pc.ascii_is_decimal(text)
        elif pyarrow.types.is_timestamp(column.arrow_type):
            reason = "not a timestamp YYYY-MM-DD HH:MM:SS"
            # The cast alone would also take "2021-01-01" and "2021-01-01T12:07:55".
            shape_ok = pc.and_(
                pc.equal(pc.binary_length(text), _TIMESTAMP_LENGTH),
                pc.equal(pc.find_substring(text, " "), _DATE_LENGTH),
            )
        else:
            raise TypeError(f"no wire conversion to {column.arrow_type}")
        rejected = self._reject_shapes(column, text, shape_ok, reason)
        if rejected is not None:
            return rejected
        return self._cast(column, text, column.arrow_type, reason)


def _model_failures(table: ResponseTable, batch: pyarrow.RecordBatch, skip_columns: set[str]) -> list[ValueFailure]:
    """Nullability and enum failures as the pandera model reports them, per record and column.

    Failures of columns whose conversion already failed are left out (they hold nulls by now). A
    failure not tied to a record, such as a wrong dtype, is a bug here, so pandera's error propagates.
    """
    try:
        table.batch_schema.validate(batch.to_pandas(types_mapper=pd.ArrowDtype), lazy=True)
        return []
    except pandera.errors.SchemaErrors as errors:
        cases = errors.failure_cases[["column", "check", "failure_case", "index"]]
        columns = {c.name: c for c in table.columns}
        failures = []
        for name, check, value, row in cases.itertuples(index=False):
            if name in skip_columns:
                continue
            if name not in columns or pd.isna(row):
                raise
            column = columns[name]
            if check == "not_nullable":
                reason, value = "empty value in a required column", None
            elif str(check).startswith("isin"):
                reason = f"not one of {', '.join(column.allowed_values or ())}"
            else:
                reason = f"fails check {check}"
            failures.append(ValueFailure(int(row), column.wire_name, reason, None if pd.isna(value) else str(value)))
        return failures


def validate_batch(
    table: ResponseTable, raw: pyarrow.RecordBatch, limit: int = 20
) -> tuple[pyarrow.RecordBatch, list[ValueFailure]]:
    """The typed batch and up to `limit` failures, first rows first; the batch is meaningless if any.

    `raw` has the table's column names, binary values, and nulls for empty fields.
    """
    converter = _BatchConverter(raw, limit)
    batch = pyarrow.RecordBatch.from_arrays([converter.convert(c) for c in table.columns], schema=table.arrow_schema)
    failures = converter.failures + _model_failures(table, batch, converter.failed_columns)
    if not failures:
        return batch, []
    first_per_value: dict[tuple[int, str], ValueFailure] = {}
    for failure in failures:
        first_per_value.setdefault((failure.row, failure.column), failure)
    order = {c.wire_name: i for i, c in enumerate(table.columns)}
    return batch, sorted(first_per_value.values(), key=lambda f: (f.row, order[f.column]))[:limit]
