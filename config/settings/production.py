"""Production settings: everything that must be set comes from the environment, nothing is guessed."""

from .base import *  # noqa: F403
from .base import env, env_secret

DEBUG = False
SECRET_KEY = env_secret("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    raise RuntimeError("DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) must be set in production")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")

_database_url = env_secret("DATABASE_URL")
if not _database_url:
    raise RuntimeError("DATABASE_URL (or DATABASE_URL_FILE) must be set in production")
DATABASES = {"default": env.db_url_config(_database_url)}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

CELERY_BROKER_URL = env_secret("CELERY_BROKER_URL")
if not CELERY_BROKER_URL:
    raise RuntimeError("CELERY_BROKER_URL (or CELERY_BROKER_URL_FILE) must be set in production")

if not env_secret("PII_ENCRYPTION_KEYS") or not env_secret("PII_INDEX_KEY"):
    raise RuntimeError("PII_ENCRYPTION_KEYS and PII_INDEX_KEY (or their _FILE variants) must be set in production")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
