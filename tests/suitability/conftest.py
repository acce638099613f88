"""Helpers for suitability tests: clients of a given age, answers that reach a given score."""

import datetime

import pytest
from django.utils import timezone
from stdnum.cn import ric

from accounts.models import Branch
from accounts.roles import Role
from accounts.services import client_register
from suitability.models import Audience, Dimension, Questionnaire, QuestionnaireStatus
from suitability.selectors import questionnaire_current

_seq = {"n": 0}


def resident_id(birth: datetime.date) -> str:
    _seq["n"] += 1
    body = f"110105{birth:%Y%m%d}{_seq['n'] % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum takes the full 18 characters


@pytest.fixture
def clerk(make_staff):
    return make_staff(Role.CLERK)


@pytest.fixture
def make_client(clerk):
    def _make(*, age: int = 40, kind: str = "individual"):
        today = timezone.localdate()
        birth = today.replace(year=today.year - age) - datetime.timedelta(days=10)
        branch = Branch.objects.get(code="T001")
        if kind == "institution":
            from stdnum.cn import uscc

            _seq["n"] += 1
            body = f"91110000{_seq['n']:09d}"
            number = body + uscc.calc_check_digit(body)
            client, _ = client_register(
                actor=clerk,
                kind="institution",
                name="测试机构有限公司",
                id_type="uscc",
                id_number=number,
                branch=branch,
            )
            return client
        client, _ = client_register(
            actor=clerk,
            kind="individual",
            name="李四",
            id_type="resident_id",
            id_number=resident_id(birth),
            branch=branch,
        )
        return client

    return _make


def current(audience: str = Audience.INDIVIDUAL) -> Questionnaire:
    return questionnaire_current(audience=audience)


def answers_for(
    questionnaire: Questionnaire,
    *,
    total: int,
    horizon: str = "long",
    varieties: tuple[str, ...] = ("fixed_income", "fund", "equity", "structured", "derivatives", "other"),
    lowest: bool = False,
) -> dict:
    """Answers whose score is exactly `total`, with the given horizon and varieties."""
    reachable: dict[int, dict] = {0: {}}
    for q in questionnaire.questions.order_by("order").prefetch_related("options"):
        options = list(q.options.all())
        if q.dimension == Dimension.VARIETIES:
            picks = [[o.code for o in options if o.variety in varieties]]
            gain = [0]
        else:
            if q.dimension == Dimension.HORIZON:
                options = [o for o in options if o.horizon == horizon]
            if q.dimension == Dimension.LOSS_TOLERANCE and q.code == "loss_tolerance":
                options = [o for o in options if o.lowest_category == lowest]
            picks = [o.code for o in options]
            gain = [o.score for o in options]
        nxt: dict[int, dict] = {}
        for score, chosen in reachable.items():
            for pick, g in zip(picks, gain, strict=True):
                nxt.setdefault(score + g, {**chosen, q.code: pick})
        reachable = nxt
    assert total in reachable, f"{total} is not reachable"
    return reachable[total]


def published_codes() -> set[str]:
    return set(Questionnaire.objects.filter(status=QuestionnaireStatus.PUBLISHED).values_list("code", flat=True))
