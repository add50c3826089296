"""Response files delivered PGP-encrypted load exactly as their plain form, on both engines; a wrong
key or passphrase fails the file saying which."""

from __future__ import annotations

import datetime as dt

import pytest

from episerver_assets.campaign.sftp import CampaignSftpResource
from episerver_assets.defs.closed_loop.day_load import Problem, load_days
from episerver_assets.defs.closed_loop.loading import LoadedFile
from episerver_assets.defs.closed_loop.schemas import RESPONSE_TABLES
from episerver_assets.defs.closed_loop.warehouse_tables import warehouse_table
from episerver_assets.pgp import PgpKeys

from .pgp_support import FORMS, alice, bob, encrypt_day, pgp_env, write_day  # noqa: F401 (fixtures)

DAY = dt.date(2026, 11, 10)


def _rows(warehouse, table) -> list[tuple]:
    frame = warehouse.read_frame(f"SELECT * FROM {warehouse_table(table).fullname} WHERE partition_date = :day",
                                 day=DAY)
    return sorted(frame.astype(str).itertuples(index=False, name=None))


def _load(warehouse):
    return list(load_days(CampaignSftpResource.from_env(), warehouse, [DAY]))


def test_an_encrypted_day_loads_exactly_as_the_plain_one(sandbox, sandbox_env, warehouse, alice, monkeypatch):
    pgp_env(monkeypatch, alice.keys())
    plain = write_day(sandbox.client_dir(1000) / "response", DAY, sandbox.config.seed)
    loaded_plain = _load(warehouse)
    assert all(isinstance(o, LoadedFile) and not o.unchanged for o in loaded_plain), loaded_plain
    before = {t.name: _rows(warehouse, t) for t in RESPONSE_TABLES.values()}
    assert sum(len(rows) for rows in before.values()) > 1000

    encrypted = encrypt_day(plain, alice)
    forms = {(p.suffix, p.read_bytes().startswith(b"-----BEGIN PGP MESSAGE-----")) for p in encrypted.values()}
    assert forms == set(FORMS)
    outcomes = _load(warehouse)

    assert all(isinstance(o, LoadedFile) for o in outcomes), [o.summary for o in outcomes if isinstance(o, Problem)]
    assert {o.file for o in outcomes} == {p.name for p in encrypted.values()}
    assert not any(o.unchanged for o in outcomes)  # new bytes: loaded again
    assert {t.name: _rows(warehouse, t) for t in RESPONSE_TABLES.values()} == before
    # The ledger hashes the delivered bytes: the same encrypted files again are recognised unchanged.
    again = _load(warehouse)
    assert all(isinstance(o, LoadedFile) and o.unchanged for o in again)
    assert {(o.file, o.size_bytes) for o in again} == {(p.name, p.stat().st_size) for p in encrypted.values()}


def test_an_invalid_encrypted_file_fails_at_its_plaintext_line_and_column(sandbox, sandbox_env, duckdb_url,
                                                                          alice, monkeypatch):
    from episerver_assets.warehouse import WarehouseResource

    pgp_env(monkeypatch, alice.keys())
    plain = write_day(sandbox.client_dir(1000) / "response", DAY, sandbox.config.seed, rows=500)
    lines = plain["clicks"].read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b'"', b"", 2)  # line 3: its first field loses its quotes
    plain["clicks"].write_bytes(b"\n".join(lines))
    [encrypted] = encrypt_day({"clicks": plain["clicks"]}, alice).values()

    [problem] = [o for o in _load(WarehouseResource(url=duckdb_url)) if isinstance(o, Problem)]

    assert problem.reason == f"{encrypted.name} is invalid"
    [failure] = problem.error.failures
    assert (failure.file, failure.line, failure.column) == (plain["clicks"].name, 3, "linkId")


@pytest.mark.parametrize(("keys_of", "expected"), [
    (lambda alice, bob: bob.keys(), "is encrypted to another key"),
    (lambda alice, bob: PgpKeys(alice.private_key, "not the passphrase"), "does not unlock the private key"),
    (lambda alice, bob: PgpKeys(alice.private_key, None), "is protected: set EPISERVER_PGP_PRIVATE_KEY_PASSPHRASE"),
    (lambda alice, bob: PgpKeys(), "no private key is configured"),
])
def test_a_file_that_cannot_be_decrypted_fails_saying_why(sandbox, sandbox_env, duckdb_url, alice, bob,
                                                        monkeypatch, keys_of, expected):
    from episerver_assets.warehouse import WarehouseResource

    plain = write_day(sandbox.client_dir(1000) / "response", DAY, sandbox.config.seed, rows=500)
    encrypt_day({"clicks": plain["clicks"]}, alice)
    pgp_env(monkeypatch, keys_of(alice, bob))
    outcomes = _load(WarehouseResource(url=duckdb_url))

    problems = [o for o in outcomes if isinstance(o, Problem)]
    assert [p.table.name for p in problems] == ["clicks"]
    assert problems[0].reason.startswith(f"{problems[0].file} could not be decrypted: ")
    assert expected in problems[0].reason
    assert alice.private_key not in problems[0].reason and "not the passphrase" not in problems[0].reason
    assert all(isinstance(o, LoadedFile) for o in outcomes if o.table.name != "clicks")  # the others load
