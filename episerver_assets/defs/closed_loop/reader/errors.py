"""How a response file fails: the first failing rows with file, line, column, reason and value."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

SHOWN_VALUE_CHARS = 80


def shown(value: str | None) -> str | None:
    """A value short enough for a message; secrets never reach here (response files hold none)."""
    if value is None or len(value) <= SHOWN_VALUE_CHARS:
        return value
    return value[: SHOWN_VALUE_CHARS - 1] + "…"


@dataclass(frozen=True)
class RowFailure:
    """One reason a file is invalid. `line` counts physical lines from 1 (the header) and is the line
    where the failing record starts; `column` is the wire name; `value` is shortened."""

    file: str
    line: int | None
    column: str | None
    reason: str
    value: str | None = None

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else "file"
        column = f", column {self.column}" if self.column else ""
        value = f" (value {self.value!r})" if self.value is not None else ""
        return f"{where}{column}: {self.reason}{value}"


class ResponseFileError(ValueError):
    """A response file that does not match its format; `failures` lists the first failing rows."""

    def __init__(
        self,
        file: str,
        failures: Sequence[RowFailure],
        expected_header: Sequence[str] | None = None,
        found_header: Sequence[str] | None = None,
    ):
        self.file = file
        self.failures = list(failures)
        self.expected_header = tuple(expected_header) if expected_header is not None else None
        self.found_header = tuple(found_header) if found_header is not None else None
        lines = [f"{file} is invalid:", *(f"  {failure}" for failure in self.failures)]
        if self.expected_header is not None:
            lines.append(f"  expected header: {';'.join(self.expected_header)}")
            lines.append(f"  found header:    {';'.join(self.found_header or ())}")
        super().__init__("\n".join(lines))

    def records(self) -> list[dict[str, object]]:
        """The failures as dicts (file, line, column, reason, value), e.g. for asset metadata."""
        return [asdict(failure) for failure in self.failures]

    def markdown(self) -> str:
        """The failures as a Markdown table, for `dg.MetadataValue.md`."""
        rows = ["| line | column | reason | value |", "| --- | --- | --- | --- |"]
        for f in self.failures:
            cells = [str(f.line or ""), f.column or "", f.reason, "" if f.value is None else repr(f.value)]
            rows.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
        return "\n".join(rows)
