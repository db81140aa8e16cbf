"""Personal data encrypted at rest: one data key, authenticated encryption, keyed lookups.

Why: the people who write to the firm are often persecuted by a state; a copied database
file, a backup or a stolen disk must not reveal who they are. Every personal field of a
request, its lawyer summary, the notes, every conversation event in the tracker store and
every spool file are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from
``cryptography``) under the key in ``INTAKE_DATA_KEY``. Looking a request up by email uses
an HMAC of the normalised address under a subkey derived from the same key (HKDF), so the
address itself is never stored in clear.

A wrong key is detected (the key-check row of the intake database, the newest stored
conversation event) and stops the servers with a clear message before anything is
written: nothing is lost, the right key opens everything again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import stat
from pathlib import Path
from typing import Mapping, Optional

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_ENV = "INTAKE_DATA_KEY"
NEW_KEY_ENV = "INTAKE_NEW_DATA_KEY"
KEY_CHECK_TEXT = "intake data key check"
# Every Fernet token starts with version byte 0x80, i.e. "gAAAAA" in URL-safe base64.
TOKEN_PREFIX = "gAAAAA"


class DataKeyError(RuntimeError):
    """The data key is missing, malformed, or does not open what is stored."""


def generate_key() -> str:
    """A new random data key (URL-safe base64 of 32 bytes), as ``INTAKE_DATA_KEY`` expects."""
    return Fernet.generate_key().decode("ascii")


def _mask(text: str) -> str:
    return text[:4] + "…" if len(text) > 4 else "…"


class DataCipher:
    """Encrypts and decrypts text under one data key; computes keyed lookup hashes."""

    def __init__(self, key: str | bytes) -> None:
        raw_key = key.encode("ascii") if isinstance(key, str) else key
        try:
            self._fernet = Fernet(raw_key.strip())
            secret = base64.urlsafe_b64decode(raw_key.strip())
        except (ValueError, TypeError) as error:
            raise DataKeyError(
                f"{KEY_ENV} is not a valid data key (expected 32 bytes in URL-safe base64, as printed by "
                "`python -m intake.admin generate-key`).") from error
        self._lookup_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                                info=b"intake email lookup").derive(secret)
        self.fingerprint = hashlib.sha256(b"fingerprint" + secret).hexdigest()[:12]

    # ------------------------------------------------------------------ text

    def encrypt(self, text: Optional[str]) -> Optional[str]:
        """The token for ``text`` (None stays None)."""
        if text is None:
            return None
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: Optional[str]) -> Optional[str]:
        """The text of a token (None stays None); DataKeyError if this key did not write it."""
        if token is None:
            return None
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeEncodeError) as error:
            raise DataKeyError(
                f"The data key {KEY_ENV} (fingerprint {self.fingerprint}) does not open stored data "
                f"(a value starting {_mask(token)}): is it the key the data was written with?") from error

    def encrypt_bytes(self, data: bytes) -> bytes:
        return self._fernet.encrypt(data)

    def decrypt_bytes(self, token: bytes) -> bytes:
        try:
            return self._fernet.decrypt(token)
        except InvalidToken as error:
            raise DataKeyError(f"The data key {KEY_ENV} (fingerprint {self.fingerprint}) does not open "
                               "this data.") from error

    def opens(self, token: str) -> bool:
        """Whether this key decrypts ``token``."""
        try:
            self.decrypt(token)
            return True
        except DataKeyError:
            return False

    # ------------------------------------------------------------------ lookups

    def lookup_hash(self, value: Optional[str]) -> Optional[str]:
        """HMAC-SHA256 of a normalised value (email): equal inputs match, the input is not stored."""
        if value is None or not value.strip():
            return None
        normalised = value.strip().casefold().encode("utf-8")
        return hmac.new(self._lookup_key, normalised, hashlib.sha256).hexdigest()


def is_token(value: Optional[str | bytes]) -> bool:
    """Whether a stored value looks encrypted (a Fernet token), not legacy clear text."""
    if value is None:
        return False
    if isinstance(value, bytes):
        return value.startswith(TOKEN_PREFIX.encode("ascii"))
    return value.startswith(TOKEN_PREFIX)


def key_from_environment(environ: Optional[Mapping[str, str]] = None, name: str = KEY_ENV) -> str:
    """The data key named ``name`` in the environment (or in the file named by ``{name}_FILE``)."""
    environ = os.environ if environ is None else environ
    key = (environ.get(name) or "").strip()
    if not key and environ.get(f"{name}_FILE"):
        try:
            key = Path(environ[f"{name}_FILE"]).read_text(encoding="ascii").strip()
        except OSError as error:
            raise DataKeyError(f"Cannot read the data key file {environ[f'{name}_FILE']}: {error}") from error
    if not key:
        raise DataKeyError(
            f"{name} is not set: the personal data of requests and conversations is encrypted with it. "
            "Set it to the firm's data key (`python -m intake.admin generate-key` makes a new one; "
            "scripts/run.sh keeps one in .run/data.key).")
    return key


def cipher_from_environment(environ: Optional[Mapping[str, str]] = None) -> DataCipher:
    """The cipher of ``INTAKE_DATA_KEY``; DataKeyError with a clear message when missing or invalid."""
    return DataCipher(key_from_environment(environ))


def ensure_key_file(path: Path) -> tuple[str, bool]:
    """The key in ``path``, created (mode 0600) when absent; returns (key, created)."""
    path = Path(path)
    if path.exists():
        return path.read_text(encoding="ascii").strip(), False
    path.parent.mkdir(parents=True, exist_ok=True)
    key = generate_key()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(descriptor, "w", encoding="ascii") as stream:
        stream.write(key + "\n")
    return key, True
