"""What can go wrong with PGP, in words a user can act on; no message quotes a key or passphrase."""

from __future__ import annotations


class PgpError(Exception):
    """Any PGP failure: a key that cannot be used, or a file that cannot be decrypted or encrypted."""


class PgpKeyError(PgpError):
    """A configured key is not ASCII armored, is not the kind expected, or gpg cannot import it."""


class PgpDecryptionError(PgpError):
    """A file could not be decrypted; `reason` says why in one word for tests and callers:
    `wrong_passphrase`, `missing_passphrase`, `other_key`, `no_private_key`, `not_encrypted` or `failed`."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class PgpEncryptionError(PgpError):
    """A file could not be encrypted (or signed)."""
