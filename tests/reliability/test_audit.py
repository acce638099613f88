"""Audit completeness: every create/update through the services writes exactly one history row with the
acting user; and no code bypasses history with queryset.update()/bulk_create()/bulk_update()."""

import ast
import datetime
from pathlib import Path

import pytest
from django.utils import timezone
from simple_history.models import registered_models

from accounts.roles import Role
from tests.onboarding.conftest import person

ROOT = Path(__file__).resolve().parents[2]
PRODUCT_APPS = ("accounts", "archive", "callbacks", "onboarding", "suitability", "tiering", "config")


def _tracked_labels() -> set[str]:
    return {m._meta.label for m in registered_models.values()}


# Models whose writes are covered elsewhere, or not yet; each with the reason.
NOT_IN_TABLE = {
    "accounts.ChangeRequest": "key-data change work in progress (its own tests check history); add a row here",
    "onboarding.DisclosureDocument": "seeded by a data migration; edited only in the admin (simple-history admin)",
    "suitability.Questionnaire": "questionnaire versions: covered by tests/suitability/test_questionnaires.py",
    "suitability.Question": "written with its questionnaire (questionnaire_draft_create)",
    "suitability.Option": "written with its questionnaire (questionnaire_draft_create)",
    "suitability.MismatchConfirmation": "needs a mismatching product; covered by tests/suitability/test_matching.py",
    "tiering.TierEntitlement": "seeded by a data migration; edited only in the admin",
}


def _actions(world):
    """(label, model label, action) — each action returns (instances it wrote, the acting user, "+" or "~")."""
    from accounts import services as accounts_services
    from callbacks import services as callbacks_services
    from onboarding import services as onboarding_services
    from suitability import services as suitability_services
    from tiering import services as tiering_services

    u = world["users"]
    clerk, reviewer, admin = u[Role.CLERK], u[Role.REVIEWER], u[Role.ADMIN]
    state: dict = {}

    def branch_create():
        state["branch"] = accounts_services.branch_create(actor=admin, code="AUD1", name="审计营业部")
        return [state["branch"]], admin, "+"

    def branch_update():
        b = accounts_services.branch_update(actor=admin, branch_id=state["branch"].pk, name="改名", reason="audit")
        return [b], admin, "~"

    def staff_create():
        staff = accounts_services.staff_create(
            actor=admin, username="aud_staff", password="pw-for-tests-only", roles=[Role.CLERK],
            branch=state["branch"], full_name="审计员", employee_no="A0001",
        )  # fmt: skip
        return [staff], admin, "+"

    def application_create():
        state["app"] = onboarding_services.application_create(
            actor=clerk, channel="counter", client=person(age=44, name="审计客户"), bank_code="ICBC",
            bank_account="6222020000000000009",
        )  # fmt: skip
        return [state["app"], state["app"].client], clerk, "+"

    def application_identity_verify():
        app = onboarding_services.application_identity_verify(actor=clerk, application_id=state["app"].pk)
        return [app, *[(c, "+") for c in app.identity_checks.all()]], clerk, "~"

    def assessment_submit():
        from tests.onboarding.conftest import assess

        assess(clerk, state["app"].client)
        return [state["app"].client.assessments.order_by("-pk").first()], clerk, "+"

    def accounts_open():
        from tests.onboarding.conftest import disclosures, file_documents

        risk, agreement = disclosures()
        onboarding_services.application_disclose(actor=clerk, application_id=state["app"].pk,
                                                 risk_disclosure_id=risk, agreement_id=agreement)  # fmt: skip
        onboarding_services.application_assess(actor=clerk, application_id=state["app"].pk)
        file_documents(clerk, state["app"])
        onboarding_services.application_submit(actor=clerk, application_id=state["app"].pk)
        onboarding_services.application_review(actor=reviewer, application_id=state["app"].pk, approve=True, note="ok")
        onboarding_services.application_accounts_open(actor=clerk, application_id=state["app"].pk)
        fund = state["app"].client.fund_accounts.get()
        return [fund, *fund.securities_accounts.all(), fund.depository], clerk, "+"

    def classification_request_review():
        from suitability.models import InvestorClassification

        r = suitability_services.classification_request_review(
            actor=reviewer, request_id=world["request"].pk, approve=True, note="ok"
        )
        current = InvestorClassification.objects.get(client=world["client"], is_current=True)
        return [r, (current, "+")], reviewer, "~"

    def product_create():
        p = suitability_services.product_create(
            actor=admin, code="AUDP", name="审计产品", risk="R2", horizon="short", variety="fund"
        )
        return [p], admin, "+"

    def policy_draft_create():
        active = world["active_policy"]
        rules = tiering_services.policy_rules(active)
        state["policy"] = tiering_services.policy_draft_create(actor=admin, rules=rules, based_on_id=active.pk)
        return [state["policy"], *state["policy"].rules.all()], admin, "+"

    def policy_propose():
        p = tiering_services.policy_propose(actor=admin, policy_id=state["policy"].pk)
        return [p], admin, "~"

    def override_request():
        o = tiering_services.tier_override_request(
            actor=u[Role.ACCOUNT_MANAGER], client_id=world["client"].pk, tier="B", reason="audit",
            expires_on=timezone.localdate() + datetime.timedelta(days=10),
        )  # fmt: skip
        state["override"] = o
        return [o], u[Role.ACCOUNT_MANAGER], "+"

    def override_decide():
        o = tiering_services.tier_override_decide(actor=reviewer, override_id=state["override"].pk, approve=False)
        return [o], reviewer, "~"

    def callback_task_create():
        t = callbacks_services.callback_task_create(
            actor=u[Role.CALLBACK_SUPERVISOR], client_id=world["client"].pk, reason="quality_sampling"
        )
        state["task"] = t
        return [t], u[Role.CALLBACK_SUPERVISOR], "+"

    def callback_attempt_record():
        agent = state["task"].assigned_to or u[Role.CALLBACK_AGENT]
        a = callbacks_services.callback_attempt_record(
            actor=agent, task_id=state["task"].pk, channel="phone", outcome="no_answer"
        )
        return [a], agent, "+"

    return [
        ("branch_create", "accounts.Branch", branch_create),
        ("branch_update", "accounts.Branch", branch_update),
        ("staff_create", "accounts.StaffProfile", staff_create),
        ("application_create", "onboarding.Application", application_create),
        ("application_create (registers the client)", "accounts.Client", application_create),
        ("application_identity_verify", "onboarding.Application", application_identity_verify),
        ("application_identity_verify (identity checks)", "onboarding.IdentityCheck", application_identity_verify),
        ("assessment_submit", "suitability.Assessment", assessment_submit),
        ("application_accounts_open", "accounts.FundAccount", accounts_open),
        ("classification_request_review", "suitability.ClassificationRequest", classification_request_review),
        (
            "classification_request_review (classification)",
            "suitability.InvestorClassification",
            classification_request_review,
        ),
        ("product_create", "suitability.Product", product_create),
        ("policy_draft_create", "tiering.TierRule", policy_draft_create),
        ("policy_propose", "tiering.TierPolicy", policy_propose),
        ("tier_override_request", "tiering.TierOverride", override_request),
        ("tier_override_decide", "tiering.TierOverride", override_decide),
        ("callback_task_create", "callbacks.CallbackTask", callback_task_create),
        ("callback_attempt_record", "callbacks.CallbackAttempt", callback_attempt_record),
    ]


