"""Helpers for the PGP tests: throwaway key pairs (made per test session, never stored), encrypted
response days written into the sandbox, and the environment that hands the keys to the product."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest

from episerver_assets.pgp import PgpKeys, encrypt_file, isolated_keyring
from episerver_assets.pgp.generate import KeyPair, generate_key_pair
from episerver_assets.sandbox.generator import sizes_for_total_rows, write_response_day

PASSPHRASE = "correct horse battery staple, grüß dich ✓"  # not Latin-1: gpg takes UTF-8
FORMS = list(itertools.product((".pgp", ".gpg", ".asc"), (False, True)))
"""Every delivery form: suffix x armored."""


@pytest.fixture(scope="session")
def alice() -> KeyPair:
    """The customer's key pair, passphrase-protected."""
    return generate_key_pair("Alice Customer", PASSPHRASE)


@pytest.fixture(scope="session")
def bob() -> KeyPair:
    """Somebody else's key pair, without a passphrase."""
    return generate_key_pair("Bob Other")


def pgp_env(monkeypatch, keys: PgpKeys) -> None:
    for name, value in (("EPISERVER_PGP_PRIVATE_KEY", keys.private_key),
                        ("EPISERVER_PGP_PRIVATE_KEY_PASSPHRASE", keys.passphrase),
                        ("EPISERVER_PGP_PUBLIC_KEY", keys.public_key)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)


def write_day(directory: Path, day: dt.date, seed: int, rows: int = 3000) -> dict[str, Path]:
    """A plain response day, by wire table name."""
    written = write_response_day(directory, day, seed, sizes_for_total_rows(rows), client_id=1000)
    return {table: file.path for table, file in written.items()}


def encrypt_day(files: dict[str, Path], recipient: KeyPair) -> dict[str, Path]:
    """Each plain file replaced by its encrypted form, the forms taken in turn over the tables."""
    encrypted = {}
    with isolated_keyring(PgpKeys(public_key=recipient.public_key)) as keyring:
        for (table, path), (suffix, armor) in zip(files.items(), itertools.cycle(FORMS)):
            target = path.with_name(path.name + suffix)
            encrypt_file(keyring, path, target, armor)
            path.unlink()
            encrypted[table] = target
    return encrypted
