"""Counter screens: the questionnaire as one long form, the suitability card, the match check."""

import pytest

from accounts.roles import Role
from suitability.models import Assessment
from suitability.services import product_create

from .conftest import answers_for, current

pytestmark = pytest.mark.django_db


def _post_data(answers):
    data = {"questionnaire_id": current().pk}
    data.update(answers)
    return data


def test_a_clerk_runs_the_questionnaire_at_the_counter_and_sees_the_card(client, clerk, make_client):
    customer = make_client()
    client.force_login(clerk)

    form = client.get(f"/suitability/clients/{customer.pk}/assess/")
    response = client.post(f"/suitability/clients/{customer.pk}/assess/", _post_data(answers_for(current(), total=45)))
    card = client.get(f"/suitability/clients/{customer.pk}/")

    assert form.status_code == 200
    assert "您的年龄是？" in form.content.decode()
    assert response.status_code == 302
    assert Assessment.objects.get().risk_level == "C3"
    assert card.status_code == 200
    assert 'data-testid="risk-level">C3<' in card.content.decode()


def test_a_missing_answer_is_shown_next_to_the_question_and_nothing_is_saved(client, clerk, make_client):
    customer = make_client()
    client.force_login(clerk)
    answers = answers_for(current(), total=45)
    del answers["debt"]

    response = client.post(f"/suitability/clients/{customer.pk}/assess/", _post_data(answers))

    assert response.status_code == 200
    html = response.content.decode()
    assert "此题未作答。" in html
    assert Assessment.objects.count() == 0


def test_the_match_check_screen_shows_the_outcome_and_reasons(client, clerk, make_client, make_staff):
    customer = make_client()
    product_create(
        actor=make_staff(Role.ADMIN), code="EQ01", name="股票基金", risk="R4", horizon="long", variety="fund"
    )
    client.force_login(clerk)

    response = client.post("/suitability/match/", {"client_no": customer.client_no, "product_code": "EQ01"})

    assert response.status_code == 200
    assert 'data-outcome="reassessment_required"' in response.content.decode()
    assert "客户尚未进行风险承受能力评估。" in response.content.decode()


def test_staff_without_permission_cannot_open_the_questionnaire(client, make_staff, make_client):
    customer = make_client()
    client.force_login(make_staff(Role.WITNESS))
    assert client.get(f"/suitability/clients/{customer.pk}/assess/").status_code == 403


def _mismatch_decision(client, clerk, customer):
    from suitability.services import assessment_submit

    assessment_submit(
        actor=clerk,
        client=customer,
        questionnaire_id=current().pk,
        answers=answers_for(current(), total=30, horizon="short", varieties=("fixed_income",)),
    )
    client.force_login(clerk)
    response = client.post("/suitability/match/", {"client_no": customer.client_no, "product_code": "EQ01"})
    return response


@pytest.fixture
def equity_fund(make_staff):
    return product_create(
        actor=make_staff(Role.ADMIN), code="EQ01", name="股票基金", risk="R4", horizon="long", variety="fund"
    )


def test_a_mismatch_offers_the_confirmation_and_records_it(client, clerk, make_client, equity_fund):
    from suitability.models import MatchDecision, MismatchConfirmation

    customer = make_client()
    response = _mismatch_decision(client, clerk, customer)
    html = response.content.decode()
    assert 'data-outcome="mismatch"' in html
    assert 'data-testid="mismatch-confirm"' in html
    decision = MatchDecision.objects.get()

    confirmed = client.post(
        f"/suitability/decisions/{decision.pk}/confirm/", {"channel": "counter", "client_signed": "on"}, follow=True
    )

    confirmation = MismatchConfirmation.objects.get()
    assert (confirmation.decision, confirmation.staff, confirmation.channel) == (decision, clerk, "counter")
    page = confirmed.content.decode()
    assert f"已记录客户对特别风险警示的确认（匹配记录 #{decision.pk}）" in page
    assert "柜台" in page and clerk.username in page  # the card's decision history shows who confirmed


def test_the_confirmation_needs_a_channel_and_the_signed_warning(client, clerk, make_client, equity_fund):
    from suitability.models import MatchDecision, MismatchConfirmation

    _mismatch_decision(client, clerk, make_client())
    decision = MatchDecision.objects.get()

    response = client.post(f"/suitability/decisions/{decision.pk}/confirm/", {"channel": "counter"}, follow=True)

    assert "请选择确认渠道，并确认客户已阅读并签署特别风险警示书。" in response.content.decode()
    assert not MismatchConfirmation.objects.exists()
    assert client.get(f"/suitability/decisions/{decision.pk}/confirm/").status_code == 405


def test_a_match_offers_no_confirmation(client, clerk, make_client, make_staff):
    customer = make_client()
    product_create(actor=make_staff(Role.ADMIN), code="MM01", name="货币基金", risk="R1", horizon="short",
                   variety="fixed_income")  # fmt: skip
    from suitability.services import assessment_submit

    assessment_submit(
        actor=clerk,
        client=customer,
        questionnaire_id=current().pk,
        answers=answers_for(current(), total=30, horizon="short", varieties=("fixed_income",)),
    )
    client.force_login(clerk)
    html = client.post("/suitability/match/", {"client_no": customer.client_no, "product_code": "MM01"}).content
    assert b'data-outcome="match"' in html
    assert b"mismatch-confirm" not in html
