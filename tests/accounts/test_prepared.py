"""Statements kept PREPAREd in the PostgreSQL session (accounts.prepared, server_side=True): the same rows
as the ORM, prepared once per session, again after a reconnect, and still there after a rollback."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import Branch
from accounts.prepared import PreparedInsert, PreparedQuery
from suitability.models import MatchDecision

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

SENTINEL = "\x1fbranch-code\x1f"


def _by_code():
    return PreparedQuery(
        lambda code: Branch.objects.filter(code=code).values_list("pk", "name"), SENTINEL, server_side=True
    )


def _statements(captured) -> list[str]:
    return [q["sql"].split(" ")[0] for q in captured.captured_queries]


def test_a_server_side_query_returns_what_the_orm_returns_and_prepares_once_per_session():
    query = _by_code()
    branch = Branch.objects.create(code="P001", name="测试营业部")

    with CaptureQueriesContext(connection) as first:
        rows = query.rows(branch.code)
    with CaptureQueriesContext(connection) as second:
        again = query.rows(branch.code)
        none = query.rows("no such code")

    assert rows == again == [[branch.pk, branch.name]] and none == []
    assert _statements(first) == ["PREPARE", "EXECUTE"]
    assert _statements(second) == ["EXECUTE", "EXECUTE"]


def test_it_is_prepared_again_in_a_new_session_and_survives_a_rollback():
    query = _by_code()
    branch = Branch.objects.create(code="P002", name="测试营业部")
    query.rows(branch.code)

    with pytest.raises(RuntimeError), transaction.atomic():
        assert query.rows(branch.code)
        raise RuntimeError("roll back")
    with CaptureQueriesContext(connection) as after_rollback:
        assert query.rows(branch.code) == [[branch.pk, branch.name]]
    connection.close()
    with CaptureQueriesContext(connection) as new_session:
        assert query.rows(branch.code) == [[branch.pk, branch.name]]

    assert _statements(after_rollback) == ["EXECUTE"]
    assert _statements(new_session) == ["PREPARE", "EXECUTE"]


def test_a_server_side_insert_stores_what_the_plain_one_stores(reference_data, make_staff):
    from accounts.roles import Role
    from accounts.services import client_register

    client, _ = client_register(
        actor=make_staff(Role.CLERK), kind="individual", name="张三", id_type="resident_id",
        id_number="11010519491231002X", branch=Branch.objects.get(code="T001"), phone="13812345678",
        address="北京市西城区金融大街1号",
    )  # fmt: skip
    plain, prepared = PreparedInsert(MatchDecision), PreparedInsert(MatchDecision, server_side=True)
    rows = []
    for insert in (plain, prepared, prepared):
        decision = MatchDecision(client=client, product_snapshot={"code": "F1"}, inputs={"a": [1, "二"]},
                                 outcome="match", dimensions=[], reasons=[{"zh": "适当"}], rule_version="r1")  # fmt: skip
        insert.insert(decision)
        rows.append(
            MatchDecision.objects.filter(pk=decision.pk)
            .values("client_id", "product_snapshot", "inputs", "outcome", "reasons", "rule_version")
            .get()
        )
    assert rows[0] == rows[1] == rows[2]
    assert rows[1]["inputs"] == {"a": [1, "二"]}
