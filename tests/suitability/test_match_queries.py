"""The match API's database work per request is constant and small (docs/performance.md, benchmark 1),
and the token authentication that makes it so still refuses what it must, at once."""

import pytest
from django.contrib.auth.models import Permission
from rest_framework.authtoken.models import Token

from accounts.roles import Role
from suitability.models import MatchDecision
from suitability.serializers import MatchDecisionSerializer
from suitability.services import assessment_submit, classification_set, product_create

from .conftest import answers_for, current

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

URL = "/api/v1/suitability/match/"


@pytest.fixture
def token_client(api_client, clerk):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=clerk).key}")
    return api_client


@pytest.fixture
def product(make_staff):
    return product_create(
        actor=make_staff(Role.ADMIN), code="FUND01", name="稳健混合基金", risk="R3", horizon="medium", variety="fund"
    )


def _assessed(make_client, clerk, total=45):
    client = make_client()
    assessment_submit(
        actor=clerk, client=client, questionnaire_id=current().pk, answers=answers_for(current(), total=total)
    )
    return client


def test_a_match_by_product_code_takes_four_queries_whatever_the_client(
    token_client, make_client, clerk, make_staff, product, django_assert_num_queries
):
    # given an assessed client, a professional one, and one never assessed
    plain = _assessed(make_client, clerk)
    professional = _assessed(make_client, clerk, total=70)
    classification_set(
        actor=make_staff(Role.REVIEWER), client=professional, investor_class="professional_a", basis="牌照"
    )
    unassessed = make_client()

    for client, queries in ((plain, 4), (professional, 4), (unassessed, 5)):
        # when the match API is called with a token
        # then: token + user + permissions, client + class + assessment, product, the decision INSERT
        # (a client never assessed needs one more read)
        with django_assert_num_queries(queries):
            response = token_client.post(URL, {"client_id": client.pk, "product_code": "FUND01"}, format="json")
        assert response.status_code == 200, response.json()

    classes = dict(MatchDecision.objects.values_list("client_id", "inputs__investor_class"))
    assert classes == {plain.pk: "ordinary", professional.pk: "professional_a", unassessed.pk: "ordinary"}
    assert MatchDecision.objects.get(client=unassessed).outcome == "reassessment_required"
    assert response.json() == MatchDecisionSerializer(MatchDecision.objects.get(client=unassessed)).data


def test_a_match_by_attributes_takes_three_queries_and_a_dry_check_two(
    token_client, make_client, clerk, django_assert_num_queries
):
    client = _assessed(make_client, clerk)
    attrs = {"client_id": client.pk, "risk": "R2", "horizon": "short", "variety": "fund"}

    with django_assert_num_queries(3):
        stored = token_client.post(URL, attrs, format="json")
    with django_assert_num_queries(2):
        dry = token_client.post(URL, {**attrs, "record": False}, format="json")

    assert (stored.status_code, dry.status_code) == (200, 200)
    assert stored.json()["id"] is not None and dry.json()["id"] is None
    assert {k: v for k, v in stored.json().items() if k not in ("id", "created_at")} == {
        k: v for k, v in dry.json().items() if k not in ("id", "created_at")
    }


def test_the_query_count_does_not_grow_with_the_users_groups_and_permissions(
    api_client, make_staff, make_client, clerk, django_assert_num_queries
):
    client = _assessed(make_client, clerk)
    busy = make_staff(Role.CLERK, Role.REVIEWER, Role.CALLBACK_AGENT, Role.API_CLIENT)
    busy.user_permissions.add(*Permission.objects.filter(content_type__app_label="suitability")[:5])
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=busy).key}")

    with django_assert_num_queries(3):
        response = api_client.post(
            URL, {"client_id": client.pk, "risk": "R1", "horizon": "short", "variety": "fund"}, format="json"
        )

    assert response.status_code == 200, response.json()


def test_a_deleted_token_a_deactivated_user_and_a_removed_permission_count_on_the_next_request(
    api_client, make_staff, make_client, clerk
):
    client = _assessed(make_client, clerk)
    user = make_staff(Role.API_CLIENT)
    body = {"client_id": client.pk, "risk": "R1", "horizon": "short", "variety": "fund", "record": False}
    token = Token.objects.create(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api_client.post(URL, body, format="json").status_code == 200

    user.groups.clear()
    no_permission = api_client.post(URL, body, format="json")
    user.user_permissions.add(Permission.objects.get(codename="match_product"))
    granted_directly = api_client.post(URL, body, format="json")
    user.is_active = False
    user.save()
    inactive = api_client.post(URL, body, format="json")
    user.is_active = True
    user.save()
    token.delete()
    deleted = api_client.post(URL, body, format="json")
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    unknown = api_client.post(URL, body, format="json")

    assert no_permission.status_code == 403
    assert granted_directly.status_code == 200
    assert (inactive.status_code, inactive.json()["code"]) == (401, "not_authenticated")
    assert (deleted.status_code, deleted.json()["code"]) == (401, "not_authenticated")
    assert (unknown.status_code, unknown.json()["code"]) == (401, "not_authenticated")


def test_an_unknown_or_out_of_range_client_is_a_404(token_client, product):
    for client_id in (987654321, 2**70):
        response = token_client.post(URL, {"client_id": client_id, "product_code": "FUND01"}, format="json")
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert MatchDecision.objects.count() == 0
