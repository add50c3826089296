"""Closed-loop send: recipients from the user profiles, rows refused before upload, addresses kept out of errors."""

from __future__ import annotations

import os
import threading
import time

import sqlalchemy as sa

from episerver_assets.defs.profiles.tables import ensure_profile_tables, user_profiles
from episerver_assets.warehouse import WarehouseResource

from .closed_loop_send_runs import (  # noqa: F401  (fixtures)
    failure_of, importer, ledger_rows, metadata_of, send, upload_dir,
)


def _profile(person: str, email: str | None, **facts: object) -> dict[str, object]:
    counts = {"opens": 0, "clicks": 0, "hard_bounces": 0, "unsubscribes": 0}
    return {"person_id": person, "email": email, "ep_recipient_id": None, **counts, **facts}


def test_recipients_come_from_the_eligible_profiles(importer, upload_dir, send, duckdb_url):
    warehouse = WarehouseResource(url=duckdb_url)
    ensure_profile_tables(warehouse)
    with warehouse.begin() as connection:
        connection.execute(sa.insert(user_profiles), [
            _profile("p1", "b@example.com", ep_recipient_id="rid-b", opens=3),
            _profile("p2", "a@example.com", ep_recipient_id="rid-a"),
            _profile("p3", "bounced@example.com", hard_bounces=1),
            _profile("p4", "gone@example.com", unsubscribes=2),
            _profile("p5", None, ep_recipient_id="no-address"),
        ])
    fields = [{"name": "recipient", "profile_column": "ep_recipient_id"}, {"name": "opens", "profile_column": "opens"}]

    result = send("from-profiles", None, personalisation_fields=fields)

    assert result.success
    written = (upload_dir / "processed" / metadata_of(result)["file_name"]).read_text(encoding="utf-8")
    assert written == (
        '"Email";"broadmail_ID";"WAVE_ID";"Salutation";"First name";"Last name";"recipient";"opens"\n'
        '"a@example.com";"44001000000";"";"";"";"";"rid-a";"0"\n'
        '"b@example.com";"44001000000";"";"";"";"";"rid-b";"3"\n'
    )
    refused = send("too-many", None, max_recipients=1)
    assert not refused.success and "more than max_recipients=1" in failure_of(refused)


def test_invalid_rows_are_refused_before_anything_is_reserved_or_uploaded(upload_dir, send, duckdb_url):
    rows = [{"Email": "twice@example.com"}, {"Email": "twice@example.com"}, {"Email": "no-at-sign"}]

    result = send("invalid", rows)

    message = failure_of(result)
    assert "column 'Email' fails field_uniqueness in rows [1, 2]" in message and "in rows [3]" in message
    assert "twice@example.com" not in message and "no-at-sign" not in message
    assert ledger_rows(duckdb_url) == [] and not [p for p in upload_dir.iterdir() if p.is_file()]


def _fail_the_first_upload_naming_an_address(upload_dir, stop: threading.Event) -> None:
    """Plays the server: fails the first subscriber file with an error that quotes an address."""
    deadline = time.monotonic() + 20
    while not stop.is_set() and time.monotonic() < deadline:
        uploaded = sorted(upload_dir.glob("*_subscribers.csv"))
        if uploaded:
            name = uploaded[0].name
            for directory in ("error", "log"):
                (upload_dir / directory).mkdir(exist_ok=True)
            os.replace(uploaded[0], upload_dir / "error" / name)
            (upload_dir / "error" / f"{name}.error").write_text(
                f"{name}: line 2: recipient Secret.Person@example.com rejected by the mailing\n")
            (upload_dir / "log" / f"{name}.log").write_text(f"file: {name}\nstatus: failed\nrows: 0\n")
            return
        stop.wait(0.02)


def test_an_error_file_reaches_the_failure_with_addresses_masked(upload_dir, send, duckdb_url):
    stop = threading.Event()
    server = threading.Thread(target=_fail_the_first_upload_naming_an_address, args=(upload_dir, stop))
    server.start()
    try:
        result = send("masked", [{"Email": "secret.person@example.com"}])
    finally:
        stop.set()
        server.join()

    message = failure_of(result)
    [row] = ledger_rows(duckdb_url)
    assert f"{row['file_name']}: line 2: recipient *** rejected by the mailing" in message
    assert "example.com" not in message and "example.com" not in row["error"]


def test_personalisation_fields_must_name_profile_columns(upload_dir, send, duckdb_url):
    ensure_profile_tables(WarehouseResource(url=duckdb_url))
    fields = [{"name": "score", "profile_column": "no_such_column"}, {"name": "bare"}]

    result = send("bad-fields", None, personalisation_fields=fields)

    assert "personalisation fields ['score', 'bare'] need a profile_column" in failure_of(result)
    assert ledger_rows(duckdb_url) == []


def test_a_personalisation_field_may_not_repeat_a_fixed_column_nor_hold_a_line_break(upload_dir, send, duckdb_url):
    clash = send("clash", [{"Email": "a@example.com"}], personalisation_fields=[{"name": "email"}])
    broken = send("broken", [{"Email": "a@example.com", "Last name": "two\nlines"}])

    assert "differ from the fixed columns: ['email']" in failure_of(clash)
    assert "column 'Last name' fails str_matches" in failure_of(broken) and "in rows [1]" in failure_of(broken)
    assert ledger_rows(duckdb_url) == []
