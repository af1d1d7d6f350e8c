"""Token encryption at rest with MultiFernet, so keys can be rotated.

The first key in HOURCAP_ENCRYPTION_KEYS encrypts; every key decrypts. `hourcap rotate-keys` re-encrypts stored
tokens under the primary key.

The keyring is the one piece of process-wide state left, on purpose. `storage.types.EncryptedText` encrypts and
decrypts inside SQLAlchemy's bind and result processing, which hands a column type the value and the dialect only:
no session, no engine of ours. Giving each `Database` its own keyring would mean hanging it on SQLAlchemy's
dialect objects, and routing it to every other user too (the Slack installation store's encryption, key rotation,
each worker and script that builds a `Database`), for one set of keys per process either way. So the keyring
stays a module-level object, configured explicitly: `keyring.configure(keys)` by whoever owns the process (the
composition root `app.build_runtime`, the test session, a test's worker process, a bench script). Configuring
it again with the same keys is a no-op; other keys replace the earlier ones (the process's owner decides).
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class EncryptionNotConfigured(RuntimeError):
    """A token had to be stored or read but no HOURCAP_ENCRYPTION_KEYS were given."""


class Keyring:
    def __init__(self) -> None:
        self._fernet: MultiFernet | None = None
        self._keys: tuple[str, ...] = ()

    def configure(self, keys: Sequence[str]) -> None:
        """Use `keys` (primary first) from now on; none: not configured. Idempotent for the same keys."""
        keys = tuple(keys)
        if keys == self._keys:
            return
        self._fernet = MultiFernet([Fernet(k) for k in keys]) if keys else None
        self._keys = keys

    @property
    def configured(self) -> bool:
        return self._fernet is not None

    def _require(self) -> MultiFernet:
        if self._fernet is None:
            raise EncryptionNotConfigured(
                "HOURCAP_ENCRYPTION_KEYS is not set: tokens cannot be stored or read "
                "(generate a key with `hourcap keygen`)"
            )
        return self._fernet

    def encrypt(self, plaintext: str) -> str:
        return self._require().encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._require().decrypt(ciphertext.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise EncryptionNotConfigured(
                "a stored token cannot be decrypted with HOURCAP_ENCRYPTION_KEYS: was a key removed?"
            ) from None

    def is_ciphertext(self, value: str) -> bool:
        """True when `value` is already a token of ours (so it must not be encrypted again)."""
        try:
            self._require().decrypt(value.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError):
            return False
        return True

    def rotate(self, ciphertext: str) -> str:
        return self._require().rotate(ciphertext.encode("ascii")).decode("ascii")


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


keyring = Keyring()
