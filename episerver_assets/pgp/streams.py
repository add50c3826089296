"""Decrypt and encrypt streams through gpg: bytes in from a readable, out to a callback, in chunks.

python-gnupg runs gpg with the input copied to its stdin by one thread and its stdout handed to a
callback by another, chunk by chunk (the callback returning False keeps nothing in memory). The
passphrase goes first on gpg's stdin (`--passphrase-fd 0`), never on its command line. Nothing
here holds a whole file: memory stays at a few chunks whatever the file's size.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from .errors import PgpDecryptionError, PgpEncryptionError, PgpKeyError
from .keyring import Keyring
from .status import decryption_error, last_complaint

CHUNK_BYTES = 1 << 18
"""gpg's pipes are read and written in pieces of this size."""


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class _Pump:
    """Source and sink around one gpg run. A sink that fails (its reader gave up) or a source that
    fails (its download broke) ends gpg's input, so gpg stops; the error is raised afterwards."""

    def __init__(self, source: Readable, write: Callable[[bytes], object]) -> None:
        self._source, self._write = source, write
        self.error: BaseException | None = None

    def read(self, size: int = -1) -> bytes:
        if self.error is not None:
            return b""
        try:
            return self._source.read(size)
        except BaseException as error:  # raised by `run` once gpg has stopped
            self.error = error
            return b""

    def on_data(self, data: bytes) -> bool:
        if data and self.error is None:
            try:
                self._write(data)
            except BaseException as error:
                self.error = error
        return False  # never buffered by python-gnupg

    def run(self, keyring: Keyring, operation: Callable) -> object:
        gpg = keyring.gpg()
        gpg.buffer_size = CHUNK_BYTES
        gpg.on_data = self.on_data
        result = operation(gpg, self)
        if self.error is not None:
            raise self.error
        return result


def decrypt(keyring: Keyring, source: Readable, write: Callable[[bytes], object]) -> None:
    """Write the plaintext of the PGP message `source` delivers (binary or armored) to `write`, chunk
    by chunk; PgpDecryptionError saying why when it cannot be decrypted. The plaintext written before
    a failure is not to be trusted: gpg checks the message's integrity at its end."""
    if keyring.private_fingerprint is None:
        raise PgpDecryptionError("no_private_key", "no private key is configured (EPISERVER_PGP_PRIVATE_KEY)")
    passphrase = keyring.passphrase
    result = _Pump(source, write).run(
        keyring, lambda gpg, pump: gpg.decrypt_file(pump, passphrase=passphrase))
    if not result.ok:
        raise decryption_error(result.stderr or "", keyring.private_fingerprint, passphrase is not None)


def encrypt(keyring: Keyring, source: Readable, write: Callable[[bytes], object], armor: bool = False) -> None:
    """Write `source` encrypted to the configured public key (signed with the private key when the
    keyring's `sign` is set) to `write`, chunk by chunk; PgpEncryptionError when gpg fails."""
    if keyring.public_fingerprint is None:
        raise PgpKeyError("no public key is configured (EPISERVER_PGP_PUBLIC_KEY)")
    signer = None
    if keyring.sign:
        if keyring.private_fingerprint is None:
            raise PgpKeyError("signing needs the private key (EPISERVER_PGP_PRIVATE_KEY)")
        signer = keyring.private_fingerprint
    result = _Pump(source, write).run(keyring, lambda gpg, pump: gpg.encrypt_file(
        pump, [keyring.public_fingerprint], sign=signer, always_trust=True, armor=armor,
        passphrase=keyring.passphrase if signer else None))
    if not result.ok:
        raise PgpEncryptionError(f"gpg could not encrypt: {result.status or last_complaint(result.stderr or '')}")
