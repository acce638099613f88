"""Two reviewers approve the same change request at the same moment (PostgreSQL, real threads)."""

import threading

import pytest
from django.db import connection

from accounts import services as svc
from accounts.errors import ApplicationError
from accounts.models import ChangeRequest, ChangeStatus, Client
from accounts.roles import Role
from tests.accounts.changes_support import client_with_accounts

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_of_two_concurrent_approvals_exactly_one_wins(make_staff):
    clerk = make_staff(Role.CLERK)
    reviewers = [make_staff(Role.REVIEWER), make_staff(Role.REVIEWER)]
    client = client_with_accounts(clerk)
    req = svc.change_request_create(actor=clerk, client_id=client.pk, client_version=0,
                                    changes={"phone": "13912345678"})  # fmt: skip
    barrier = threading.Barrier(2)
    outcomes: list = []

    def approve(user):
        try:
            barrier.wait(5)
            svc.change_request_review(actor=user, request_id=req.pk, approve=True, reason="核对无误")
            outcomes.append("ok")
        except ApplicationError as exc:
            outcomes.append((exc.code, exc.status))
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(u,)) for u in reviewers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert sorted(outcomes, key=str) == sorted(["ok", ("already_reviewed", 409)], key=str)
    req = ChangeRequest.objects.get(pk=req.pk)
    assert req.status == ChangeStatus.APPLIED and req.reviewed_by in reviewers
    assert req.events.filter(action="approved").count() == 1 and req.events.filter(action="applied").count() == 1
    assert Client.objects.get(pk=client.pk).version == 1
