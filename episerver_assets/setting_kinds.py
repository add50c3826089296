"""How each kind of setting is read from its text: each parser returns the typed value or raises
ValueError with the problem in words a user can act on (never echoing a secret)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from .redaction import mask_passwords

Parser = Callable[[str], Any]

_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def text(value: str) -> str:
    return value


def port(value: str) -> int:
    if not value.strip().isdigit() or not 1 <= int(value) <= 65535:
        raise ValueError(f"must be a TCP port number from 1 to 65535, got {value!r}")
    return int(value)


def client_id(value: str) -> str:
    if not value.strip().isdigit():
        raise ValueError(f"must be the numeric Campaign client id, got {value!r}")
    return value.strip()


def int_between(low: int, high: int) -> Parser:
    def parse(value: str) -> int:
        if not value.strip().isdigit() or not low <= int(value) <= high:
            raise ValueError(f"must be a whole number from {low} to {high}, got {value!r}")
        return int(value)

    return parse


def positive_seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise ValueError(f"must be a number of seconds above 0, got {value!r}")
    return seconds


_MEMORY = re.compile(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)


def memory_size(value: str) -> str:
    """A size as DuckDB reads it: a number and a unit, e.g. 512MB or 2GiB."""
    if not _MEMORY.fullmatch(value.strip()):
        raise ValueError(f"must be a size such as 512MB or 2GiB, got {value!r}")
    return value.strip()


def boolean(value: str) -> bool:
    word = value.strip().lower()
    if word not in _TRUE | _FALSE:
        raise ValueError(f"must be true or false, got {value!r}")
    return word in _TRUE


def iso_date(value: str) -> str:
    try:
        dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"must be a date as YYYY-MM-DD, got {value!r}") from None
    return value.strip()


def http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")) or len(value.split("://", 1)[1]) == 0:
        raise ValueError(f"must be an http:// or https:// URL, got {mask_passwords(value)!r}")
    return value.rstrip("/")


def warehouse_url(value: str) -> str:
    """duckdb:/// or postgresql://; the value may hold a password, so it is never echoed whole."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        driver = make_url(value).drivername
    except ArgumentError:
        raise ValueError("is not a URL: use duckdb:///path/file.duckdb or postgresql://user:password@host/db") from None
    if driver not in ("duckdb", "postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg2"):
        raise ValueError(f"uses {driver!r}: only duckdb:/// and postgresql:// are supported")
    return value


def fingerprint(value: str) -> str:
    from .campaign.sftp.host_keys import normalise_fingerprint

    try:
        return normalise_fingerprint(value)
    except ValueError:
        raise ValueError(
            f"must look like 'SHA256:<43 base64 characters>' as ssh-keygen -lf prints it, got {value!r}"
        ) from None
