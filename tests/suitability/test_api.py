"""The suitability API: questionnaire, assessments, products, match check; permissions and error shape."""

import pytest

from accounts.roles import Role
from suitability.models import Assessment, MatchDecision, Product
from suitability.services import product_create

from .conftest import answers_for, current

pytestmark = pytest.mark.django_db


def test_the_current_questionnaire_comes_with_questions_and_options(api_client, clerk):
    api_client.force_authenticate(clerk)

    response = api_client.get("/api/v1/questionnaires/current/?audience=individual")

    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["version"], body["status"]) == ("IND-RISK", 1, "published")
    assert len(body["questions"]) == 15
    assert body["questions"][0]["options"][0] == {
        "code": "A",
        "order": 1,
        "text_zh": "18-30岁",
        "text_en": "18-30",
        "score": 6,
        "lowest_category": False,
        "horizon": "",
        "variety": "",
    }
    assert body["score_bands"][0] == {"level": "C1", "max": 19}


def test_an_unknown_audience_is_a_404_in_the_error_shape(api_client, clerk):
    api_client.force_authenticate(clerk)
    response = api_client.get("/api/v1/questionnaires/current/?audience=alien", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response.json()["code"] == "no_published_questionnaire"


def test_a_clerk_submits_answers_and_lists_assessments(api_client, clerk, make_client):
    client = make_client()
    api_client.force_authenticate(clerk)

    created = api_client.post(
        f"/api/v1/clients/{client.pk}/assessments/",
        {"questionnaire_id": current().pk, "answers": answers_for(current(), total=45)},
        format="json",
    )
    listed = api_client.get(f"/api/v1/clients/{client.pk}/assessments/")

    assert created.status_code == 201, created.json()
    assert (created.json()["risk_level"], created.json()["total_score"]) == ("C3", 45)
    assert created.json()["assessed_by"] == clerk.username
    assert listed.status_code == 200
    assert [a["id"] for a in listed.json()["results"]] == [created.json()["id"]]


def test_invalid_answers_come_back_with_the_question_in_english(api_client, clerk, make_client):
    client = make_client()
    api_client.force_authenticate(clerk)
    answers = answers_for(current(), total=45)
    answers["age"] = ["A", "B"]

    response = api_client.post(
        f"/api/v1/clients/{client.pk}/assessments/",
        {"questionnaire_id": current().pk, "answers": answers},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert response.json() == {
        "code": "answers_invalid",
        "message": "The answers are incomplete or invalid; see the questions listed.",
        "fields": {"age": ["This question takes exactly one answer."]},
        "rule": "CSRC investor suitability measures (2017), art. 8",
    }
    assert Assessment.objects.count() == 0


def test_a_reviewer_may_list_but_not_submit(api_client, make_staff, make_client):
    client = make_client()
    api_client.force_authenticate(make_staff(Role.REVIEWER))

    assert api_client.get(f"/api/v1/clients/{client.pk}/assessments/").status_code == 200
    response = api_client.post(
        f"/api/v1/clients/{client.pk}/assessments/", {"questionnaire_id": current().pk, "answers": {}}, format="json"
    )
    assert response.status_code == 403


def test_products_are_listed_for_staff_and_created_by_admins(api_client, make_staff):
    api_client.force_authenticate(make_staff(Role.ADMIN))
    data = {"code": "BOND01", "name": "国债逆回购", "risk": "R1", "horizon": "short", "variety": "fixed_income"}

    created = api_client.post("/api/v1/products/", data, format="json")
    again = api_client.post("/api/v1/products/", data, format="json")
    api_client.force_authenticate(make_staff(Role.WITNESS))
    listed = api_client.get("/api/v1/products/")
    refused = api_client.post("/api/v1/products/", {**data, "code": "X"}, format="json")

    assert created.status_code == 201
    assert again.status_code == 409
    assert again.json()["code"] == "product_code_taken"
    assert listed.status_code == 200
    assert [p["code"] for p in listed.json()["results"]] == ["BOND01"]
    assert refused.status_code == 403
    assert Product.objects.count() == 1


def test_an_internal_system_checks_a_match_by_product_code(api_client, make_staff, make_client, clerk):
    from suitability.services import assessment_submit

    client = make_client(age=72)
    assessment_submit(
        actor=clerk, client=client, questionnaire_id=current().pk, answers=answers_for(current(), total=30)
    )
    product_create(
        actor=make_staff(Role.ADMIN), code="EQ01", name="成长股票基金", risk="R4", horizon="long", variety="fund"
    )
    api_client.force_authenticate(make_staff(Role.API_CLIENT))

    response = api_client.post(
        "/api/v1/suitability/match/", {"client_id": client.pk, "product_code": "EQ01"}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["outcome"] == "mismatch"
    assert body["dimensions"] == ["risk"]
    assert body["requires_warning"] is True
    assert body["enhanced_care"] is True
    assert [w["code"] for w in body["warnings"]] == ["special_warning", "enhanced_care"]
    assert body["rule_version"] == "suitability-rules-2026.1"
    assert body["product"]["code"] == "EQ01"
    assert MatchDecision.objects.get().pk == body["id"]


def test_a_match_by_attributes_and_an_unknown_product(api_client, make_client, clerk):
    client = make_client()
    api_client.force_authenticate(clerk)

    by_attrs = api_client.post(
        "/api/v1/suitability/match/",
        {"client_id": client.pk, "risk": "R1", "horizon": "short", "variety": "fund", "record": False},
        format="json",
    )
    unknown = api_client.post(
        "/api/v1/suitability/match/", {"client_id": client.pk, "product_code": "NOPE"}, format="json"
    )
    nothing = api_client.post("/api/v1/suitability/match/", {"client_id": client.pk}, format="json")

    assert by_attrs.status_code == 200
    assert by_attrs.json()["outcome"] == "reassessment_required"
    assert by_attrs.json()["id"] is None
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "product_not_found"
    assert nothing.status_code == 400
    assert nothing.json()["code"] == "product_required"
    assert MatchDecision.objects.count() == 0


def test_roles_without_the_match_permission_are_refused(api_client, make_staff, make_client):
    client = make_client()
    api_client.force_authenticate(make_staff(Role.CALLBACK_AGENT))
    response = api_client.post(
        "/api/v1/suitability/match/",
        {"client_id": client.pk, "risk": "R1", "horizon": "short", "variety": "fund"},
        format="json",
    )
    assert response.status_code == 403


def test_the_schema_documents_the_suitability_endpoints(tmp_path):
    import yaml
    from django.core.management import call_command

    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    paths = yaml.safe_load(out.read_text())["paths"]
    assert {
        "/api/v1/questionnaires/current/",
        "/api/v1/clients/{client_id}/assessments/",
        "/api/v1/products/",
        "/api/v1/suitability/match/",
    } <= set(paths)


def test_a_class_change_request_is_entered_by_a_clerk_and_approved_by_a_reviewer(
    api_client, clerk, make_staff, make_client
):
    client = make_client()
    reviewer = make_staff(Role.REVIEWER)
    api_client.force_authenticate(clerk)

    created = api_client.post(
        f"/api/v1/clients/{client.pk}/classification-requests/",
        {"to_class": "professional_c", "financial_assets": "3500000.00", "experience_years": 2, "evidence": "资产证明"},
        format="json",
    )
    self_review = api_client.post(
        f"/api/v1/classification-requests/{created.json()['id']}/review/", {"approve": True}, format="json"
    )
    api_client.force_authenticate(reviewer)
    reviewed = api_client.post(
        f"/api/v1/classification-requests/{created.json()['id']}/review/",
        {"approve": True, "note": "同意"},
        format="json",
    )
    listed = api_client.get(f"/api/v1/clients/{client.pk}/classification-requests/")

    assert created.status_code == 201, created.json()
    assert created.json()["from_class"] == "ordinary"
    assert self_review.status_code == 403  # a clerk lacks the review permission at all
    assert reviewed.status_code == 200
    assert (reviewed.json()["status"], reviewed.json()["reviewed_by"]) == ("approved", reviewer.username)
    assert [r["status"] for r in listed.json()["results"]] == ["approved"]


def test_maker_checker_is_enforced_through_the_api(api_client, make_staff, make_client):
    both = make_staff(Role.CLERK, Role.REVIEWER)
    client = make_client()
    api_client.force_authenticate(both)
    created = api_client.post(
        f"/api/v1/clients/{client.pk}/classification-requests/",
        {"to_class": "professional_c", "average_income": "400000", "experience_years": 1},
        format="json",
    )

    response = api_client.post(
        f"/api/v1/classification-requests/{created.json()['id']}/review/", {"approve": True}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "maker_checker"


def test_a_mismatch_is_confirmed_through_the_api(api_client, clerk, make_client):
    from suitability.services import assessment_submit, product_match

    client = make_client()
    assessment_submit(
        actor=clerk, client=client, questionnaire_id=current().pk, answers=answers_for(current(), total=30)
    )
    decision = product_match(client=client, product_attrs={"risk": "R3", "horizon": "short", "variety": "fund"})
    api_client.force_authenticate(clerk)

    response = api_client.post(
        f"/api/v1/suitability/decisions/{decision.pk}/confirm/", {"channel": "counter"}, format="json"
    )

    assert response.status_code == 201, response.json()
    assert response.json()["staff"] == clerk.username
    assert response.json()["warnings_shown"][0]["code"] == "special_warning"
