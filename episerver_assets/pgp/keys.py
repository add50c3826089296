"""The configured keys, as one value that never shows its secrets."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PgpKeys:
    """Armored keys from the settings (EPISERVER_PGP_*): `private_key` (and its `passphrase`) decrypts
    response files and signs uploads when `sign` is set; `public_key` encrypts uploads."""

    private_key: str | None = field(default=None, repr=False)
    passphrase: str | None = field(default=None, repr=False)
    public_key: str | None = None
    sign: bool = False

    @property
    def can_decrypt(self) -> bool:
        return self.private_key is not None

    @property
    def can_encrypt(self) -> bool:
        return self.public_key is not None
