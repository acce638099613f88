"""A small world made through the real services, with one login per role, for the reliability tests."""

import datetime
import logging

import pytest
from django.utils import timezone

from accounts.roles import Role
from tests.onboarding.conftest import person

ANONYMOUS = "anonymous"
ROLES = [r.value for r in Role]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


class SecurityLogCapture(logging.Handler):
    """Counts records on the `security` logger (denials, reveals)."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def security_log():
    handler = SecurityLogCapture()
    logger = logging.getLogger("security")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(old_level)


@pytest.fixture
def world(make_staff):
    """Every object a URL can point at, made through the services; `users` has one login per role."""
    from accounts import services as accounts_services
    from archive.services import dossier_export_request
    from callbacks.services import callback_task_create
    from onboarding import services as onboarding_services
    from suitability.models import Product
    from suitability.services import classification_request_create, product_match
    from tests.onboarding.test_services import _whole_journey
    from tiering import services as tiering_services
    from tiering.models import PolicyStatus, TierPolicy

    users = {role: make_staff(role, username=f"m_{role}") for role in ROLES}
    clerk, reviewer = users[Role.CLERK], users[Role.REVIEWER]
    opened = onboarding_services.application_create(
        actor=clerk, channel="counter", client=person(age=35, name="赵六"), bank_code="ICBC",
        bank_account="6222020000000000001",
    )  # fmt: skip
    opened = _whole_journey(clerk, reviewer, opened)
    client = opened.client
    draft = onboarding_services.application_create(actor=clerk, channel="counter", client=person(age=41, name="钱八"))
    document = client.documents.order_by("pk").first()
    task = callback_task_create(actor=None, client_id=client.pk, reason="quality_sampling", start=timezone.now())
    product = Product.objects.filter(active=True).order_by("pk").first()
    if product is None:
        from suitability.services import product_create

        product = product_create(
            actor=users[Role.ADMIN], code="M001", name="矩阵测试产品", risk="R1", horizon="short", variety="fund"
        )
    decision = product_match(client=client, product=product, actor=clerk)
    request = classification_request_create(
        actor=clerk, client=client, to_class="professional_c", evidence="x",
        financial_assets=5_000_000, experience_years=3,
    )  # fmt: skip
    active = TierPolicy.objects.get(status=PolicyStatus.ACTIVE)
    policy = tiering_services.policy_draft_create(
        actor=users[Role.ADMIN], rules=tiering_services.policy_rules(active), based_on_id=active.pk, note="matrix"
    )
    override = tiering_services.tier_override_request(
        actor=users[Role.ADMIN], client_id=client.pk, tier="A", reason="matrix",
        expires_on=timezone.localdate() + datetime.timedelta(days=30),
    )  # fmt: skip
    run = tiering_services.tier_recompute_request(actor=users[Role.ADMIN])
    export = dossier_export_request(actor=users[Role.COMPLIANCE], client_id=client.pk)
    client.refresh_from_db()
    change = accounts_services.change_request_create(
        actor=clerk, client_id=client.pk, client_version=client.version, changes={"occupation": "工程师"}
    )
    return {
        "users": users,
        "client": client,
        "opened": opened,
        "draft": draft,
        "document": document,
        "task": task,
        "product": product,
        "decision": decision,
        "request": request,
        "policy": policy,
        "active_policy": active,
        "override": override,
        "run": run,
        "export": export,
        "change": change,
    }


@pytest.fixture(autouse=True)
def no_full_id_in_logs(request):
    """Every log line written during a reliability test is checked: no full ID number or phone of a client."""
    if request.node.get_closest_marker("django_db") is not None:
        request.getfixturevalue("db")  # so this check runs before the test's data is rolled back
    handler = SecurityLogCapture()
    root = logging.getLogger()
    root.addHandler(handler)
    yield
    root.removeHandler(handler)
    if request.node.get_closest_marker("django_db") is None or not handler.records:
        return
    from accounts.models import Client
    from tests.reliability.pii import secrets_of

    secrets = secrets_of(Client.objects.all())
    lines = [record.getMessage() for record in handler.records]
    leaked = [line for line in lines if any(s in line for s in secrets)]
    assert not leaked, "full ID/phone in the logs:\n" + "\n".join(leaked[:10])
