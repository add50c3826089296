"""Parse and check one closed-loop `*_subscribers.csv` upload (format: seed 004); no side effects."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass

REQUIRED_COLUMNS = ("Email", "broadmail_ID", "WAVE_ID", "Salutation", "First name", "Last name")
_LIST_FIELD_OF_COLUMN = {
    "Email": "email",
    "Salutation": "salutation",
    "First name": "firstname",
    "Last name": "lastname",
}


class MalformedFile(Exception):
    """The file breaks the format; the message names the line (1 = header) and the reason."""

    def __init__(self, line: int, reason: str):
        super().__init__(f"line {line}: {reason}")
        self.line, self.reason = line, reason


@dataclass(frozen=True)
class SubscriberRow:
    line: int
    list_id: int
    recipient_id: str
    wave_id: int | None
    attributes: dict[str, str | None]  # list field names for the fixed columns, header names for extras


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise MalformedFile(data.count(b"\n", 0, error.start) + 1, "not valid UTF-8") from None


def _long(value: str, column: str, line: int) -> int:
    try:
        return int(value)
    except ValueError:
        raise MalformedFile(line, f"{column} {value!r} is not a number") from None


def _check_header(header: list[str]) -> tuple[str, ...]:
    if tuple(header[: len(REQUIRED_COLUMNS)]) != REQUIRED_COLUMNS:
        expected, found = ";".join(REQUIRED_COLUMNS), ";".join(header)
        raise MalformedFile(1, f"header must start with {expected}, found {found}")
    lowered = [name.lower() for name in header]
    if "" in lowered or len(set(lowered)) != len(lowered):
        raise MalformedFile(1, "column names must be unique and not empty")
    return tuple(header[len(REQUIRED_COLUMNS) :])


def parse_subscriber_file(
    data: bytes, source_mailings: Mapping[int, int]
) -> tuple[list[SubscriberRow], tuple[str, ...]]:
    """Rows and the optional column names of an upload; MalformedFile at the first problem.

    `source_mailings` maps each known broadmail_ID (source mailing id) to its recipient list id.
    """
    reader = csv.reader(io.StringIO(_decode(data), newline=""), delimiter=";", quotechar='"', strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise MalformedFile(1, "file is empty, expected a header row")
        extra_columns = _check_header(header)
        rows = []
        line = reader.line_num
        for fields in reader:
            line_start, line = line + 1, reader.line_num
            if len(fields) != len(header):
                raise MalformedFile(line_start, f"expected {len(header)} fields, found {len(fields)}")
            rows.append(_row(dict(zip(header, fields)), line_start, source_mailings, extra_columns))
    except csv.Error as error:
        raise MalformedFile(reader.line_num, f"broken quoting ({error})") from None
    return rows, extra_columns


def _row(
    values: dict[str, str], line: int, source_mailings: Mapping[int, int], extra: tuple[str, ...]
) -> SubscriberRow:
    mailing = _long(values["broadmail_ID"], "broadmail_ID", line)
    if mailing not in source_mailings:
        raise MalformedFile(line, f"broadmail_ID {mailing} is not a known source mailing")
    wave = values["WAVE_ID"]
    attributes = {field: values[column] or None for column, field in _LIST_FIELD_OF_COLUMN.items()}
    attributes.update({column: values[column] or None for column in extra})
    return SubscriberRow(
        line=line,
        list_id=source_mailings[mailing],
        recipient_id=values["Email"].strip(),
        wave_id=_long(wave, "WAVE_ID", line) if wave else None,
        attributes=attributes,
    )
