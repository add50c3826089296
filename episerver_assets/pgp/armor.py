"""ASCII-armored keys as they come from the environment, checked before gpg sees them.

Seed 001: a key is entered with the header and footer of its armor; a key that does not begin and
end with them "may not have been ASCII armored". That is the message a user gets here.
"""

from __future__ import annotations

from .errors import PgpKeyError

PUBLIC, PRIVATE = "PUBLIC", "PRIVATE"
ENCRYPTED_SUFFIXES = (".pgp", ".gpg", ".asc")
"""File name endings of PGP-encrypted files (binary or armored: gpg tells them apart by content)."""


def _lines(kind: str) -> tuple[str, str]:
    return f"-----BEGIN PGP {kind} KEY BLOCK-----", f"-----END PGP {kind} KEY BLOCK-----"


def armored_key(text: str, kind: str) -> str:
    """`text` with surrounding blanks removed (and `\\n` escapes, as .env files write them, turned into
    line feeds) if it is an armored `kind` (PUBLIC or PRIVATE) key block; else PgpKeyError."""
    key = text.strip()
    if "\n" not in key and "\\n" in key:
        key = key.replace("\\n", "\n")
    begin, end = _lines(kind)
    if key.startswith(begin) and key.endswith(end):
        return key + "\n"
    other = PRIVATE if kind == PUBLIC else PUBLIC
    if key.startswith(_lines(other)[0]):
        raise PgpKeyError(f"is a PGP {other.lower()} key where a {kind.lower()} key is needed")
    raise PgpKeyError(
        f"must begin with {begin} and end with {end}; it does not, so it may not have been ASCII armored "
        f"(export it with gpg --armor)"
    )


def public_key_setting(value: str) -> str:
    """Parser of a setting holding an armored public key (ValueError for settings.py)."""
    try:
        return armored_key(value, PUBLIC)
    except PgpKeyError as error:
        raise ValueError(str(error)) from None


def private_key_setting(value: str) -> str:
    """Parser of a setting holding an armored private key (ValueError for settings.py)."""
    try:
        return armored_key(value, PRIVATE)
    except PgpKeyError as error:
        raise ValueError(str(error)) from None


def passphrase_setting(value: str) -> str:
    """Parser of the passphrase setting: gpg reads it as one line from its pipe."""
    if "\n" in value or "\r" in value:
        raise ValueError("must be one line: gpg reads the passphrase up to the first line break")
    return value


def is_encrypted_name(name: str) -> bool:
    return name.endswith(ENCRYPTED_SUFFIXES)


def plain_name(name: str) -> str:
    """`20260101_clicks.csv.pgp` -> `20260101_clicks.csv`; other names unchanged."""
    return name[: -len(".pgp")] if is_encrypted_name(name) else name
