"""Whole files through the streaming operations: read in chunks, written as they come."""

from __future__ import annotations

import os
from pathlib import Path

from .keyring import Keyring
from .streams import decrypt, encrypt


def encrypt_file(keyring: Keyring, plain: str | os.PathLike[str], encrypted: str | os.PathLike[str],
                 armor: bool = False) -> int:
    """Write `plain` encrypted (and signed if configured) to `encrypted`; its size in bytes."""
    with Path(plain).open("rb") as source, Path(encrypted).open("wb") as target:
        encrypt(keyring, source, target.write, armor)
        return target.tell()


def decrypt_file(keyring: Keyring, encrypted: str | os.PathLike[str], plain: str | os.PathLike[str]) -> int:
    """Write the plaintext of `encrypted` to `plain`; its size in bytes. The partial plaintext of a
    failed decryption is removed."""
    target_path = Path(plain)
    try:
        with Path(encrypted).open("rb") as source, target_path.open("wb") as target:
            decrypt(keyring, source, target.write)
            return target.tell()
    except BaseException:
        target_path.unlink(missing_ok=True)
        raise
