"""PGP for files exchanged over SFTP (seed 001), through GnuPG (Debian's `gnupg`) and python-gnupg.

Response files arriving encrypted are decrypted with the configured private key before validation;
uploads can be encrypted to the configured public key and signed. Every run imports the keys into
its own keyring (`isolated_keyring`), and every operation streams (`decrypt`, `encrypt`).
"""

from .armor import ENCRYPTED_SUFFIXES, armored_key, is_encrypted_name, plain_name
from .errors import PgpDecryptionError, PgpEncryptionError, PgpError, PgpKeyError
from .files import decrypt_file, encrypt_file
from .keyring import Keyring, isolated_keyring
from .keys import PgpKeys
from .streams import decrypt, encrypt
from .uploads import encrypt_for_upload

__all__ = [
    "ENCRYPTED_SUFFIXES",
    "Keyring",
    "PgpDecryptionError",
    "PgpEncryptionError",
    "PgpError",
    "PgpKeyError",
    "PgpKeys",
    "armored_key",
    "decrypt",
    "decrypt_file",
    "encrypt",
    "encrypt_file",
    "encrypt_for_upload",
    "is_encrypted_name",
    "isolated_keyring",
    "plain_name",
]
