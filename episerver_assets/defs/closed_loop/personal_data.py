"""Which response columns hold personal data, and how the UI shows them: masked unless switched on.

Everything written into Dagster's event log (row previews, failing values, error messages) is
readable by every UI user and kept for good, so personal values are masked there by default.
EPISERVER_PREVIEW_PERSONAL_DATA=true shows them (e.g. on a developer's own sandbox).

Personal: `user_id` (the recipient's e-mail address) and `url` (a link target can carry the
recipient's address or a personalised token). Not masked: `mailing_to_user_id` and the other numeric
ids, which identify nobody without Campaign's own records and are what joins need for debugging.
"""

from __future__ import annotations

import re

import pyarrow as pa

from ...setting_kinds import boolean
from ...settings import setting_value
from .reader import ResponseFileError
from .schemas import ResponseTable

PERSONAL_COLUMNS = frozenset({"user_id", "url"})
SETTING = "EPISERVER_PREVIEW_PERSONAL_DATA"
MASK = "***"
_ADDRESS = re.compile(r"[^\s@'\"<>;,|]+@[^\s@'\"<>;,|]+")


def show_personal_data() -> bool:
    """Read at each use, so a changed setting applies to the next run without a reload."""
    return boolean(setting_value(SETTING, "false"))


def masked_text(text: str) -> str:
    """`text` with anything shaped like an e-mail address masked (for error messages)."""
    return text if show_personal_data() else _ADDRESS.sub(MASK, text)


def _personal_wire_names(table: ResponseTable) -> set[str]:
    return {c.wire_name for c in table.columns if c.name in PERSONAL_COLUMNS}


def _cell(value) -> str:
    return "" if value is None else str(value).replace("|", "\\|").replace("\n", "\\n")


def preview_markdown(rows: pa.Table) -> str:
    """The rows as a Markdown table, personal columns masked unless switched on."""
    show = show_personal_data()
    masked = {name for name in rows.column_names if name in PERSONAL_COLUMNS and not show}
    lines = ["| " + " | ".join(rows.column_names) + " |", "|" + " --- |" * rows.num_columns]
    for row in rows.to_pylist():
        cells = (MASK if name in masked and value is not None else _cell(value) for name, value in row.items())
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _shown_value(error_value: str | None, column: str | None, personal: set[str]) -> str:
    if error_value is None:
        return ""
    if column in personal and not show_personal_data():
        return MASK
    return repr(masked_text(error_value))


def failures_markdown(error: ResponseFileError, table: ResponseTable) -> str:
    """The file's failing rows as a Markdown table (line, column, reason, value), personal values masked."""
    personal = _personal_wire_names(table)
    rows = ["| line | column | reason | value |", "| --- | --- | --- | --- |"]
    for f in error.failures:
        cells = [str(f.line or ""), f.column or "", masked_text(f.reason), _shown_value(f.value, f.column, personal)]
        rows.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    return "\n".join(rows)


def failures_text(error: ResponseFileError, table: ResponseTable) -> str:
    """The failures as log lines, personal values masked."""
    personal = _personal_wire_names(table)
    lines = [f"{error.file} is invalid:"]
    for f in error.failures:
        where = f"line {f.line}" if f.line is not None else "file"
        column = f", column {f.column}" if f.column else ""
        value = f" (value {_shown_value(f.value, f.column, personal)})" if f.value is not None else ""
        lines.append(f"  {where}{column}: {masked_text(f.reason)}{value}")
    if error.expected_header is not None:
        lines.append(f"  expected header: {';'.join(error.expected_header)}")
        lines.append(f"  found header:    {';'.join(error.found_header or ())}")
    return "\n".join(lines)
