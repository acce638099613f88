"""`Idempotency-Key` on every POST of the REST API (accounts/idempotency.py), across every app.

The schema documents the header, 400, 409 and 422 on every POST (the one exception, the personal-data reveal,
is named and explained). For a representative creating POST of each app: a retry with the same key and body
replays the first answer and creates nothing more; the same key with another body is a 422 that creates
nothing; a key still in flight is a 409; keys belong to the caller; an expired key is a new key; a server
error is not remembered. The application POST's own cases (refusal replayed, two real concurrent threads)
are in tests/onboarding/test_api.py, the change request's in tests/accounts/test_changes.py.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.idempotency import idempotency_keys_purge
from accounts.models import Branch, ChangeRequest, IdempotencyKey
from accounts.roles import Role
from accounts.tasks import idempotency_keys_purge_task
from callbacks.models import CallbackAttempt
from onboarding.models import Application, IdentityCheck
from suitability.models import Assessment, ClassificationRequest, MatchDecision, Product
from tests.onboarding.conftest import person
from tests.suitability.conftest import answers_for, current
from tiering.models import ClientMetric, PolicyStatus, TierOverride, TierPolicy, TierRecompute, TierRecomputeStatus

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

ERROR_REF = {"$ref": "#/components/schemas/Error"}
# POSTs that do not take an Idempotency-Key, each with the reason. Anything else must.
NOT_IDEMPOTENT = {
    "/api/v1/clients/{client_id}/reveal/": "a replay would keep the clear value in the key table and hand it out "
    "again without a reveal log entry; a retried reveal is simply another logged reveal",
}


def _json(value):
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return value.isoformat() if hasattr(value, "isoformat") else value


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def _post(api, url, body, key):
    return api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key, HTTP_ACCEPT_LANGUAGE="en")


# --- (a) the schema: every POST documents the header and its answers ---------------------------------------


def test_every_post_operation_takes_an_idempotency_key(make_staff):
    schema = _api(make_staff(Role.CLERK)).get("/api/schema/?format=json").json()
    posts = {path: methods["post"] for path, methods in schema["paths"].items() if "post" in methods}
    missing, undocumented = [], []
    for path, operation in sorted(posts.items()):
        header = [p for p in operation.get("parameters", []) if p["in"] == "header" and p["name"] == "Idempotency-Key"]
        if path in NOT_IDEMPOTENT:
            assert not header, f"{path} is listed as not idempotent but documents the header"
            continue
        if not header:
            missing.append(path)
            continue
        assert not header[0].get("required", False)
        for status, code in [("400", "idempotency_key_invalid"), ("409", "idempotency_request_in_flight"),
                             ("422", "idempotency_key_reused")]:  # fmt: skip
            response = operation["responses"].get(status, {})
            schema_of = response.get("content", {}).get("application/json", {}).get("schema")
            if code not in response.get("description", "") or (
                schema_of != ERROR_REF and ERROR_REF not in schema_of.get("oneOf", [])
            ):
                undocumented.append(f"{path} {status}")
    assert len(posts) >= 30
    assert not missing, f"POST operations without the Idempotency-Key parameter (use @idempotent): {missing}"
    assert not undocumented, f"idempotency answers not documented: {undocumented}"
    assert set(NOT_IDEMPOTENT) <= set(posts), "NOT_IDEMPOTENT names a path that no longer exists"


# --- (b) replay and reuse, one creating POST per app (plus two steps) -----------------------------------------


@dataclass
class Case:
    role: str
    url: Callable[[dict], str]
    body: Callable[[dict], object]  # the first request
    other: Callable[[dict], object]  # the same key with this body is a 422
    rows: Callable[[dict], int]  # what the request creates (or moves)
    status: int = 201
    prepare: Callable[[], None] = lambda: None  # noqa: E731


def _no_active_recompute():
    """The world queued a recompute; one queued or running refuses another (409 recompute_active)."""
    TierRecompute.objects.update(status=TierRecomputeStatus.DONE)


def _draft_client(world):
    return world["draft"].client


def _change_body(world, address):
    client = _draft_client(world)
    client.refresh_from_db()
    return {"client_id": client.pk, "client_version": client.version, "changes": {"address": address}}


def _metrics(world, assets, days=1):
    day = (timezone.localdate() + datetime.timedelta(days=days)).isoformat()
    return [{"client_no": world["client"].client_no, "as_of": day, "total_assets": assets, "contribution_12m": "1",
             "trades_12m": "1", "tenure_months": "3"}]  # fmt: skip


def _override(tier):
    return {"tier": tier, "reason": "重要客户", "expires_on": (timezone.localdate() + datetime.timedelta(days=30))}


CASES = {
    "branch": Case(
        Role.ADMIN, lambda w: "/api/v1/branches/",
        lambda w: {"code": "IDEM01", "name": "幂等营业部"}, lambda w: {"code": "IDEM02", "name": "幂等营业部"},
        lambda w: Branch.objects.count(),
    ),
    "product": Case(
        Role.ADMIN, lambda w: "/api/v1/products/",
        lambda w: {"code": "IDEM01", "name": "国债逆回购", "risk": "R1", "horizon": "short", "variety": "fixed_income"},
        lambda w: {"code": "IDEM02", "name": "国债逆回购", "risk": "R1", "horizon": "short", "variety": "fixed_income"},
        lambda w: Product.objects.count(),
    ),
    "application": Case(
        Role.CLERK, lambda w: "/api/v1/applications/",
        lambda w: {"channel": "counter", "client": _json(person(name="孙七")), "bank_code": "ICBC",
                   "bank_account": "6222020000000000002"},
        lambda w: {"channel": "counter", "client": _json(person(name="孙七")), "bank_code": "CMB",
                   "bank_account": "6222020000000000002"},
        lambda w: Application.objects.count(),
    ),
    "assessment": Case(
        Role.CLERK, lambda w: f"/api/v1/clients/{_draft_client(w).pk}/assessments/",
        lambda w: {"questionnaire_id": current().pk, "answers": answers_for(current(), total=45)},
        lambda w: {"questionnaire_id": current().pk, "answers": answers_for(current(), total=30)},
        lambda w: Assessment.objects.count(),
    ),
    "classification-request": Case(
        Role.CLERK, lambda w: f"/api/v1/clients/{_draft_client(w).pk}/classification-requests/",
        lambda w: {"to_class": "professional_c", "evidence": "资产证明", "financial_assets": "5000000.00",
                   "experience_years": 3},
        lambda w: {"to_class": "professional_c", "evidence": "资产证明", "financial_assets": "6000000.00",
                   "experience_years": 3},
        lambda w: ClassificationRequest.objects.count(),
    ),
    "callback-attempt": Case(
        Role.CALLBACK_SUPERVISOR, lambda w: f"/api/v1/callbacks/tasks/{w['task'].pk}/attempts/",
        lambda w: {"channel": "phone", "outcome": "no_answer", "notes": "无人接听"},
        lambda w: {"channel": "phone", "outcome": "busy", "notes": "占线"},
        lambda w: CallbackAttempt.objects.count(),
    ),
    "tier-override": Case(
        Role.ADMIN, lambda w: f"/api/v1/clients/{_draft_client(w).pk}/tier-overrides/",
        lambda w: _json(_override("A")), lambda w: _json(_override("B")), lambda w: TierOverride.objects.count(),
    ),
    "recompute": Case(
        Role.ADMIN, lambda w: "/api/v1/tiering/recomputes/", lambda w: None, lambda w: {"as_of": "2020-01-01"},
        lambda w: TierRecompute.objects.count(), status=202, prepare=_no_active_recompute,
    ),
    "metrics-import": Case(
        Role.API_CLIENT, lambda w: "/api/v1/tiering/metrics/", lambda w: _metrics(w, "1000"),
        lambda w: _metrics(w, "2000", days=2), lambda w: ClientMetric.objects.count(), status=200,
    ),
    "change-request": Case(
        Role.CLERK, lambda w: "/api/v1/change-requests/",
        lambda w: _change_body(w, "上海市浦东新区世纪大道100号"), lambda w: _change_body(w, "上海市黄浦区南京东路1号"),
        lambda w: ChangeRequest.objects.count(),
    ),
    "suitability-match": Case(
        Role.CLERK, lambda w: "/api/v1/suitability/match/",
        lambda w: {"client_id": w["client"].pk, "product_code": w["product"].code},
        lambda w: {"client_id": w["client"].pk, "risk": "R5", "horizon": "long", "variety": "derivatives"},
        lambda w: MatchDecision.objects.count(), status=200,
    ),
    # Steps: without a key a second identity check or proposal would be a 409; with it, the retry replays.
    "identity-check": Case(
        Role.CLERK, lambda w: f"/api/v1/applications/{w['draft'].pk}/identity-check/", lambda w: None,
        lambda w: {"again": True}, lambda w: IdentityCheck.objects.count(), status=200,
    ),
    "policy-propose": Case(
        Role.ADMIN, lambda w: f"/api/v1/tiering/policies/{w['policy'].pk}/propose/", lambda w: None,
        lambda w: {"note": "x"}, lambda w: TierPolicy.objects.filter(status=PolicyStatus.PROPOSED).count(),
        status=200,
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CASES))
def test_a_retry_replays_and_another_body_is_refused(name, world):
    case = CASES[name]
    api = _api(world["users"][case.role])
    url, body, other = case.url(world), case.body(world), case.other(world)
    case.prepare()
    before = case.rows(world)

    first = _post(api, url, body, f"{name}-1")
    assert first.status_code == case.status, first.json()
    created = case.rows(world)
    assert created == before + 1
    assert "Idempotent-Replayed" not in first.headers

    again = _post(api, url, body, f"{name}-1")
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert again.headers["Idempotent-Replayed"] == "true"
    assert case.rows(world) == created

    reused = _post(api, url, other, f"{name}-1")
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"
    assert reused.json()["fields"] == {"Idempotency-Key": [f"{name}-1"]}
    assert case.rows(world) == created
    assert IdempotencyKey.objects.filter(key=f"{name}-1").count() == 1

    # (c) a retry while the first is still running (the row is claimed before the work starts) is a 409
    IdempotencyKey.objects.filter(key=f"{name}-1").update(in_flight=True, response_status=None, response_body=None)
    in_flight = _post(api, url, body, f"{name}-1")
    assert in_flight.status_code == 409
    assert in_flight.json()["code"] == "idempotency_request_in_flight"
    assert case.rows(world) == created


def test_a_retry_arriving_while_the_first_request_runs_is_a_409_and_does_nothing(world, monkeypatch):
    """The first request claims the key before its work starts; a retry sent while that work runs (here from
    inside it, on the same connection, so it is deterministic) finds the claim and is refused."""
    from accounts import services as accounts_services

    admin = world["users"][Role.ADMIN]
    body = {"code": "IDEM09", "name": "幂等营业部"}
    real = accounts_services.branch_create
    retries = []

    def slow_create(**kwargs):
        assert IdempotencyKey.objects.get(user=admin, key="running").in_flight
        retries.append(_post(_api(admin), "/api/v1/branches/", body, "running"))
        return real(**kwargs)

    monkeypatch.setattr(accounts_services, "branch_create", slow_create)
    first = _post(_api(admin), "/api/v1/branches/", body, "running")

    assert first.status_code == 201
    assert retries[0].status_code == 409 and retries[0].json()["code"] == "idempotency_request_in_flight"
    assert Branch.objects.filter(code="IDEM09").count() == 1
    monkeypatch.setattr(accounts_services, "branch_create", real)
    replay = _post(_api(admin), "/api/v1/branches/", body, "running")
    assert replay.status_code == 201 and replay.json() == first.json()


def test_a_retried_upload_stores_one_document_and_another_file_under_the_same_name_is_a_422(world):
    """Multipart: the file takes part in the request by its content, and the view still reads all of it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from archive.models import Document
    from tests.archive.conftest import PDF, PNG

    api = _api(world["users"][Role.CLERK])
    url = f"/api/v1/clients/{world['client'].pk}/documents/"
    before = Document.objects.count()

    def upload(content):
        body = {"kind": "photo", "file": SimpleUploadedFile("scan.png", content)}
        return api.post(url, body, format="multipart", HTTP_IDEMPOTENCY_KEY="upload-1")

    first = upload(PDF)
    again = upload(PDF)
    other = upload(PNG)

    assert first.status_code == 201, first.json()
    assert (again.status_code, again.json(), again.headers["Idempotent-Replayed"]) == (201, first.json(), "true")
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert Document.objects.count() == before + 1
    assert Document.objects.get(pk=first.json()["id"]).size == len(PDF)


