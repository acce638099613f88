"""The match decision's prepared INSERT stores exactly what Model.save() stores."""

import pytest
from django.forms.models import model_to_dict

from accounts.prepared import PreparedInsert
from suitability.models import MatchDecision
from suitability.services import DECISION_INSERT, product_create, product_match

pytestmark = pytest.mark.django_db


def _fields(decision: MatchDecision) -> dict:
    row = model_to_dict(MatchDecision.objects.get(pk=decision.pk))
    row.pop("id")
    return row


def test_prepared_insert_stores_what_save_stores(make_client, clerk, make_staff):
    from accounts.roles import Role

    product = product_create(
        actor=make_staff(Role.ADMIN), code="F1", name="稳健基金", risk="R3", horizon="medium", variety="fund"
    )
    client = make_client()
    prepared = product_match(client=client, product=product, actor=clerk)  # the service's prepared INSERT
    assert prepared.pk is not None and not prepared._state.adding

    dry = product_match(client=client, product=product, actor=clerk, record=False)
    dry.created_at = prepared.created_at  # auto_now_add would stamp a new time
    saved = MatchDecision(**{f.attname: getattr(dry, f.attname) for f in MatchDecision._meta.concrete_fields})
    saved.save()

    assert saved.pk != prepared.pk
    stored = _fields(prepared)
    assert stored == _fields(saved)
    assert stored["client"] == client.pk and stored["actor"] == clerk.pk and stored["product"] == product.pk
    assert stored["inputs"]["product"]["code"] == "F1"  # JSON went through the field's own conversion


def test_prepared_insert_refuses_an_existing_row(make_client, clerk, make_staff):
    from accounts.roles import Role

    product = product_create(
        actor=make_staff(Role.ADMIN), code="F2", name="基金", risk="R1", horizon="short", variety="fund"
    )
    decision = product_match(client=make_client(), product=product, actor=clerk)
    with pytest.raises(ValueError):
        DECISION_INSERT.insert(decision)
    assert MatchDecision.objects.count() == 1
    assert isinstance(DECISION_INSERT, PreparedInsert)
