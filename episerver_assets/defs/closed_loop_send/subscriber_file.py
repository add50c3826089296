"""The recipient file of a closed-loop send, exactly as seed 004 specifies it.

`;` separated, every field (the header too) in double quotes with quotes doubled inside, LF line
ends, UTF-8 without a byte order mark, the same number of separators on every line, empty fields
empty (`""`). Columns: the main recipient list's fixed six, then the agreed personalisation fields.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

FIXED_COLUMNS = ("Email", "broadmail_ID", "WAVE_ID", "Salutation", "First name", "Last name")
MAX_TEXT = 255
"""Varchar(255) in the seed's table of the main recipient list."""
_NO_LINE_BREAK = r"^[^\r\n]*$"
"""A quoted line break is valid CSV, but the seed's files have one line per recipient."""


class SubscriberFileError(ValueError):
    """Rows that do not make a valid file; the message names rows and columns, never the values."""


def _text(alias: str) -> object:
    return pa.Field(alias=alias, nullable=True, str_length={"max_value": MAX_TEXT}, str_matches=_NO_LINE_BREAK)


class SubscriberRows(pa.DataFrameModel):
    """The fixed columns of `YYYYMMDDHHMMSS_subscribers.csv` (seed 004, main recipient list)."""

    email: Series[str] = pa.Field(
        alias="Email", unique=True, str_length={"max_value": MAX_TEXT}, str_matches=r"^[^\r\n@]+@[^\r\n@]+$"
    )
    broadmail_id: Series[pd.Int64Dtype] = pa.Field(alias="broadmail_ID", gt=0)
    wave_id: Series[pd.Int64Dtype] = pa.Field(alias="WAVE_ID", gt=0, nullable=True)
    salutation: Series[str] = _text("Salutation")
    first_name: Series[str] = _text("First name")
    last_name: Series[str] = _text("Last name")

    class Config:
        ordered = True
        coerce = True


def subscriber_schema(personalisation: Sequence[str]) -> pa.DataFrameSchema:
    """The model's columns followed by the personalisation fields (optional text), nothing else."""
    clash = {name.lower() for name in personalisation} & {name.lower() for name in FIXED_COLUMNS}
    if clash or len({name.lower() for name in personalisation}) != len(personalisation):
        raise SubscriberFileError(
            f"personalisation fields must be unique and differ from the fixed columns: {list(personalisation)}")
    schema = SubscriberRows.to_schema().add_columns(
        {name: pa.Column(str, nullable=True, coerce=True, checks=[
            pa.Check.str_length(max_value=MAX_TEXT), pa.Check.str_matches(_NO_LINE_BREAK)])
         for name in personalisation}
    )
    schema.strict = True
    return schema


def subscriber_frame(
    rows: Sequence[Mapping[str, object]], broadmail_id: int, wave_id: int | None, personalisation: Sequence[str]
) -> pd.DataFrame:
    """Validated rows: each mapping holds Email, the optional names and the personalisation fields."""
    columns = [*FIXED_COLUMNS, *personalisation]
    allowed = set(columns) - {"broadmail_ID", "WAVE_ID"}
    for number, row in enumerate(rows, start=1):
        if unknown := sorted(set(row) - allowed):
            raise SubscriberFileError(f"row {number}: unknown fields {unknown}; allowed: {sorted(allowed)}")
    records = [
        {**{c: row.get(c) for c in columns}, "broadmail_ID": broadmail_id, "WAVE_ID": wave_id} for row in rows
    ]
    frame = pd.DataFrame.from_records(records, columns=columns)
    text_columns = [c for c in columns if c not in ("broadmail_ID", "WAVE_ID")]
    frame[text_columns] = frame[text_columns].astype(object).where(frame[text_columns].notna(), None)
    try:
        return subscriber_schema(personalisation).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        raise SubscriberFileError(_describe(errors)) from None


def _describe(errors: pa.errors.SchemaErrors) -> str:
    """Which check failed in which column and rows: the failure cases may be addresses, so they stay out."""
    cases = errors.failure_cases
    problems = []
    for (column, check), group in cases.groupby(["column", "check"], dropna=False, sort=True):
        rows = sorted({int(i) + 1 for i in group["index"].dropna()})
        where = f" in rows {rows[:10]}" + (" ..." if len(rows) > 10 else "") if rows else ""
        problems.append(f"column {column!r} fails {check}{where}")
    return "invalid subscriber rows: " + "; ".join(problems)


def subscriber_csv(frame: pd.DataFrame) -> bytes:
    """The file's bytes: every field quoted, quotes doubled, empty values as `""`, LF, UTF-8."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", quotechar='"', doublequote=True, quoting=csv.QUOTE_ALL,
                        lineterminator="\n")
    writer.writerow(frame.columns)
    for values in frame.itertuples(index=False, name=None):
        writer.writerow("" if pd.isna(value) else str(value) for value in values)
    return buffer.getvalue().encode("utf-8")
