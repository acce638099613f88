"""Test settings: PostgreSQL and Redis on localhost when they answer, embedded fall-backs otherwise.

Tests that need a real service are marked (`postgres`, `redis`, `browser`); tests/conftest.py skips them
loudly when the service is missing, or fails the run when REQUIRE_SERVICES=1.
"""

import socket
from urllib.parse import urlparse

from .base import *  # noqa: F403
from .base import VAR_DIR, env


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1):
            return True
    except OSError:
        return False


TEST_DATABASE_URL = env.str("TEST_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/kaihu")
TEST_BROKER_URL = env.str(
    "TEST_CELERY_BROKER_URL", default=env.str("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/9")
)

SERVICES_AVAILABLE = {
    "postgres": _reachable(TEST_DATABASE_URL, 5432),
    "redis": _reachable(TEST_BROKER_URL, 6379),
}

if SERVICES_AVAILABLE["postgres"]:
    DATABASES = {"default": env.db_url_config(TEST_DATABASE_URL)}
else:
    DATABASES = {"default": env.db_url_config(f"sqlite:///{VAR_DIR / 'test.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = 0

CELERY_BROKER_URL = TEST_BROKER_URL if SERVICES_AVAILABLE["redis"] else "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}

SECRET_KEY = "test-secret-key-not-for-production-use-0123456789abcdef"  # noqa: S105
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "test-media"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
WHITENOISE_USE_FINDERS = True
