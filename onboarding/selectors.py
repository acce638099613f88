"""Reads of applications that the API, the pages and the workbench share."""

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from archive.selectors import client_file_checklist

from .models import (
    CLOSED_STATUSES,
    Application,
    ApplicationEvent,
    ApplicationStatus,
    DisclosureDocument,
    DisclosureKind,
)

S = ApplicationStatus
ORDER = [
    S.DRAFT,
    S.IDENTITY_VERIFIED,
    S.DISCLOSED,
    S.ASSESSED,
    S.SUBMITTED,
    S.APPROVED,
    S.ACCOUNTS_OPENED,
    S.CALLBACK_PASSED,
    S.ACTIVE,
]


def applications(
    *,
    status: str = "",
    channel: str = "",
    branch: str = "",
    created_from: datetime.date | None = None,
    created_to: datetime.date | None = None,
    created_by=None,
) -> QuerySet[Application]:
    """Applications, newest first, filtered by status, channel, branch code and local creation date."""
    qs = Application.objects.select_related("client", "branch", "created_by__staff")
    if status:
        qs = qs.filter(status=status)
    if channel:
        qs = qs.filter(channel=channel)
    if branch:
        qs = qs.filter(branch__code=branch)
    tz = timezone.get_current_timezone()
    if created_from:
        qs = qs.filter(created_at__gte=datetime.datetime.combine(created_from, datetime.time.min, tzinfo=tz))
    if created_to:
        end = datetime.datetime.combine(created_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
        qs = qs.filter(created_at__lt=end)
    if created_by is not None:
        qs = qs.filter(created_by=created_by)
    return qs.order_by("-created_at", "-pk")


def applications_for_review(*, user) -> QuerySet[Application]:
    """The reviewer's queue: submitted applications someone else entered, oldest first."""
    return (
        Application.objects.filter(status=S.SUBMITTED)
        .exclude(created_by=user)
        .select_related("client", "branch", "created_by__staff")
        .order_by("submitted_at", "pk")
    )


def application_detail(*, application_id: int) -> Application:
    return (
        Application.objects.select_related(
            "client",
            "branch",
            "created_by__staff",
            "witness__staff",
            "educator__staff",
            "reviewed_by__staff",
            "risk_disclosure",
            "agreement",
            "assessment",
            "fund_account",
        )  # fmt: skip
        .prefetch_related(
            # one query each: the staff profile joined in, not prefetched level by level
            Prefetch("events", queryset=ApplicationEvent.objects.select_related("actor__staff")),
            "identity_checks",
            Prefetch("met_by", queryset=get_user_model().objects.select_related("staff")),
        )
        .get(pk=application_id)
    )


def application_checklist(app: Application):
    return client_file_checklist(app.client, channel=app.channel, has_agent=app.has_agent)


def disclosures_current() -> dict[str, list[DisclosureDocument]]:
    docs = DisclosureDocument.objects.filter(active=True).order_by("-created_at", "-pk")
    return {
        DisclosureKind.RISK_DISCLOSURE: [d for d in docs if d.kind == DisclosureKind.RISK_DISCLOSURE],
        DisclosureKind.AGREEMENT: [d for d in docs if d.kind == DisclosureKind.AGREEMENT],
    }


@dataclass(frozen=True)
class Step:
    code: str
    label: str
    state: str  # done / current / blocked / todo


STEP_LABELS = {
    "create": _("开户申请"),
    "identity": _("身份核查"),
    "disclose": _("风险揭示与协议"),
    "assess": _("适当性评估"),
    "documents": _("档案材料"),
    "submit": _("提交复核"),
    "review": _("复核"),
    "open": _("开立账户"),
}


def _rank(status: str) -> int:
    return ORDER.index(status) if status in ORDER else -1


def application_steps(app: Application, *, documents_complete: bool) -> list[Step]:
    """The wizard's steps with done / current / blocked / todo. A closed application has no current step."""
    closed = app.status in CLOSED_STATUSES
    rank = _rank(app.status)
    by_status = {
        "identity": S.IDENTITY_VERIFIED,
        "disclose": S.DISCLOSED,
        "assess": S.ASSESSED,
        "submit": S.SUBMITTED,
        "review": S.APPROVED,
        "open": S.ACCOUNTS_OPENED,
    }
    steps = [Step("create", str(STEP_LABELS["create"]), "done")]
    for code in ("identity", "disclose", "assess", "documents", "submit", "review", "open"):
        if code == "documents":
            if documents_complete:
                state = "done"
            elif app.status == S.ASSESSED:
                state = "current"
            else:
                state = "todo"
        else:
            target = ORDER.index(by_status[code])
            if not closed and rank >= target:
                state = "done"
            elif not closed and rank == target - 1:
                state = "current"
                if code == "submit" and not documents_complete:
                    state = "blocked"
            else:
                state = "todo"
        steps.append(Step(code, str(STEP_LABELS[code]), "blocked" if closed and state != "done" else state))
    return steps


def client_overview(*, client_id: int) -> dict:
    """Everything the client page shows, in a fixed number of queries: the client, its accounts, its
    applications, its suitability standing and the latest changes to its record."""
    from django.utils import timezone

    from accounts.models import Client, DepositoryBinding, FundAccount, SecuritiesAccount
    from suitability.selectors import assessment_current, investor_class_current

    client = Client.objects.select_related("branch").get(pk=client_id)
    assessment = assessment_current(client_id=client.pk)
    return {
        "client": client,
        "fund_accounts": list(FundAccount.objects.filter(client=client).order_by("pk")),
        "securities_accounts": list(SecuritiesAccount.objects.filter(client=client).order_by("market")),
        "depository": list(DepositoryBinding.objects.filter(client=client).order_by("pk")),
        "applications": list(
            Application.objects.filter(client=client).select_related("created_by__staff").order_by("-created_at")
        ),
        "assessment": assessment,
        "assessment_expired": bool(assessment and assessment.valid_until < timezone.localdate()),
        "investor_class": investor_class_current(client_id=client.pk),
        "changes": list(client.history.select_related("history_user__staff").order_by("-history_date")[:20]),
    }
