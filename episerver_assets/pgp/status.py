"""Why gpg failed, from its status lines (`[GNUPG:] KEYWORD args`), as a message naming the cause."""

from __future__ import annotations

from .errors import PgpDecryptionError

GPG_ERR_BAD_PASSPHRASE = 11
PASSPHRASE_SETTING = "EPISERVER_PGP_PRIVATE_KEY_PASSPHRASE"


def status_lines(stderr: str) -> list[list[str]]:
    return [line[len("[GNUPG:] "):].split() for line in stderr.splitlines() if line.startswith("[GNUPG:] ")]


def last_complaint(stderr: str) -> str:
    """gpg's last human-readable line (it names no secret), or a fallback."""
    said = [line[len("gpg: "):] for line in stderr.splitlines() if line.startswith("gpg: ")]
    return said[-1] if said else "gpg failed without saying why"


def _bad_passphrase(statuses: list[list[str]]) -> bool:
    return any(
        s[0] == "BAD_PASSPHRASE"
        or (s[0] == "ERROR" and len(s) > 2 and s[2].isdigit() and int(s[2]) & 0xFFFF == GPG_ERR_BAD_PASSPHRASE)
        for s in statuses
    )


def decryption_error(stderr: str, private_fingerprint: str, passphrase_given: bool) -> PgpDecryptionError:
    statuses = status_lines(stderr)
    keywords = {s[0] for s in statuses}
    if _bad_passphrase(statuses):
        return PgpDecryptionError(
            "wrong_passphrase",
            f"the passphrase ({PASSPHRASE_SETTING}) does not unlock the private key {private_fingerprint}")
    if "NEED_PASSPHRASE" in keywords and not passphrase_given:
        return PgpDecryptionError(
            "missing_passphrase", f"the private key {private_fingerprint} is protected: set {PASSPHRASE_SETTING}")
    if "NO_SECKEY" in keywords and "DECRYPTION_KEY" not in keywords:
        to = ", ".join(sorted({s[1] for s in statuses if s[0] == "NO_SECKEY" and len(s) > 1}))
        return PgpDecryptionError(
            "other_key",
            f"it is encrypted to another key ({to}), not to the configured private key {private_fingerprint}: "
            "the private key must be the one paired with the public key the file was encrypted with")
    if "NODATA" in keywords or not keywords & {"ENC_TO", "BEGIN_DECRYPTION", "DECRYPTION_FAILED"}:
        return PgpDecryptionError("not_encrypted", "it is not PGP-encrypted data, or it is damaged")
    return PgpDecryptionError("failed", f"gpg could not decrypt it: {last_complaint(stderr)}")
