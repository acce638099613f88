"""The account-opening journey through the REST API, as a developer would do it from the schema, and the
refusals: 403 per role, 409 illegal transition, 400 bad ID with fields, Idempotency-Key replay/422/409."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from accounts.idempotency import idempotency_keys_purge
from accounts.models import FundAccount
from accounts.roles import Role
from onboarding import services as svc
from onboarding.models import Application
from tests.onboarding.conftest import assess, file_documents, person

pytestmark = pytest.mark.django_db
BASE = "/api/v1/applications/"


def _client_json(data: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()}


def _create_body(**extra) -> dict:
    return {"channel": "counter", "client": _client_json(person()), "bank_code": "ICBC",
            "bank_account": "6222020000000000001", **extra}  # fmt: skip


def _as(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def test_individual_at_the_counter_whole_journey_through_the_api(api_client, clerk, reviewer):
    api = _as(api_client, clerk)
    created = api.post(BASE, _create_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert created.status_code == 201, created.json()
    body = created.json()
    app_id = body["id"]
    assert body["status"] == "draft"
    assert "*" in body["client"]["id_number_masked"]
    assert [s["state"] for s in body["steps"]][:2] == ["done", "current"]

    assert api.post(f"{BASE}{app_id}/identity-check/").json()["status"] == "identity_verified"
    docs = {d["kind"]: d["id"] for d in api.get("/api/v1/disclosures/").json()}
    disclosed = api.post(f"{BASE}{app_id}/disclose/", {"risk_disclosure_id": docs["risk_disclosure"],
                                                       "agreement_id": docs["agreement"]}, format="json")  # fmt: skip
    assert disclosed.json()["status"] == "disclosed"
    app = Application.objects.get(pk=app_id)
    assess(clerk, app.client)
    assert api.post(f"{BASE}{app_id}/assess/").json()["status"] == "assessed"
    file_documents(clerk, app)
    assert all(i["present"] for i in api.get(f"{BASE}{app_id}/").json()["checklist"])
    assert api.post(f"{BASE}{app_id}/submit/").json()["status"] == "submitted"

    reviewed = _as(api_client, reviewer).post(f"{BASE}{app_id}/review/", {"approve": True, "note": "齐全"},
                                              format="json")  # fmt: skip
    assert reviewed.json()["status"] == "approved"

    opened = _as(api_client, clerk).post(f"{BASE}{app_id}/open-accounts/")
    assert opened.status_code == 200
    detail = opened.json()
    assert detail["status"] == "accounts_opened"
    assert [e["action"] for e in detail["events"]][-1] == "accounts_opened"
    assert detail["identity_checks"][0]["result"] == "match"

    client_id = detail["client"]["id"]
    found = api.get("/api/v1/clients/", {"id_number": app.client.id_number}).json()
    assert [c["id"] for c in found["results"]] == [client_id]
    client = api.get(f"/api/v1/clients/{client_id}/").json()
    assert {a["kind"] for a in client["accounts"]} == {"fund", "securities", "depository"}
    assert {a["status"] for a in client["accounts"]} == {"pending_activation"}

    listed = api.get(BASE, {"status": "accounts_opened", "channel": "counter"}).json()
    assert [a["id"] for a in listed["results"]] == [app_id]
    assert api.get(BASE, {"status": "draft"}).json()["count"] == 0


def test_list_filters_by_created_date_and_branch(api_client, clerk):
    api = _as(api_client, clerk)
    api.post(BASE, _create_body(), format="json")
    # the filter takes dates in the branch's time zone (Beijing): between 16:00 and 24:00 UTC they differ
    today = timezone.localdate(Application.objects.get().created_at).isoformat()
    assert api.get(BASE, {"created_from": today, "created_to": today, "branch": "T001"}).json()["count"] == 1
    assert api.get(BASE, {"created_from": "2099-01-01"}).json()["count"] == 0
    assert api.get(BASE, {"status": "nonsense"}).json()["code"] == "invalid"


def test_bad_id_number_is_a_400_with_the_field(api_client, clerk):
    body = _create_body()
    body["client"]["id_number"] = body["client"]["id_number"][:-1] + (
        "0" if body["client"]["id_number"][-1] != "0" else "1"
    )

    response = _as(api_client, clerk).post(BASE, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "id_invalid"
    assert "id_number" in response.json()["fields"]
    assert Application.objects.count() == 0


@pytest.mark.parametrize(
    ("role", "method", "suffix"),
    [
        (Role.REVIEWER, "post", ""),
        (Role.CALLBACK_AGENT, "get", ""),
        (Role.ACCOUNT_MANAGER, "get", "{id}/"),
        (Role.REVIEWER, "post", "{id}/identity-check/"),
        (Role.CLERK, "post", "{id}/review/"),
        (Role.REVIEWER, "post", "{id}/open-accounts/"),
        (Role.COMPLIANCE, "post", "{id}/withdraw/"),
    ],
)
def test_roles_without_the_permission_get_403(api_client, clerk, make_staff, role, method, suffix):
    app = svc.application_create(actor=clerk, channel="counter", client=person())
    user = make_staff(role)

    response = getattr(_as(api_client, user), method)(BASE + suffix.format(id=app.pk), {}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_an_illegal_transition_is_a_409_with_the_reason(api_client, clerk):
    app = svc.application_create(actor=clerk, channel="counter", client=person())

    response = _as(api_client, clerk).post(f"{BASE}{app.pk}/submit/")

    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    assert "草稿" in response.json()["message"]


def test_the_reviewer_cannot_review_their_own_application(api_client, make_staff):
    both = make_staff(Role.CLERK, Role.REVIEWER)
    app = svc.application_create(actor=both, channel="counter", client=person())
    Application.objects.filter(pk=app.pk).update(status="submitted")  # only the review step is under test

    response = _as(api_client, both).post(f"{BASE}{app.pk}/review/", {"approve": True}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "maker_checker"


def test_withdraw_needs_a_reason_and_then_closes(api_client, clerk):
    app = svc.application_create(actor=clerk, channel="counter", client=person())
    api = _as(api_client, clerk)

    refused = api.post(f"{BASE}{app.pk}/withdraw/", {"reason": " "}, format="json")
    done = api.post(f"{BASE}{app.pk}/withdraw/", {"reason": "客户改日再来"}, format="json")

    assert refused.status_code == 400 and refused.json()["code"] == "reason_required"
    assert done.json()["status"] == "withdrawn"
    assert done.json()["closed_reason"] == "客户改日再来"


# --- Idempotency-Key ---------------------------------------------------------------------------------


def test_a_retried_create_replays_the_first_response_and_never_opens_twice(api_client, clerk):
    api = _as(api_client, clerk)
    body = _create_body()

    first = api.post(BASE, body, format="json", HTTP_IDEMPOTENCY_KEY="retry-me")
    again = api.post(BASE, body, format="json", HTTP_IDEMPOTENCY_KEY="retry-me")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert Application.objects.count() == 1


def test_a_refusal_is_replayed_too(api_client, clerk):
    api = _as(api_client, clerk)
    body = _create_body()
    body["client"]["id_number"] = "123"

    first = api.post(BASE, body, format="json", HTTP_IDEMPOTENCY_KEY="bad")
    again = api.post(BASE, body, format="json", HTTP_IDEMPOTENCY_KEY="bad")

    assert first.status_code == again.status_code == 400
    assert again.json() == first.json()


def test_the_same_key_with_a_different_body_is_a_422(api_client, clerk):
    api = _as(api_client, clerk)
    api.post(BASE, _create_body(), format="json", HTTP_IDEMPOTENCY_KEY="k")

    response = api.post(BASE, _create_body(bank_code="CMB"), format="json", HTTP_IDEMPOTENCY_KEY="k")

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert set(response.json()) == {"code", "message", "fields", "rule"}
    assert Application.objects.count() == 1


def test_keys_belong_to_the_caller(api_client, clerk, make_staff):
    other = make_staff(Role.CLERK)
    first = _as(api_client, clerk).post(BASE, _create_body(), format="json", HTTP_IDEMPOTENCY_KEY="shared")
    body = _create_body()

    second = _as(api_client, other).post(BASE, body, format="json", HTTP_IDEMPOTENCY_KEY="shared")

    assert first.status_code == second.status_code == 201
    assert Application.objects.count() == 2


def test_a_retry_while_the_first_is_in_flight_is_a_409(api_client, clerk):
    from accounts.models import IdempotencyKey

    api = _as(api_client, clerk)
    body = _create_body()
    api.post(BASE, body, format="json", HTTP_IDEMPOTENCY_KEY="slow")
    IdempotencyKey.objects.filter(key="slow").update(in_flight=True, response_status=None, response_body=None)

    response = api.post(BASE, body, format="json", HTTP_IDEMPOTENCY_KEY="slow")

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_request_in_flight"


def test_expired_keys_are_purged_and_can_be_used_again(api_client, clerk, settings):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import IdempotencyKey

    api = _as(api_client, clerk)
    api.post(BASE, _create_body(), format="json", HTTP_IDEMPOTENCY_KEY="old")
    IdempotencyKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    reused = api.post(BASE, _create_body(bank_code="CMB"), format="json", HTTP_IDEMPOTENCY_KEY="old")
    assert reused.status_code == 201  # an expired key is a new key
    IdempotencyKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert idempotency_keys_purge() == 1
    api.post(BASE, _create_body(), format="json", HTTP_IDEMPOTENCY_KEY="fresh")
    call_command("idempotency_purge")
    assert IdempotencyKey.objects.filter(key="fresh").exists()


def test_the_schema_documents_the_header(api_client, clerk):
    schema = _as(api_client, clerk).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/applications/"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in operation["parameters"]]
    assert "422" in operation["responses"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_retries_create_one_application(clerk, monkeypatch):
    """Both threads send the same key at once; the service is held until both have arrived. One runs,
    the other is told the request is in flight; afterwards a retry replays the one result."""
    from rest_framework.test import APIClient

    entered = threading.Event()
    release = threading.Event()
    real_create = svc.application_create

    def slow_create(**kwargs):
        entered.set()
        release.wait(10)
        return real_create(**kwargs)

    monkeypatch.setattr(svc, "application_create", slow_create)
    body = _create_body()
    results: list = []

    def send():
        try:
            client = APIClient()
            client.force_authenticate(clerk)
            results.append(client.post(BASE, body, format="json", HTTP_IDEMPOTENCY_KEY="race"))
        finally:
            connection.close()

    first = threading.Thread(target=send)
    first.start()
    assert entered.wait(10)
    second = threading.Thread(target=send)
    second.start()
    second.join(10)
    release.set()
    first.join(10)

    assert sorted(r.status_code for r in results) == [201, 409]
    assert Application.objects.count() == 1
    replay = APIClient()
    replay.force_authenticate(clerk)
    again = replay.post(BASE, body, format="json", HTTP_IDEMPOTENCY_KEY="race")
    assert again.status_code == 201
    assert again.json()["id"] == Application.objects.get().pk
    assert FundAccount.objects.count() == 0