# --- (d) keys belong to the caller ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["branch", "product", "assessment", "metrics-import", "tier-override"])
def test_the_same_key_from_another_caller_runs_on_its_own(name, world, make_staff):
    case = CASES[name]
    url = case.url(world)
    case.prepare()
    first = _post(_api(world["users"][case.role]), url, case.body(world), "shared")
    before = case.rows(world)

    other = _post(_api(make_staff(case.role)), url, case.other(world), "shared")

    assert first.status_code == other.status_code == case.status, other.json()
    assert "Idempotent-Replayed" not in other.headers
    assert case.rows(world) == before + 1
    assert IdempotencyKey.objects.filter(key="shared").count() == 2


# --- (e) expiry and purge ------------------------------------------------------------------------------------


def test_an_expired_key_is_a_new_key_and_the_purge_deletes_only_expired_keys(world, make_staff):
    past = timezone.now() - datetime.timedelta(seconds=1)
    admin, manager = world["users"][Role.ADMIN], make_staff(Role.ACCOUNT_MANAGER)
    case = CASES["tier-override"]
    url = case.url(world)
    assert _post(_api(admin), url, case.body(world), "old").status_code == 201
    IdempotencyKey.objects.filter(key="old").update(expires_at=past)

    rerun = _post(_api(admin), url, case.other(world), "old")  # another body: a 422 if the key were alive

    assert rerun.status_code == 201 and "Idempotent-Replayed" not in rerun.headers
    assert TierOverride.objects.filter(client=_draft_client(world)).count() == 2
    assert IdempotencyKey.objects.get(key="old").request_hash  # the new request owns the key now

    _post(_api(manager), url, _json(_override("C")), "fresh")
    _post(_api(admin), "/api/v1/branches/", {"code": "IDEM05", "name": "幂等营业部"}, "stale")
    IdempotencyKey.objects.filter(key__in=["old", "stale"]).update(expires_at=past)
    assert idempotency_keys_purge() == 2
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]
    IdempotencyKey.objects.update(expires_at=past)
    call_command("idempotency_purge", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not IdempotencyKey.objects.exists()


def test_beat_purges_expired_keys_hourly(world, settings):
    entry = settings.CELERY_BEAT_SCHEDULE["idempotency-keys-purge"]
    assert entry["task"] == idempotency_keys_purge_task.name and entry["schedule"] <= 3600
    _post(_api(world["users"][Role.ADMIN]), "/api/v1/branches/", {"code": "IDEM07", "name": "幂等营业部"}, "beat")
    assert idempotency_keys_purge_task() == 0  # alive: kept
    IdempotencyKey.objects.filter(key="beat").update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert idempotency_keys_purge_task() == 1
    assert not IdempotencyKey.objects.filter(key="beat").exists()


def test_the_ttl_comes_from_the_setting(world, settings):
    settings.IDEMPOTENCY_TTL_HOURS = 2
    _post(_api(world["users"][Role.ADMIN]), "/api/v1/branches/", {"code": "IDEM06", "name": "幂等营业部"}, "ttl")
    left = IdempotencyKey.objects.get(key="ttl").expires_at - timezone.now()
    assert datetime.timedelta(hours=1, minutes=59) < left <= datetime.timedelta(hours=2)


# --- what is not remembered, and what does not take part -------------------------------------------------


def test_a_server_error_is_not_remembered_so_the_retry_runs(world, monkeypatch):
    from tiering import services as tiering_services

    admin = world["users"][Role.ADMIN]
    _no_active_recompute()
    real = tiering_services.tier_recompute_request
    monkeypatch.setattr(tiering_services, "tier_recompute_request", lambda **kw: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        _post(_api(admin), "/api/v1/tiering/recomputes/", None, "boom")
    assert not IdempotencyKey.objects.filter(key="boom").exists()

    monkeypatch.setattr(tiering_services, "tier_recompute_request", real)
    retried = _post(_api(admin), "/api/v1/tiering/recomputes/", None, "boom")
    assert retried.status_code == 202 and "Idempotent-Replayed" not in retried.headers


def test_an_invalid_key_is_a_400_and_no_header_stores_nothing(world):
    clerk = world["users"][Role.CLERK]
    body = {"client_id": world["client"].pk, "product_code": world["product"].code}
    decisions = MatchDecision.objects.count()

    bad = _post(_api(clerk), "/api/v1/suitability/match/", body, "x" * 256)
    plain = _api(clerk).post("/api/v1/suitability/match/", body, format="json")

    assert bad.status_code == 400 and bad.json()["code"] == "idempotency_key_invalid"
    assert plain.status_code == 200 and MatchDecision.objects.count() == decisions + 1
    assert not IdempotencyKey.objects.exists()


def test_the_pii_reveal_ignores_the_key_and_stores_no_clear_value(world):
    compliance = world["users"][Role.COMPLIANCE]
    url = f"/api/v1/clients/{world['client'].pk}/reveal/"
    body = {"field": "id_number", "reason": "核对身份"}

    first = _post(_api(compliance), url, body, "reveal-1")
    again = _post(_api(compliance), url, body, "reveal-1")

    assert first.status_code == again.status_code == 200
    assert "Idempotent-Replayed" not in again.headers
    assert not IdempotencyKey.objects.exists()
