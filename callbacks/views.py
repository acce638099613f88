from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.errors import ApplicationError
from accounts.masking import mask_id_number, mask_phone
from accounts.models import Client

from . import selectors, services
from .forms import CallbackAttemptForm, ReassignForm
from .models import CallbackTask

_VIEW = "callbacks.view_callbacktask"


@require_GET
@login_required
@permission_required(_VIEW, raise_exception=True)
def queue(request):
    """回访任务: the agent's own open tasks, overdue first."""
    return render(request, "callbacks/queue.html", {"queue": selectors.agent_queue(request.user)})


def _script(task: CallbackTask) -> list[dict]:
    app = task.application
    names = {
        "name": task.client.name,
        "agent_name": app.agent_name if app else "",
        "channel": app.get_channel_display() if app else "—",
    }
    return [
        {"key": key, "label": label, "question": question.format(**names)}
        for key, label, question in services.CONFIRMATIONS
        if key != "agent_confirmed" or (app and app.has_agent)
    ]


@require_http_methods(["GET", "POST"])
@login_required
@permission_required(_VIEW, raise_exception=True)
def task_work(request, task_id: int):
    """The call script: the client's data (masked), the five confirmations, and the attempts so far."""
    task = get_object_or_404(
        CallbackTask.objects.select_related("client", "application", "assigned_to__staff"), pk=task_id
    )
    form = CallbackAttemptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            attempt = services.callback_attempt_record(
                actor=request.user,
                task_id=task.pk,
                channel=form.cleaned_data["channel"],
                outcome=form.cleaned_data["outcome"],
                confirmations=form.confirmations(),
                notes=form.cleaned_data["notes"],
                recording_ref=form.cleaned_data["recording_ref"],
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            for field in exc.fields:
                if field in form.fields:
                    form.add_error(field, exc.message)
        else:
            task.refresh_from_db()
            messages.success(
                request, _("已记录第 %(n)s 次回访，任务状态：%(status)s") % {"n": attempt.number,
                                                                        "status": task.get_status_display()}
            )  # fmt: skip
            return redirect("callbacks-task", task_id=task.pk)
    client = task.client
    context = {
        "task": task,
        "app": task.application,
        "client": client,
        "masked": {"id_number": mask_id_number(client.id_number), "phone": mask_phone(client.phone)},
        "agent_id_number": mask_id_number(task.application.agent_id_number) if task.application else "",
        "script": [{**row, "field": form[row["key"]]} for row in _script(task)],
        "form": form,
        "attempts": task.attempts.select_related("agent__staff").order_by("number"),
        "may_record": task.is_open
        and (task.assigned_to_id == request.user.pk or request.user.has_perm("callbacks.reassign_callbacktask"))
        and request.user.has_perm("callbacks.add_callbackattempt"),
    }
    return render(request, "callbacks/task.html", context)


@require_GET
@login_required
@permission_required("callbacks.reassign_callbacktask", raise_exception=True)
def supervisor(request):
    """回访管理: load by agent, overdue and escalated tasks, reassignment."""
    return render(request, "callbacks/supervisor.html", selectors.supervisor_overview())


@require_POST
@login_required
@permission_required("callbacks.reassign_callbacktask", raise_exception=True)
def task_reassign(request, task_id: int):
    form = ReassignForm(request.POST)
    if form.is_valid():
        try:
            services.callback_task_reassign(actor=request.user, task_id=task_id, agent_id=form.cleaned_data["agent_id"],
                                            reason=form.cleaned_data["reason"])  # fmt: skip
            messages.success(request, _("回访任务 #%(id)s 已重新分配。") % {"id": task_id})
        except ApplicationError as exc:
            messages.error(request, exc.message)
    return redirect("callbacks-supervisor")


@require_GET
@login_required
@permission_required(_VIEW, raise_exception=True)
def client_history(request, client_id: int):
    """The callback history of one client: every task, attempt and outcome."""
    client = get_object_or_404(Client, pk=client_id)
    return render(
        request,
        "callbacks/client_history.html",
        {
            "client": client,
            "masked_id": mask_id_number(client.id_number),
            "tasks": selectors.client_callback_history(client_id=client.pk),
        },  # fmt: skip
    )
