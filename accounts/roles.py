"""Staff roles. A role is a Django group whose name is the role's code; its permissions live here.

Each later stage adds the permissions its roles need to ROLE_PERMISSIONS; `roles_sync` (run after
every migrate) makes the groups match this table exactly.
"""

import logging

from django.contrib.auth.models import Group, Permission
from django.db import models
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class Role(models.TextChoices):
    CLERK = "clerk", _("柜台业务岗 Counter clerk")
    REVIEWER = "reviewer", _("复核岗 Reviewer")
    WITNESS = "witness", _("见证人员 Witness")
    CALLBACK_AGENT = "callback_agent", _("回访专员 Callback agent")
    CALLBACK_SUPERVISOR = "callback_supervisor", _("回访主管 Callback supervisor")
    ACCOUNT_MANAGER = "account_manager", _("客户经理 Account manager")
    COMPLIANCE = "compliance", _("合规 Compliance officer")
    ADMIN = "admin", _("系统管理员 Administrator")
    API_CLIENT = "api_client", _("内部系统 Internal system (API)")


# "app_label.codename" per role. Later stages extend this table.
ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.CLERK: {"accounts.view_branch", "accounts.view_client", "accounts.add_client"},
    Role.REVIEWER: {"accounts.view_branch"},
    Role.WITNESS: {"accounts.view_branch"},
    Role.CALLBACK_AGENT: {"accounts.view_branch"},
    Role.CALLBACK_SUPERVISOR: {"accounts.view_branch"},
    Role.ACCOUNT_MANAGER: {"accounts.view_branch"},
    Role.COMPLIANCE: {
        "accounts.view_branch",
        "accounts.view_staffprofile",
        "accounts.view_client",
        "accounts.reveal_personal_data",
    },
    Role.ADMIN: {
        "accounts.view_branch",
        "accounts.add_branch",
        "accounts.change_branch",
        "accounts.view_staffprofile",
        "accounts.add_staffprofile",
        "accounts.change_staffprofile",
    },
    Role.API_CLIENT: {"accounts.view_branch"},
}


def _permission(perm: str) -> Permission | None:
    app_label, codename = perm.split(".", 1)
    return Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()


def roles_sync() -> list[str]:
    """Create the role groups and set their permissions to the table above. Returns missing permissions."""
    missing: list[str] = []
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = []
        for perm in sorted(ROLE_PERMISSIONS.get(role, set())):
            found = _permission(perm)
            if found is None:
                missing.append(perm)
            else:
                wanted.append(found)
        group.permissions.set(wanted)
    return missing


def roles_sync_after_migrate(sender, **kwargs) -> None:
    # Permissions of apps migrated later appear in later calls; the last call sees them all.
    roles_sync()


def user_roles(user) -> list[str]:
    if not user.is_authenticated:
        return []
    valid = {r.value for r in Role}
    return sorted(name for name in user.groups.values_list("name", flat=True) if name in valid)


def role_label(code: str) -> str:
    try:
        return str(Role(code).label)
    except ValueError:
        return code
