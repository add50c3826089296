"""The demo's PGP (seed 001): its sandbox delivers the newest response day encrypted, and the
closed-loop send's subscriber file goes out encrypted, both to a key pair made for this demo.

The pair is generated (ed25519 + cv25519, milliseconds) in an isolated keyring under
`<EPISERVER_DATA_DIR>/demo-pgp`, which is removed at once; it lives on only in the demo's process. The
product gets it through the settings a user would set (EPISERVER_PGP_*); the sandbox gets the public
key to encrypt the day with and the private key to decrypt the uploaded subscriber file.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from ..pgp.generate import KeyPair, generate_key_pair
from ..sandbox.pgp_files import SandboxPgp

ENCRYPTED_DAYS = 1
MAX_KEYRING_BASE_CHARS = 60
"""gpg-agent's socket lives in the keyring directory, and a socket path has about 100 characters."""


@dataclass(frozen=True)
class DemoPgp:
    pair: KeyPair

    def sandbox(self) -> SandboxPgp:
        return SandboxPgp(public_key=self.pair.public_key, encrypted_days=ENCRYPTED_DAYS, suffix=".pgp",
                          private_key=self.pair.private_key, passphrase=self.pair.passphrase)

    def env(self) -> dict[str, str]:
        """The product decrypts the sandbox's encrypted day and encrypts its uploads to the same pair."""
        return {
            "EPISERVER_PGP_PRIVATE_KEY": self.pair.private_key,
            "EPISERVER_PGP_PRIVATE_KEY_PASSPHRASE": self.pair.passphrase or "",
            "EPISERVER_PGP_PUBLIC_KEY": self.pair.public_key,
        }


def demo_pgp(data_dir: Path) -> DemoPgp:
    base = (data_dir / "demo-pgp").resolve()
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    usable = base if len(str(base)) <= MAX_KEYRING_BASE_CHARS else None  # else the default (/dev/shm)
    return DemoPgp(generate_key_pair("episerver-assets demo", secrets.token_urlsafe(24), usable))
