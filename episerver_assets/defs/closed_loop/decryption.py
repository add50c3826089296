"""Response files delivered encrypted (`<name>.csv[.gz].pgp`, `.gpg` or `.asc`; binary or armored),
decrypted while they download.

gpg reads the download's spool as its bytes arrive and writes the plaintext into a second spool, an
anonymous file like the first (the kernel frees it however the process ends), named like the file
without its encryption suffix. The strict reader parses that spool as it grows and reopens it only
to find lines when the file fails, so its errors give lines and columns of the plaintext, under the
plaintext's name. gpg verifies the message's integrity at its end: a damaged file fails at its last
read, before the load's transaction commits.

The ledger still hashes the bytes as delivered (encrypted): a file that is byte for byte the one
last loaded is recognised as unchanged without decrypting it, while the same rows encrypted again
(a new session key, so new bytes) load again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Iterator, Sequence

from ...campaign.sftp import RemoteFile
from ...pgp import Keyring, PgpDecryptionError, PgpKeys, decrypt, is_encrypted_name, isolated_keyring, plain_name
from .spool import DownloadSpool


@contextlib.contextmanager
def run_keyring(keys: PgpKeys, files: Sequence[RemoteFile]) -> Iterator[Keyring | None]:
    """The run's keyring when one of `files` is encrypted and a private key is configured, else None.
    Raises PgpKeyError (naming the setting) when the configured key cannot be used."""
    if keys.can_decrypt and any(is_encrypted_name(f.name) for f in files):
        with isolated_keyring(keys) as keyring:
            yield keyring
    else:
        yield None


def _decrypt_into(keyring: Keyring, encrypted: DownloadSpool, plain: DownloadSpool) -> None:
    try:
        decrypt(keyring, encrypted.reader(), plain.write)
    except BaseException as error:  # handed to the plaintext's reader
        plain.fail(error)
    else:
        plain.finish()


@contextlib.contextmanager
def readable_spool(spool: DownloadSpool, keyring: Keyring | None) -> Iterator[DownloadSpool]:
    """`spool` itself for a plain file; for an encrypted one, a spool of its plaintext filled as the
    download goes (PgpDecryptionError at once without a keyring). On exit the plaintext is freed and
    gpg stopped: its output is refused, and its input ends once the download is cancelled or done."""
    if not is_encrypted_name(spool.remote.name):
        yield spool
        return
    if keyring is None:
        raise PgpDecryptionError("no_private_key", "it is encrypted and no private key is configured "
                                 "(EPISERVER_PGP_PRIVATE_KEY)")
    plain = DownloadSpool(dataclasses.replace(spool.remote, name=plain_name(spool.remote.name)), spool.path.parent)
    worker = threading.Thread(target=_decrypt_into, args=(keyring, spool, plain), name="pgp-decrypt", daemon=True)
    worker.start()
    try:
        yield plain
    finally:
        plain.close()
        worker.join()
