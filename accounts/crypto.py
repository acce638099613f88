"""Encryption at rest and blind indexes for personal data (ID numbers, phones, addresses).

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under the first key of
PII_ENCRYPTION_KEYS; older keys still decrypt, so keys can be rotated (`manage.py pii_rotate`).
Exact lookups use a blind index: HMAC-SHA256 of the normalised value under PII_INDEX_KEY, which is
never rotated with the encryption keys (it would orphan every index).
"""

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

PREFIX = "enc1:"


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k.encode()) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.PII_ENCRYPTION_KEYS))


def encrypt(value: str) -> str:
    return PREFIX + fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    if not token.startswith(PREFIX):
        raise ValueError("value is not encrypted")
    try:
        return fernet().decrypt(token[len(PREFIX) :].encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise ValueError("cannot decrypt: unknown key or altered value") from exc


def rotate(token: str) -> str:
    """Re-encrypt under the current key (no-op in meaning, new ciphertext)."""
    return PREFIX + fernet().rotate(token[len(PREFIX) :].encode("ascii")).decode("ascii")


def blind_index(value: str) -> str:
    normalised = "".join(value.split()).upper()
    return hmac.new(settings.PII_INDEX_KEY.encode(), normalised.encode("utf-8"), hashlib.sha256).hexdigest()
