"""Files leaving for a partner's SFTP server, encrypted to the configured public key when there is one."""

from __future__ import annotations

from pathlib import Path

from .files import encrypt_file
from .keyring import isolated_keyring
from .keys import PgpKeys

ENCRYPTED_SUFFIX = ".pgp"


def encrypt_for_upload(keys: PgpKeys, local: Path) -> Path:
    """`local` itself when no public key is configured; else its encrypted form (binary OpenPGP,
    signed with the private key when `keys.sign`), streamed into `<local>.pgp` beside it."""
    if not keys.can_encrypt:
        return local
    # The private key is imported only to sign: decryption has no business here.
    needed = keys if keys.sign else PgpKeys(public_key=keys.public_key)
    encrypted = local.with_name(local.name + ENCRYPTED_SUFFIX)
    with isolated_keyring(needed) as keyring:
        encrypt_file(keyring, local, encrypted)
    return encrypted
