"""Reads of the callback stage shared by the pages and the API."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.roles import Role

from .models import OPEN_TASK_STATUSES, CallbackTask, TaskStatus


def callback_tasks(*, user=None, open_only: bool = False) -> QuerySet[CallbackTask]:
    qs = CallbackTask.objects.select_related("client", "application", "assigned_to", "assigned_to__staff")
    if user is not None:
        qs = qs.filter(assigned_to=user)
    if open_only:
        qs = qs.filter(status__in=OPEN_TASK_STATUSES)
    return qs.order_by("due_at", "pk")


def agent_queue(user, *, now: datetime | None = None) -> dict[str, list[CallbackTask]]:
    """The agent's open tasks: overdue, due now (may be called now), later (waiting for the gap)."""
    now = now or timezone.now()
    queue: dict[str, list[CallbackTask]] = {"overdue": [], "due_now": [], "later": []}
    for task in callback_tasks(user=user, open_only=True):
        if task.due_at < now or task.status == TaskStatus.ESCALATED:
            queue["overdue"].append(task)
        elif task.next_attempt_at and task.next_attempt_at > now:
            queue["later"].append(task)
        else:
            queue["due_now"].append(task)
    return queue


def callback_agents() -> QuerySet:
    """Active callback agents with their open task counts (for the supervisor and for reassignment)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=Role.CALLBACK_AGENT)
        .select_related("staff")
        .annotate(open_tasks=Count("callback_tasks", filter=Q(callback_tasks__status__in=OPEN_TASK_STATUSES)))
        .order_by("pk")
    )


def supervisor_overview(*, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    open_tasks = callback_tasks(open_only=True)
    return {
        "agents": list(callback_agents()),
        "unassigned": list(open_tasks.filter(assigned_to__isnull=True)),
        "overdue": list(open_tasks.filter(status__in=[TaskStatus.PENDING, TaskStatus.IN_PROGRESS], due_at__lt=now)),
        "escalated": list(open_tasks.filter(status=TaskStatus.ESCALATED)),
        "open": list(open_tasks),
    }


def client_callback_history(*, client_id: int) -> QuerySet[CallbackTask]:
    return (
        CallbackTask.objects.filter(client_id=client_id)
        .select_related("assigned_to", "application")
        .prefetch_related("attempts__agent__staff", "events")
        .order_by("-created_at")
    )
