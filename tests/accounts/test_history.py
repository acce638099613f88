"""The audit trail records who changed what, from a request and from a service."""

import pytest

from accounts.models import Branch
from accounts.roles import Role
from accounts.services import branch_update

pytestmark = pytest.mark.django_db


def test_history_row_records_the_acting_user_of_an_api_request(api_client, make_staff):
    admin = make_staff(Role.ADMIN)
    api_client.force_login(admin)

    api_client.post("/api/v1/branches/", {"code": "0201", "name": "广州营业部"}, format="json")

    record = Branch.history.get(code="0201")
    assert record.history_type == "+"
    assert record.history_user == admin
    assert record.history_change_reason == "branch created"


def test_history_row_records_the_actor_passed_to_a_service(make_staff):
    admin = make_staff(Role.ADMIN)
    branch = Branch.objects.get(code="T001")

    branch_update(actor=admin, branch_id=branch.pk, name="测试营业部（新址）", reason="moved")

    latest = branch.history.first()
    assert latest.history_type == "~"
    assert latest.history_user == admin
    assert latest.history_change_reason == "moved"
    assert latest.name == "测试营业部（新址）"
    assert branch.history.count() == 2


def test_service_refuses_an_actor_without_permission(make_staff):
    from accounts.errors import ApplicationError

    clerk = make_staff(Role.CLERK)
    branch = Branch.objects.get(code="T001")

    with pytest.raises(ApplicationError) as excinfo:
        branch_update(actor=clerk, branch_id=branch.pk, name="x", reason="y")

    assert excinfo.value.code == "permission_denied"
    branch.refresh_from_db()
    assert branch.name == "测试营业部"
    assert branch.history.count() == 1
