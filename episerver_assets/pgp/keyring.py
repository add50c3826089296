"""An isolated GnuPG keyring per run: a fresh GNUPGHOME (0700) that holds only the configured keys.

The directory is made by `run_scratch` (the closed loop's scratch directories): locked while the run
holds it, removed when the block ends, and removed by the next run if this one dies without
cleaning up. It lives in /dev/shm where there is one, so the imported private key never reaches a
disk. Each operation sends the passphrase through gpg's pipe. The keyring's agent is stopped when
the keyring closes; an agent whose directory a later run swept exits by itself once its socket is gone.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import gnupg

from ..defs.closed_loop.scratch import run_scratch
from .armor import PRIVATE, PUBLIC, armored_key
from .errors import PgpKeyError
from .keys import PgpKeys

logging.getLogger("gnupg").setLevel(logging.WARNING)  # its debug lines quote key user ids (e-mail addresses)

KEYRING_PREFIX = "pgp-keyring-"
AGENT_CONF = "s2k-count 65536\n"
"""The agent re-protects an imported private key with its own passphrase hashing; calibrated, that
costs ~0.1-1 s per operation. Its copy lives only in this 0700 directory for one run (anyone who can
read that can read the process's environment, where key and passphrase come from), so the fewest
rounds protect it well enough and decryption starts in milliseconds."""
GPGCONF_TIMEOUT_SECONDS = 10
SETTING_OF = {PRIVATE: "EPISERVER_PGP_PRIVATE_KEY", PUBLIC: "EPISERVER_PGP_PUBLIC_KEY"}


def keyring_base() -> Path:
    """/dev/shm (memory) when it is a writable directory, else the temp directory."""
    shm = Path("/dev/shm")
    return shm if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else Path(tempfile.gettempdir())


class Keyring:
    """The configured keys imported into `home`; `gpg()` runs gpg on it (one instance per operation,
    since python-gnupg keeps the output callback on the instance)."""

    def __init__(self, home: Path, keys: PgpKeys) -> None:
        self.home = home
        self.passphrase = keys.passphrase
        self.sign = keys.sign
        self.private_fingerprint = self._import(keys.private_key, PRIVATE) if keys.private_key else None
        self.public_fingerprint = self._import(keys.public_key, PUBLIC) if keys.public_key else None

    def gpg(self) -> gnupg.GPG:
        # Loopback always: a passphrase comes through gpg's pipe or not at all (never a pinentry dialog).
        # UTF-8 (python-gnupg's default is Latin-1): gpg's own encoding for passphrases and user ids.
        return gnupg.GPG(gnupghome=str(self.home), options=["--pinentry-mode", "loopback"], encoding="utf-8")

    def _import(self, text: str, kind: str) -> str:
        setting = SETTING_OF[kind]
        try:
            key = armored_key(text, kind)
        except PgpKeyError as error:
            raise PgpKeyError(f"{setting} {error}") from None
        result = self.gpg().import_keys(key, passphrase=self.passphrase if kind == PRIVATE else None)
        if not result.fingerprints:
            said = [line for line in (result.stderr or "").splitlines() if line.startswith("gpg: ")]
            raise PgpKeyError(f"{setting} could not be imported: {said[-1][5:] if said else 'gpg read no key'}")
        if kind == PRIVATE and not result.sec_imported:
            raise PgpKeyError(f"{setting} holds no private key")
        return result.fingerprints[0]


def _stop_agent(home: Path) -> None:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True,
                       timeout=GPGCONF_TIMEOUT_SECONDS, check=False)


@contextlib.contextmanager
def isolated_keyring(keys: PgpKeys, base: str | os.PathLike[str] | None = None) -> Iterator[Keyring]:
    """A keyring holding `keys`, removed (its agent stopped) when the block ends. Raises PgpKeyError
    naming the setting whose key cannot be used."""
    with run_scratch(base or keyring_base(), KEYRING_PREFIX) as home:
        (home / "gpg-agent.conf").write_text(AGENT_CONF)
        try:
            yield Keyring(home, keys)
        finally:
            _stop_agent(home)
