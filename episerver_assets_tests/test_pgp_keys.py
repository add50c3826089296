"""Keys from the environment: armored or refused with seed 001's explanation; the keyring is isolated
and removed; streams decrypt and encrypt without holding a file, and fail saying which key is wrong."""

from __future__ import annotations

import base64
import io
import stat

import pytest

from episerver_assets.pgp import (
    PgpDecryptionError, PgpKeyError, PgpKeys, armored_key, decrypt, encrypt, isolated_keyring,
)
from episerver_assets.settings import SettingError, load_settings

from .pgp_support import PASSPHRASE, alice, bob  # noqa: F401 (fixtures)

SEED_001 = "it does not, so it may not have been ASCII armored"


def _unarmored(armored: str) -> str:
    """The key's base64 body without header and footer, as a careless copy would paste it."""
    return "".join(line for line in armored.splitlines()[2:-2] if not line.startswith("="))


def test_an_unarmored_key_is_refused_with_the_seeds_explanation(alice):
    for name, key in (("EPISERVER_PGP_PRIVATE_KEY", alice.private_key), ("EPISERVER_PGP_PUBLIC_KEY", alice.public_key)):
        with pytest.raises(SettingError) as refused:
            load_settings({name: _unarmored(key)})
        kind = "PRIVATE" if "PRIVATE" in name else "PUBLIC"
        assert str(refused.value) == (
            f"{name} must begin with -----BEGIN PGP {kind} KEY BLOCK----- and end with "
            f"-----END PGP {kind} KEY BLOCK-----; {SEED_001} (export it with gpg --armor)")
        assert _unarmored(key)[:40] not in str(refused.value)
    binary = base64.b64decode(_unarmored(alice.public_key)).decode("latin-1")
    with pytest.raises(PgpKeyError, match=SEED_001):
        armored_key(binary, "PUBLIC")
    with pytest.raises(PgpKeyError, match="is a PGP public key where a private key is needed"):
        armored_key(alice.public_key, "PRIVATE")


def test_an_armored_key_in_one_line_with_escaped_line_feeds_is_accepted(alice):
    one_line = alice.public_key.strip().replace("\n", "\\n")
    settings = load_settings({"EPISERVER_PGP_PUBLIC_KEY": one_line})
    assert settings["EPISERVER_PGP_PUBLIC_KEY"] == alice.public_key.strip() + "\n"
    assert settings.shown("EPISERVER_PGP_PRIVATE_KEY") == "(not set)"
    assert load_settings({"EPISERVER_PGP_PRIVATE_KEY": alice.private_key}).shown("EPISERVER_PGP_PRIVATE_KEY") == "****"


def test_a_passphrase_of_two_lines_is_refused_without_showing_it():
    with pytest.raises(SettingError) as refused:
        load_settings({"EPISERVER_PGP_PRIVATE_KEY_PASSPHRASE": "first line\nsecret rest"})
    assert str(refused.value).startswith("EPISERVER_PGP_PRIVATE_KEY_PASSPHRASE must be one line")
    assert "secret rest" not in str(refused.value)


def test_the_keyring_is_private_and_removed(alice):
    with isolated_keyring(alice.keys()) as keyring:
        home = keyring.home
        assert stat.S_IMODE(home.stat().st_mode) == 0o700
        assert keyring.private_fingerprint == keyring.public_fingerprint == alice.fingerprint
    assert not home.exists()


def test_streams_round_trip_in_chunks(alice):
    data = b'"a";"b"\n' * 200_000  # 1.6 MB
    chunks: list[bytes] = []
    with isolated_keyring(alice.keys(sign=True)) as keyring:
        encrypted = io.BytesIO()
        encrypt(keyring, io.BytesIO(data), encrypted.write)
        decrypt(keyring, io.BytesIO(encrypted.getvalue()), chunks.append)
    assert b"".join(chunks) == data and len(chunks) > 1  # handed over as it came, not at the end


@pytest.mark.parametrize(("keys_of", "reason", "words"), [
    (lambda alice, bob: bob.keys(), "other_key", "is encrypted to another key"),
    (lambda alice, bob: PgpKeys(alice.private_key, "wrong"), "wrong_passphrase", "does not unlock the private key"),
    (lambda alice, bob: PgpKeys(alice.private_key), "missing_passphrase", "is protected"),
])
def test_decryption_says_which_key_is_wrong(alice, bob, keys_of, reason, words):
    with isolated_keyring(PgpKeys(public_key=alice.public_key)) as keyring:
        encrypted = io.BytesIO()
        encrypt(keyring, io.BytesIO(b"secret rows\n"), encrypted.write, armor=True)
    keys = keys_of(alice, bob)
    with isolated_keyring(keys) as keyring, pytest.raises(PgpDecryptionError) as failed:
        decrypt(keyring, io.BytesIO(encrypted.getvalue()), lambda data: pytest.fail("no plaintext expected"))
    assert failed.value.reason == reason and words in str(failed.value)
    assert PASSPHRASE not in str(failed.value) and "wrong" not in str(failed.value)


def test_plain_data_is_not_taken_for_a_message(alice):
    with isolated_keyring(alice.keys()) as keyring, pytest.raises(PgpDecryptionError) as failed:
        decrypt(keyring, io.BytesIO(b'"id"\n"1"\n'), lambda data: None)
    assert failed.value.reason == "not_encrypted"


def test_a_key_gpg_cannot_read_names_its_setting(alice):
    lines = alice.public_key.splitlines()
    damaged = "\n".join([lines[0], lines[1], "AAAA" + lines[2][4:], *lines[3:]])
    with pytest.raises(PgpKeyError, match="^EPISERVER_PGP_PUBLIC_KEY could not be imported: "):
        with isolated_keyring(PgpKeys(public_key=damaged)):
            pass
