from django.contrib.auth.decorators import login_required, permission_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import selectors
from .models import StaffProfile
from .workbench import workbench_panels


@login_required
def home(request):
    """工作台: each role's queues and entry points."""
    return render(request, "accounts/home.html", {"panels": workbench_panels(request.user)})


@login_required
@permission_required("accounts.view_staffprofile", raise_exception=True)
def staff_list(request):
    staff = StaffProfile.objects.select_related("user", "branch").prefetch_related("user__groups")
    return render(request, "accounts/staff_list.html", {"staff": staff})


@never_cache
@require_GET
def healthz(request):
    """Database and broker reachability, for load balancers and monitoring. No login, no personal data."""
    db = selectors.database_ok()
    broker = selectors.broker_ok()
    last = selectors.worker_last_seen() if db else None
    body = {
        "status": "ok" if (db and broker) else "error",
        "database": "ok" if db else "unreachable",
        "broker": "ok" if broker else "unreachable",
        "worker_last_seen": last.isoformat() if last else None,
    }
    return JsonResponse(body, status=200 if (db and broker) else 503)
