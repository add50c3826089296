"""Passwords in URLs (and libpq's password=) are masked wherever text is shown."""

from __future__ import annotations

import logging

import pytest

from episerver_assets.redaction import MaskPasswordsFilter, mask_passwords
from episerver_assets.warehouse.engines import describe_url


@pytest.mark.parametrize(("text", "masked"), [
    ("postgresql://u:S3cretPw@127.0.0.1:1/db", "postgresql://u:***@127.0.0.1:1/db"),
    ("cannot reach postgresql+psycopg://etl:p@ss@db:5432/w now", "cannot reach postgresql+psycopg://etl:***@db:5432/w now"),
    ("two: https://a:x@h1/p and sftp://b:y@h2", "two: https://a:***@h1/p and sftp://b:***@h2"),
    ("host=db user=etl password=S3cretPw dbname=w", "host=db user=etl password=*** dbname=w"),
    ("https://:only-pw@h/", "https://:***@h/"),
])
def test_passwords_are_masked(text, masked):
    assert mask_passwords(text) == masked


@pytest.mark.parametrize("text", [
    "http://127.0.0.1:8765/rest", "duckdb:////data/warehouse.duckdb", "https://user@host/x", "http://h:80/a@b",
])
def test_text_without_a_password_is_unchanged(text):
    assert mask_passwords(text) == text


def test_describe_url_masks_the_password():
    assert describe_url("postgres://u:S3cretPw@db/w") == "postgresql+psycopg://u:***@db/w"


def test_the_log_filter_masks_messages_arguments_and_tracebacks(caplog):
    logger = logging.getLogger("test_redaction")
    caplog.handler.addFilter(MaskPasswordsFilter())
    with caplog.at_level(logging.INFO, logger="test_redaction"):
        logger.info("connecting to %s", "postgresql://u:S3cretPw@db/w")
        try:
            raise ConnectionError("postgresql://u:S3cretPw@db/w refused")
        except ConnectionError:
            logger.exception("failed")
    assert "S3cretPw" not in caplog.text
    assert "postgresql://u:***@db/w" in caplog.text