COVERED_BY_ACCOUNTS_OPEN = {"accounts.SecuritiesAccount", "accounts.DepositoryBinding"}


@pytest.mark.django_db
def test_every_tracked_model_is_in_the_table(world):
    in_table = {model for _label, model, _fn in _actions(world)} | COVERED_BY_ACCOUNTS_OPEN
    missing = sorted(_tracked_labels() - in_table - set(NOT_IN_TABLE))
    assert not missing, (
        f"history-tracked model(s) {missing}: add a row to _actions() in tests/reliability/test_audit.py"
    )


@pytest.mark.django_db
def test_each_service_write_makes_exactly_one_history_row_with_the_actor(world):
    problems = []
    done = set()
    for label, _model, action in _actions(world):
        if action in done:  # listed again for another model it writes
            continue
        done.add(action)
        started = timezone.now()
        instances, actor, default_kind = action()
        assert instances, label
        for item in instances:
            obj, kind = item if isinstance(item, tuple) else (item, default_kind)
            new = list(obj.history.filter(history_date__gte=started).order_by("history_id"))
            name = f"{label}: {obj._meta.label} #{obj.pk}"
            if len(new) != 1:
                problems.append(f"{name} wrote {len(new)} history rows ({[r.history_type for r in new]}), not 1")
            elif new[0].history_user_id != actor.pk or new[0].history_type != kind:
                problems.append(f"{name}: row {new[0].history_type} by user {new[0].history_user_id}, "
                                f"expected {kind} by {actor.pk}")  # fmt: skip
    assert not problems, "\n".join(problems)


# Places allowed to call queryset.update()/bulk_create()/bulk_update() on a history-tracked model, each because
# the service writes the history rows itself: "path:function" -> why. None are needed today.
BYPASS_ALLOWED: dict[str, str] = {}
BULK_METHODS = {"update", "bulk_create", "bulk_update"}


def _product_files():
    for app in PRODUCT_APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts and "tests" not in path.parts:
                yield path


def _root_name(node) -> str | None:
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _history_bypasses() -> list[str]:
    tracked = {m.__name__ for m in registered_models.values()}
    found = []
    for path in _product_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]:
            for call in ast.walk(func):
                if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
                    continue
                if call.func.attr not in BULK_METHODS:
                    continue
                receiver = call.func.value
                text = ast.unparse(receiver)
                root = _root_name(receiver)
                # Model.objects…update(), or a related/queryset chain (….filter(…).update()) on a tracked model.
                on_tracked = root in tracked or any(f"{name}.objects" in text for name in tracked)
                unknown_bulk = call.func.attr != "update" and ".objects" not in text
                if on_tracked or unknown_bulk:
                    where = f"{path.relative_to(ROOT)}:{func.name}"
                    if where not in BYPASS_ALLOWED:
                        found.append(f"{where} line {call.lineno}: {text}.{call.func.attr}(…)")
    return found


def test_no_history_bypass_on_tracked_models():
    """queryset.update()/bulk_create()/bulk_update() write no history rows (simple-history common issues)."""
    found = _history_bypasses()
    assert not found, (
        "history-tracked model written without history; use audited_save() in a service, or add the place to "
        "BYPASS_ALLOWED with why the service writes the history itself:\n" + "\n".join(found)
    )


def test_the_bypass_scanner_sees_a_bypass(tmp_path, monkeypatch):
    sample = ROOT / "accounts" / "_reliability_probe.py"
    assert not sample.exists()
    source = "def f():\n    Client.objects.filter(pk=1).update(name='x')\n    TierRule.objects.bulk_create([])\n"
    monkeypatch.setattr(Path, "read_text", lambda self, **kw: source if self == sample else _read(self, **kw))
    monkeypatch.setattr("tests.reliability.test_audit._product_files", lambda: iter([sample]))
    found = _history_bypasses()
    assert len(found) == 2, found


_read = Path.read_text
