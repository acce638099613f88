"""Helpers for tiering tests: clients through the real service, metrics through the import service."""

import datetime
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.utils import timezone
from stdnum.cn import ric

from accounts.models import Branch
from accounts.roles import Role
from accounts.services import client_register
from tiering import services
from tiering.models import PolicyStatus, TierPolicy

_seq = {"n": 0}


def resident_id() -> str:
    _seq["n"] += 1
    n = _seq["n"]
    body = f"310101{1970 + n % 40}0{1 + n % 9}1{n % 9}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


@pytest.fixture
def default_policy(db):
    """The data migration's default policy (re-created if a transactional test flushed it)."""
    if not TierPolicy.objects.filter(status=PolicyStatus.ACTIVE).exists():
        importlib.import_module("tiering.migrations.0002_default_policy_and_entitlements").forwards(apps, None)
    return TierPolicy.objects.get(status=PolicyStatus.ACTIVE)


@pytest.fixture
def admin(make_staff):
    return make_staff(Role.ADMIN)


@pytest.fixture
def reviewer(make_staff):
    return make_staff(Role.REVIEWER)


@pytest.fixture
def manager(make_staff):
    return make_staff(Role.ACCOUNT_MANAGER)


@pytest.fixture
def make_clients(make_staff, default_policy):
    """make_clients([(assets, contribution), …]) -> clients, with metrics as of today."""
    clerk = make_staff(Role.CLERK)

    def _make(values, *, as_of: datetime.date | None = None):
        branch = Branch.objects.get(code="T001")
        clients = []
        for _ in values:
            client, _created = client_register(
                actor=clerk,
                kind="individual",
                name=f"客户{_seq['n']}",
                id_type="resident_id",
                id_number=resident_id(),
                branch=branch,
            )
            clients.append(client)
        metrics_set(clients, values, as_of=as_of)
        return clients

    return _make


def metrics_set(clients, values, *, as_of: datetime.date | None = None):
    as_of = as_of or timezone.localdate()
    rows = [
        {
            "client_no": c.client_no,
            "as_of": as_of.isoformat(),
            "total_assets": str(Decimal(a)),
            "contribution_12m": str(Decimal(k)),
            "trades_12m": "1",
            "tenure_months": "12",
        }
        for c, (a, k) in zip(clients, values, strict=True)
    ]
    result = services.metrics_import(actor=None, rows=rows)
    assert result.errors == []


def recompute(actor, *, as_of: datetime.date | None = None):
    run = services.tier_recompute_request(actor=actor, as_of=as_of)
    return services.tier_recompute_run(run_id=run.pk)


def tiers_of(clients) -> list[str]:
    from tiering.models import ClientTier

    found = dict(ClientTier.objects.filter(client__in=clients).values_list("client_id", "tier"))
    return [found.get(c.pk) for c in clients]
