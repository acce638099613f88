"""Settings load in each mode, and production settings pass `check --deploy` with nothing to say."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s;"
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], 'broker': s.CELERY_BROKER_URL,"
    " 'debug': s.DEBUG, 'lang': s.LANGUAGE_CODE}))"
)


def _clean_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_"))}
    env.update(extra)
    return env


def _probe(**env: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=_clean_env(**env), capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_no_variables_means_embedded_sqlite_and_a_serverless_broker():
    probe = _probe(DJANGO_SETTINGS_MODULE="config.settings.base")
    assert probe == {
        "engine": "django.db.backends.sqlite3",
        "broker": "filesystem://",
        "debug": False,
        "lang": "zh-hans",
    }


def test_urls_switch_to_postgres_and_redis():
    probe = _probe(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DATABASE_URL="postgres://u:p@db:5432/kaihu",
        CELERY_BROKER_URL="redis://cache:6379/0",
    )
    assert probe["engine"] == "django.db.backends.postgresql"
    assert probe["broker"] == "redis://cache:6379/0"


def test_test_settings_load():
    probe = _probe(DJANGO_SETTINGS_MODULE="config.settings.test")
    assert probe["lang"] == "zh-hans"


def test_production_refuses_to_start_without_its_secrets():
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=_clean_env(DJANGO_SETTINGS_MODULE="config.settings.production"),
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_secrets_can_come_from_files(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s" * 64 + "\n")
    db = tmp_path / "db"
    db.write_text("postgres://u:p@db:5432/kaihu")
    keys = tmp_path / "keys"
    keys.write_text("q3l0ZUzGzXLhcpMPGT3rLEhh4gOvgd5aFJVZPOnfmxE=\n")
    probe = _probe(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY_FILE=str(secret),
        DJANGO_ALLOWED_HOSTS="kaihu.example.com",
        DATABASE_URL_FILE=str(db),
        CELERY_BROKER_URL="redis://cache:6379/0",
        PII_ENCRYPTION_KEYS_FILE=str(keys),
        PII_INDEX_KEY="index-key-for-tests",
    )
    assert probe["engine"] == "django.db.backends.postgresql"
    assert probe["debug"] is False


def test_production_settings_pass_check_deploy_without_warnings():
    env = _clean_env(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        PII_ENCRYPTION_KEYS="q3l0ZUzGzXLhcpMPGT3rLEhh4gOvgd5aFJVZPOnfmxE=",
        PII_INDEX_KEY=secrets.token_urlsafe(32),
        DJANGO_ALLOWED_HOSTS="kaihu.example.com",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200
    assert body["database"] == "ok"
    assert body["broker"] == "ok"
    assert body["status"] == "ok"


@pytest.mark.django_db
def test_healthz_reports_an_unreachable_broker(client, settings, monkeypatch):
    from config.celery import app

    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "unreachable"


def test_a_bucket_switches_documents_to_object_storage_that_never_overwrites():
    probe = (
        "import json, django; django.setup(); from django.conf import settings as s;"
        "from django.core.files.storage import storages; d = storages['default'];"
        "print(json.dumps({'cls': type(d).__name__, 'overwrite': d.file_overwrite, 'bucket': d.bucket_name,"
        " 'endpoint': d.endpoint_url, 'acl': d.default_acl}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=_clean_env(
            DJANGO_SETTINGS_MODULE="config.settings.base",
            ARCHIVE_S3_BUCKET="kaihu-archive",
            ARCHIVE_S3_ENDPOINT_URL="http://127.0.0.1:9000",
            ARCHIVE_S3_ACCESS_KEY_ID="key",
            ARCHIVE_S3_SECRET_ACCESS_KEY="secret",
        ),
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {
        "cls": "S3Storage",
        "overwrite": False,
        "bucket": "kaihu-archive",
        "endpoint": "http://127.0.0.1:9000",
        "acl": "private",
    }


def test_no_bucket_means_the_local_filesystem():
    probe = (
        "import django; django.setup(); from django.core.files.storage import storages;"
        "print(type(storages['default']).__name__)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=_clean_env(DJANGO_SETTINGS_MODULE="config.settings.base"),
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip().splitlines()[-1] == "FileSystemStorage"
