"""PGP in the sandbox: response days delivered encrypted, and encrypted subscriber files imported.

A partner may deliver the closed-loop response files PGP-encrypted to the customer's public key
(seed 001); the sandbox does so for its newest `encrypted_days` days when given a public key. Its
subscriber import decrypts an uploaded file with the private key it is given, so an encrypted send
round-trips.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..pgp import Keyring, PgpError, PgpKeys, decrypt, encrypt_file, isolated_keyring
from .subscriber_file import MalformedFile

ARMOR_HEADER = b"-----BEGIN PGP MESSAGE-----"


@dataclass(frozen=True)
class SandboxPgp:
    public_key: str | None = None
    """Response files of the newest `encrypted_days` days are encrypted to this key."""
    encrypted_days: int = 1
    suffix: str = ".pgp"
    """Appended to each encrypted file's name: .pgp, .gpg or .asc."""
    armor: bool = False
    private_key: str | None = field(default=None, repr=False)
    """The subscriber import decrypts encrypted uploads with this key."""
    passphrase: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class ResponseEncryptor:
    """Encrypts one plain file into another (the response writer's hook), streaming."""

    keyring: Keyring
    suffix: str
    armor: bool

    def __call__(self, plain: Path, encrypted: Path) -> None:
        encrypt_file(self.keyring, plain, encrypted, self.armor)


@contextlib.contextmanager
def response_encryptor(pgp: SandboxPgp) -> Iterator[ResponseEncryptor]:
    with isolated_keyring(PgpKeys(public_key=pgp.public_key)) as keyring:
        yield ResponseEncryptor(keyring, pgp.suffix, pgp.armor)


def looks_encrypted(data: bytes) -> bool:
    """An armored PGP message, or a binary OpenPGP packet (tag byte with its high bit set): a CSV
    file starts with neither."""
    return data.lstrip().startswith(ARMOR_HEADER) or (bool(data) and data[0] & 0x80 == 0x80)


def decrypted_upload(data: bytes, pgp: SandboxPgp | None) -> bytes:
    """`data` itself when plain; its plaintext when encrypted; MalformedFile (at line 1) saying why it
    cannot be read."""
    if not looks_encrypted(data):
        return data
    if pgp is None or pgp.private_key is None:
        raise MalformedFile(1, "the file is PGP-encrypted and the sandbox has no private key to decrypt it")
    plain = io.BytesIO()
    try:
        with isolated_keyring(PgpKeys(pgp.private_key, pgp.passphrase)) as keyring:
            decrypt(keyring, io.BytesIO(data), plain.write)
    except PgpError as error:
        raise MalformedFile(1, f"the file cannot be decrypted: {error}") from None
    return plain.getvalue()
