"""A closed-loop send with a public key configured uploads its subscriber file PGP-encrypted (signed on
request); the sandbox's import decrypts it with the private key and imports it as the plain file."""

from __future__ import annotations

import io

import pytest

from episerver_assets.pgp import PgpKeys, decrypt, isolated_keyring
from episerver_assets.sandbox.pgp_files import SandboxPgp
from episerver_assets.sandbox.subscriber_import import SubscriberImporter

from .closed_loop_send_runs import CLIENT, LIST_ID, ledger_rows, metadata_of, send, upload_dir  # noqa: F401
from .pgp_support import alice, bob, pgp_env  # noqa: F401 (fixtures)
from .test_closed_loop_send import EXPECTED, ROWS


def _importer(sandbox, keys: PgpKeys | None) -> SubscriberImporter:
    pgp = SandboxPgp(private_key=keys.private_key, passphrase=keys.passphrase) if keys else None
    return SubscriberImporter(sandbox.state.client(CLIENT), sandbox.directories[CLIENT].upload,
                              interval_seconds=0.05, pgp=pgp)


@pytest.mark.parametrize("sign", [False, True])
def test_an_encrypted_send_round_trips(sandbox, upload_dir, send, duckdb_url, alice, bob, monkeypatch, sign):
    # The product encrypts to Alice's public key and signs with Bob's (its own) private key.
    pgp_env(monkeypatch, PgpKeys(bob.private_key if sign else None, None, alice.public_key))
    monkeypatch.setenv("EPISERVER_PGP_SIGN", "true" if sign else "false")
    importer = _importer(sandbox, alice.keys()).start()
    try:
        result = send("send-pgp", ROWS, wave_id=46623317811, personalisation_fields=[{"name": "Lieblingsfarbe"}])
    finally:
        importer.stop()

    assert result.success, result
    metadata = metadata_of(result)
    uploaded = (upload_dir / "processed" / metadata["file_name"]).read_bytes()
    assert EXPECTED[:20] not in uploaded and uploaded[0] & 0x80  # a binary OpenPGP message
    plain, verified = io.BytesIO(), []
    with isolated_keyring(alice.keys()) as keyring:
        decrypt(keyring, io.BytesIO(uploaded), plain.write)
        if sign:
            verified.append(keyring.gpg().import_keys(bob.public_key).fingerprints[0])
            check = keyring.gpg().decrypt(uploaded, passphrase=alice.passphrase)
            assert check.valid and check.fingerprint == bob.fingerprint
    assert plain.getvalue() == EXPECTED
    assert (metadata["import_status"], metadata["import_added"]) == ("processed", 2)
    assert sandbox.state.client(CLIENT).lists[LIST_ID].recipients["zoe@example.com"].attributes["lastname"] == \
        "Øster; Söhne"
    [row] = ledger_rows(duckdb_url)
    assert row["size_bytes"] == len(uploaded)  # what went to the server


def test_an_encrypted_upload_without_the_private_key_fails_the_import(sandbox, upload_dir, send, alice,
                                                                     monkeypatch):
    pgp_env(monkeypatch, PgpKeys(public_key=alice.public_key))
    importer = _importer(sandbox, None).start()
    try:
        result = send("send-pgp", ROWS, personalisation_fields=[{"name": "Lieblingsfarbe"}])
    finally:
        importer.stop()
    assert not result.success
    [error] = (upload_dir / "error").glob("*.error")
    assert "PGP-encrypted and the sandbox has no private key" in error.read_text()
