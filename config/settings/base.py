"""Settings shared by every mode. Every difference between modes is an environment variable read here."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A local .env file is optional; real deployments set the environment.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def env_secret(name: str, default: str | None = None) -> str | None:
    """Read NAME, or the file named by NAME_FILE (Docker/Kubernetes secrets)."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return env.str(name, default=default)


DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env_secret("DJANGO_SECRET_KEY", default="insecure-embedded-default-only-for-local-demo-use")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])


# Personal data at rest (accounts/crypto.py). Keys: urlsafe base64 of 32 bytes (Fernet); the first
# encrypts, all decrypt. The embedded default derives them from SECRET_KEY; production must set them.
def _derived_key(label: str) -> str:
    import base64
    import hashlib

    return base64.urlsafe_b64encode(hashlib.sha256(f"{label}:{SECRET_KEY}".encode()).digest()).decode()


PII_ENCRYPTION_KEYS = [
    k.strip() for k in (env_secret("PII_ENCRYPTION_KEYS") or _derived_key("pii-encryption")).split(",") if k.strip()
]
PII_INDEX_KEY = env_secret("PII_INDEX_KEY") or _derived_key("pii-index")

# Firm identity printed on every page and PDF.
FIRM_NAME = env.str("FIRM_NAME", default="示例证券股份有限公司")
FIRM_NAME_EN = env.str("FIRM_NAME_EN", default="Example Securities Co., Ltd.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "pgtrigger",
    "axes",
    "accounts",
    "archive",
    "suitability",
    "onboarding",
    "callbacks",
    "tiering",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.middleware.PagesInChineseMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.DenialLogMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "accounts.middleware.ApplicationErrorMiddleware",
    # Axes must be last: it turns a locked-out login into a lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.firm",
            ],
        },
    },
]

# Database: embedded SQLite unless DATABASE_URL is set.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    VAR_DIR.mkdir(exist_ok=True)
    # The embedded worker and web server share one file: wait for each other's write locks.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout after repeated failed logins (django-axes).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
# One account after N failures from anywhere; one browser on one address spraying many usernames.
AXES_LOCKOUT_PARAMETERS = ["username", ["ip_address", "user_agent"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# Sessions end after a period without activity and when the browser closes.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Client-file documents: the local filesystem by default, S3-compatible object storage when
# ARCHIVE_S3_BUCKET is set (django-storages). Names are never reused: a file is written once.
ARCHIVE_S3_BUCKET = env.str("ARCHIVE_S3_BUCKET", default="")
if ARCHIVE_S3_BUCKET:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": ARCHIVE_S3_BUCKET,
            "endpoint_url": env.str("ARCHIVE_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("ARCHIVE_S3_REGION", default="") or None,
            "access_key": env_secret("ARCHIVE_S3_ACCESS_KEY_ID"),
            "secret_key": env_secret("ARCHIVE_S3_SECRET_ACCESS_KEY"),
            "file_overwrite": False,
            "default_acl": "private",
            "querystring_auth": True,
            "location": env.str("ARCHIVE_S3_PREFIX", default=""),
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # DRF's token authentication, reading the user's permissions in the same query (docs/performance.md)
        "accounts.access.TokenWithPermissionsAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "accounts.api_errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "证券客户开户与分级 API / Securities client onboarding and tiering API",
    "DESCRIPTION": (
        "Internal REST API. Authenticate with `Authorization: Token <key>` "
        "(create a client with `manage.py api_client_create`). Errors always have the shape "
        '`{"code", "message", "fields", "rule"}`; send `Accept-Language: en` for English messages.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "TierEnum": "tiering.models.Tier",
        "ApplicationStatusEnum": "onboarding.models.ApplicationStatus",
        "ApplicationChannelEnum": "onboarding.models.Channel",
        "ClientKindEnum": "accounts.models.ClientKind",
        "IdTypeEnum": "accounts.models.IdTypeChoices",
        "AccountStatusEnum": "accounts.models.AccountStatus",
        "DisclosureKindEnum": "onboarding.models.DisclosureKind",
        "ClientStatusEnum": "accounts.models.ClientStatus",
        "ConfirmationChannelEnum": "suitability.models.ConfirmationChannel",
        "CallbackTaskStatusEnum": "callbacks.models.TaskStatus",
        "CallbackReasonEnum": "callbacks.models.CallbackReason",
        "CallbackAttemptChannelEnum": "callbacks.models.AttemptChannel",
        "CallbackAttemptOutcomeEnum": "callbacks.models.AttemptOutcome",
        "ChangeKindEnum": "accounts.models.ChangeKind",
        "ChangeStatusEnum": "accounts.models.ChangeStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "accounts.schema.add_error_responses",
    ],
}

# Celery: a broker that needs no server unless CELERY_BROKER_URL is set.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 30
# Redis re-delivers an unacknowledged task after the visibility timeout: it must exceed the longest
# task (and any countdown/ETA), in every place kombu reads it.
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=2 * 60 * 60)
_fs_broker_dir = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem"):
    for _sub in ("out", "processed", "control"):
        (_fs_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_fs_broker_dir / "out"),
        "data_folder_out": str(_fs_broker_dir / "out"),
        "processed_folder": str(_fs_broker_dir / "processed"),
        "control_folder": str(_fs_broker_dir / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Benchmarks only (bench/run.py sets it): bare floor views under /bench/ and a no-op Celery task. Never on otherwise.
BENCH_FLOOR_VIEWS = env.bool("BENCH_FLOOR_VIEWS", default=False)
CELERY_IMPORTS = ["bench.floor_tasks"] if BENCH_FLOOR_VIEWS else []
# The tamper-evidence sequencer has a queue of its own so that it never waits behind a backlog of PDF tasks:
# a worker started without -Q consumes every queue listed here, taking from them in turn.
CELERY_TASK_QUEUES = [
    Queue("celery", routing_key="celery"),
    Queue("audit-chain", routing_key="audit-chain"),
]
CELERY_TASK_ROUTES = {"archive.tasks.chain_sequence_task": {"queue": "audit-chain"}}
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "accounts.tasks.worker_heartbeat_record", "schedule": 60.0},
    # Idempotency-Key records live IDEMPOTENCY_TTL_HOURS; forget the expired ones once an hour.
    "idempotency-keys-purge": {"task": "accounts.tasks.idempotency_keys_purge_task", "schedule": 3600.0},
    "callback-tasks-sweep": {"task": "callbacks.tasks.callback_tasks_sweep_task", "schedule": 60.0},
    "callback-deadlines-enforce": {"task": "callbacks.tasks.callback_deadlines_enforce_task", "schedule": 300.0},
    # Suitability (SPEC §5): re-send result / warning PDFs whose task was lost after commit.
    "suitability-documents-resend": {"task": "suitability.tasks.suitability_documents_resend_task", "schedule": 300.0},
    # Client data changes (SPEC §4): resend lost CSDC workflows; file confirmation slips.
    "change-requests-sweep": {"task": "accounts.tasks.change_requests_sweep_task", "schedule": 60.0},
    "change-slips-generate": {"task": "archive.tasks.change_slips_generate_task", "schedule": 30.0},
    # Tamper evidence (docs/decisions/0007): link rows committed since the last tick. `expires` drops ticks
    # that waited too long behind other tasks: a later tick does the same work.
    "audit-chain-sequence": {
        "task": "archive.tasks.chain_sequence_task",
        "schedule": 5.0,
        "options": {"expires": 60.0},
    },
    # Tiering (SPEC §7): re-tier the whole client base every night after the metrics import.
    "tier-recompute-nightly": {
        "task": "tiering.tasks.tier_recompute_nightly",
        "schedule": crontab(hour=2, minute=30),
    },
}

