"""Throwaway key pairs for the demo and the tests: ed25519 for signing, cv25519 for encryption (both
made in milliseconds), generated in a keyring of their own that is removed afterwards."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from .errors import PgpKeyError
from .keyring import isolated_keyring
from .keys import PgpKeys


@dataclass(frozen=True)
class KeyPair:
    public_key: str
    private_key: str = field(repr=False)
    passphrase: str | None = field(default=None, repr=False)
    fingerprint: str = ""

    def keys(self, sign: bool = False) -> PgpKeys:
        """Both halves as the settings would give them."""
        return PgpKeys(self.private_key, self.passphrase, self.public_key, sign)


def generate_key_pair(name: str, passphrase: str | None = None,
                      base: str | os.PathLike[str] | None = None) -> KeyPair:
    """A new armored key pair for `name` (e-mail `<slug>@example.invalid`), protected by `passphrase` if given."""
    with isolated_keyring(PgpKeys(), base) as keyring:
        gpg = keyring.gpg()
        slug = "".join(c if c.isalnum() else "-" for c in name.lower())
        spec = gpg.gen_key_input(
            key_type="EDDSA", key_curve="ed25519", key_usage="sign", subkey_type="ECDH", subkey_curve="cv25519",
            subkey_usage="encrypt", name_real=name, name_email=f"{slug}@example.invalid", expire_date=0,
            passphrase=passphrase, no_protection=passphrase is None)
        generated = gpg.gen_key(spec)
        if not generated.fingerprint:
            raise PgpKeyError(f"gpg could not generate a key pair: {generated.stderr}")
        fingerprint = str(generated.fingerprint)
        public = gpg.export_keys(fingerprint, armor=True)
        private = gpg.export_keys(fingerprint, secret=True, armor=True, passphrase=passphrase,
                                  expect_passphrase=passphrase is not None)
    return KeyPair(public, private, passphrase, fingerprint)
