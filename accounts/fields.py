"""A text field encrypted at rest with Fernet keys from the environment (rotation: newest first)."""
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured(
            "SEAMLINE_ENCRYPTION_KEYS is empty: set it to a Fernet key "
            "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')."
        )
    return MultiFernet([Fernet(k.encode()) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.SEAMLINE_ENCRYPTION_KEYS))


class EncryptedTextField(models.TextField):
    """Stores `enc:<fernet token>`; reads give back the plain text. Empty stays empty."""

    prefix = "enc:"

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return self.prefix + fernet().encrypt(value.encode()).decode()

    def from_db_value(self, value, expression, connection):
        if value in (None, "") or not value.startswith(self.prefix):
            return value
        try:
            return fernet().decrypt(value[len(self.prefix):].encode()).decode()
        except InvalidToken as exc:
            raise ImproperlyConfigured(
                "A stored token cannot be decrypted with SEAMLINE_ENCRYPTION_KEYS (key changed?)"
            ) from exc