# Callbacks (回访, SPEC §6): working days on the Chinese calendar (chinesecalendar).
CALLBACK_FIRST_DUE_WORKDAYS = env.int("CALLBACK_FIRST_DUE_WORKDAYS", default=1)
CALLBACK_MAX_ATTEMPTS = env.int("CALLBACK_MAX_ATTEMPTS", default=3)
CALLBACK_MIN_GAP_HOURS = env.int("CALLBACK_MIN_GAP_HOURS", default=2)
CALLBACK_EXPIRY_WORKDAYS = env.int("CALLBACK_EXPIRY_WORKDAYS", default=10)
CALLBACK_REMINDER_MINUTES = env.int("CALLBACK_REMINDER_MINUTES", default=60)
CALLBACK_SYSTEM_USERNAME = env.str("CALLBACK_SYSTEM_USERNAME", default="system-callbacks")

# Client data changes (SPEC §4): CSDC sync retries (exponential backoff from the base), when the sweeper
# resends a request not processed, and whether an applied key-data change creates a callback task.
CHANGE_SYNC_MAX_RETRIES = env.int("CHANGE_SYNC_MAX_RETRIES", default=6)
CHANGE_SYNC_BACKOFF_SECONDS = env.float("CHANGE_SYNC_BACKOFF_SECONDS", default=10.0)
CHANGE_SYNC_RESEND_AFTER_SECONDS = env.int("CHANGE_SYNC_RESEND_AFTER_SECONDS", default=300)
KEY_CHANGE_CALLBACK = env.bool("KEY_CHANGE_CALLBACK", default=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
SIMPLE_HISTORY_REVERT_DISABLED = True

# Client file: the largest upload accepted, in bytes.
ARCHIVE_MAX_UPLOAD_BYTES = env.int("ARCHIVE_MAX_UPLOAD_BYTES", default=10 * 1024 * 1024)

# How stale the newest worker heartbeat may be before /healthz reports the worker as down.
WORKER_HEARTBEAT_MAX_AGE = env.int("WORKER_HEARTBEAT_MAX_AGE", default=180)

# How long an Idempotency-Key is remembered (replays within this time; `manage.py idempotency_purge`).
IDEMPOTENCY_TTL_HOURS = env.int("IDEMPOTENCY_TTL_HOURS", default=24)
