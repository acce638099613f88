"""Client search: the statement compiled once per process finds exactly what the ORM query finds."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Branch, Client, FundAccount
from accounts.roles import Role
from accounts.selectors import SEARCH_FIELDS, client_search, client_search_queryset
from accounts.services import client_register

pytestmark = pytest.mark.django_db


@pytest.fixture
def clients(make_staff):
    from tiering.demo import demo_data_generate

    demo_data_generate(clients=60, seed=5, with_assessments=False)
    clerk = make_staff(Role.CLERK)
    zhang, _ = client_register(
        actor=clerk, kind="individual", name="张_%三", id_type="resident_id", id_number="11010519491231002X",
        branch=Branch.objects.get(code="T001"), phone="13812345678", address="北京市西城区金融大街1号",
    )  # fmt: skip
    FundAccount.objects.create(client=zhang, account_no="A2026000001", holder_name=zhang.name,
                               holder_id_type=zhang.id_type, holder_id_index=zhang.id_number_index)  # fmt: skip
    return zhang


def _queries(zhang):
    demo = Client.objects.filter(client_no__startswith="D").order_by("pk").first()
    return [
        zhang.id_number, "110105 19491231 002x", "13812345678", "+8613812345678", "138 1234 5678",
        zhang.client_no, zhang.client_no.lower(), "A2026000001", "a2026000001", "张", "张_", "张_%", "张%", "_",
        "%", "\\", demo.name[:1], demo.name, demo.id_number, demo.phone, demo.client_no, "无此人", "X",
    ]  # fmt: skip


def test_the_prepared_search_returns_what_the_orm_query_returns(clients):
    for query in _queries(clients):
        found = client_search(query=query)
        expected = list(client_search_queryset(query=query))
        assert [c.pk for c in found] == [c.pk for c in expected], query
        for got, want in zip(found, expected, strict=True):
            assert {f: getattr(got, f) for f in SEARCH_FIELDS} == {f: getattr(want, f) for f in SEARCH_FIELDS}
            assert (got.branch.pk, got.branch.name) == (want.branch.pk, want.branch.name)
    assert [c.pk for c in client_search(query="张_%三")] == [clients.pk]  # LIKE wildcards are literal
    assert client_search(query="   ") == []


def test_a_search_page_is_one_or_two_queries_and_other_fields_load_on_access(clients):
    for query, queries in (("张", 1), ("A2026000001", 2), (clients.id_number, 2)):
        with CaptureQueriesContext(connection) as captured:
            found = client_search(query=query)
            names = [(c.name, c.branch.name, c.id_number) for c in found]
        assert len(captured) == queries, (query, [q["sql"] for q in captured])
        assert names and all(names)
    found = client_search(query="A2026000001")
    assert [c.pk for c in found] == [clients.pk]
    assert found[0].phone == "+8613812345678" and found[0].address == "北京市西城区金融大街1号"  # loaded on access


def test_a_limit_is_kept(clients):
    assert len(client_search(query="", limit=5)) == 0
    demo = Client.objects.filter(client_no__startswith="D").order_by("pk").first()
    everyone = list(client_search_queryset(query=demo.name[:1], limit=3))
    assert [c.pk for c in client_search(query=demo.name[:1], limit=3)] == [c.pk for c in everyone]
    assert len(everyone) <= 3
