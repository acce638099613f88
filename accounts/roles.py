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
    Role.CLERK: {
        "accounts.view_branch",
        "accounts.view_client",
        "accounts.add_client",
        "accounts.view_fundaccount",
        "accounts.add_fundaccount",
    },
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

# Client file (archive/)
ROLE_PERMISSIONS[Role.CLERK] |= {"archive.add_document", "archive.view_document"}
ROLE_PERMISSIONS[Role.REVIEWER] |= {"archive.add_document", "archive.view_document"}
ROLE_PERMISSIONS[Role.COMPLIANCE] |= {"archive.view_document", "archive.set_legal_hold"}
ROLE_PERMISSIONS[Role.ADMIN] |= {"archive.view_document"}
# Audit explorer, tamper-evidence chain and dossier export: compliance officers only.
ROLE_PERMISSIONS[Role.COMPLIANCE] |= {"archive.view_audit", "archive.export_dossier"}

# Suitability (suitability/)
_SUITABILITY_VIEW = {
    "suitability.view_questionnaire",
    "suitability.view_product",
    "suitability.view_assessment",
    "suitability.view_investorclassification",
    "suitability.view_classificationrequest",
    "suitability.view_mismatchconfirmation",
}
ROLE_PERMISSIONS[Role.CLERK] |= _SUITABILITY_VIEW | {
    "suitability.add_assessment",
    "suitability.match_product",
    "suitability.add_mismatchconfirmation",
    "suitability.add_classificationrequest",
}
ROLE_PERMISSIONS[Role.REVIEWER] |= _SUITABILITY_VIEW | {
    "suitability.view_matchdecision",
    "suitability.add_investorclassification",
    "suitability.change_classificationrequest",
}
ROLE_PERMISSIONS[Role.COMPLIANCE] |= _SUITABILITY_VIEW | {"suitability.view_matchdecision"}
ROLE_PERMISSIONS[Role.ADMIN] |= _SUITABILITY_VIEW | {
    "suitability.add_product",
    "suitability.change_product",
    "suitability.add_questionnaire",
    "suitability.change_questionnaire",
}
# Internal systems check suitability before a sale, and may submit answers collected elsewhere.
ROLE_PERMISSIONS[Role.API_CLIENT] |= {
    "suitability.view_product",
    "suitability.view_questionnaire",
    "suitability.view_assessment",
    "suitability.add_assessment",
    "suitability.match_product",
}
# An internal system that submits answers files the result PDF of that assessment in the client file.
ROLE_PERMISSIONS[Role.API_CLIENT] |= {"archive.add_document"}
for _role in Role:  # every staff role may read the product catalogue
    ROLE_PERMISSIONS[_role] |= {"suitability.view_product"}

# Revealing masked personal data (logged): staff who check documents against the person at the counter.
ROLE_PERMISSIONS[Role.CLERK] |= {"accounts.reveal_personal_data"}
ROLE_PERMISSIONS[Role.REVIEWER] |= {"accounts.reveal_personal_data"}


# Account opening (onboarding/)
ROLE_PERMISSIONS[Role.CLERK] |= {
    "onboarding.view_application",
    "onboarding.add_application",
    "onboarding.change_application",
    "onboarding.open_accounts",
    "onboarding.view_disclosuredocument",
}
ROLE_PERMISSIONS[Role.WITNESS] |= {
    "onboarding.view_application",
    "onboarding.add_application",
    "onboarding.change_application",
    "onboarding.view_disclosuredocument",
}
ROLE_PERMISSIONS[Role.REVIEWER] |= {"onboarding.view_application", "onboarding.review_application"}
ROLE_PERMISSIONS[Role.COMPLIANCE] |= {"onboarding.view_application", "onboarding.view_disclosuredocument"}
ROLE_PERMISSIONS[Role.API_CLIENT] |= {"onboarding.view_application"}
ROLE_PERMISSIONS[Role.ADMIN] |= {
    "onboarding.view_disclosuredocument",
    "onboarding.add_disclosuredocument",
    "onboarding.change_disclosuredocument",
}
# A passed pre-activation callback activates the accounts (art. 11).
ROLE_PERMISSIONS[Role.CALLBACK_AGENT] |= {"accounts.activate_accounts", "accounts.view_client"}
ROLE_PERMISSIONS[Role.CALLBACK_SUPERVISOR] |= {"accounts.activate_accounts", "accounts.view_client"}

# Client look-up and account queries through the API (onboarding issue): internal systems read clients.
ROLE_PERMISSIONS[Role.API_CLIENT] |= {"accounts.view_client", "accounts.view_fundaccount"}
ROLE_PERMISSIONS[Role.REVIEWER] |= {"accounts.view_client"}

# Callbacks (callbacks/): agents work their queue and file the callback record in the client file.
_CALLBACK_VIEW = {"callbacks.view_callbacktask", "callbacks.view_callbackattempt"}
ROLE_PERMISSIONS[Role.CALLBACK_AGENT] |= _CALLBACK_VIEW | {"callbacks.add_callbackattempt", "archive.add_document"}
ROLE_PERMISSIONS[Role.CALLBACK_SUPERVISOR] |= _CALLBACK_VIEW | {
    "callbacks.add_callbackattempt",
    "callbacks.reassign_callbacktask",
    "archive.add_document",
}
ROLE_PERMISSIONS[Role.COMPLIANCE] |= _CALLBACK_VIEW

# Tiering and classification (tiering/): account managers and compliance read tiers and dashboards;
# administrators edit policies, import metrics and start recomputes; a reviewer or a second administrator
# approves policies and overrides (maker ≠ checker is enforced in the services).
_TIERING_VIEW = {
    "tiering.view_clienttier",
    "tiering.view_tier_dashboard",
    "tiering.view_tierpolicy",
    "tiering.view_tierentitlement",
    "tiering.view_tieroverride",
    "tiering.view_tierrecompute",
}
ROLE_PERMISSIONS[Role.ACCOUNT_MANAGER] |= _TIERING_VIEW | {"tiering.add_tieroverride", "accounts.view_client"}
ROLE_PERMISSIONS[Role.COMPLIANCE] |= _TIERING_VIEW | {"tiering.view_clientmetric"}
ROLE_PERMISSIONS[Role.REVIEWER] |= _TIERING_VIEW | {"tiering.approve_tierpolicy", "tiering.approve_tieroverride"}
ROLE_PERMISSIONS[Role.ADMIN] |= _TIERING_VIEW | {
    "tiering.add_tierpolicy",
    "tiering.approve_tierpolicy",
    "tiering.add_tieroverride",
    "tiering.approve_tieroverride",
    "tiering.add_clientmetric",
    "tiering.view_clientmetric",
    "tiering.recompute_tiers",
}
ROLE_PERMISSIONS[Role.API_CLIENT] |= {"tiering.view_clienttier", "tiering.add_clientmetric"}

# Client data changes (SPEC §4): the clerk enters, the reviewer (复核岗) decides and handles stuck requests.
_CHANGE_VIEW = {"accounts.view_changerequest"}
ROLE_PERMISSIONS[Role.CLERK] |= _CHANGE_VIEW | {"accounts.add_changerequest", "accounts.handle_changerequest"}
ROLE_PERMISSIONS[Role.REVIEWER] |= _CHANGE_VIEW | {
    "accounts.review_changerequest",
    "accounts.handle_changerequest",
    "archive.add_document",
}
ROLE_PERMISSIONS[Role.COMPLIANCE] |= _CHANGE_VIEW
ROLE_PERMISSIONS[Role.API_CLIENT] |= _CHANGE_VIEW


def _permissions(perms: set[str]) -> dict[str, Permission]:
    """{"app_label.codename": Permission} for those of `perms` that exist, in one query."""
    found = Permission.objects.select_related("content_type").filter(
        codename__in={perm.split(".", 1)[1] for perm in perms}
    )
    by_name = {f"{p.content_type.app_label}.{p.codename}": p for p in found}
    return {perm: by_name[perm] for perm in perms if perm in by_name}


def roles_sync() -> list[str]:
    """Create the role groups and set their permissions to the table above. Returns missing permissions."""
    missing: list[str] = []
    known = _permissions(set().union(*ROLE_PERMISSIONS.values()))
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = []
        for perm in sorted(ROLE_PERMISSIONS.get(role, set())):
            if perm in known:
                wanted.append(known[perm])
            else:
                missing.append(perm)
        group.permissions.set(wanted)
    return missing


def roles_sync_after_migrate(sender, **kwargs) -> None:
    """post_migrate is sent once per app with models, in INSTALLED_APPS order, and the permissions of an app
    exist only from its own call on: sync once, on the last call, when they all do."""
    from django.apps import apps

    last = [config for config in apps.get_app_configs() if config.models_module is not None][-1]
    if sender.label == last.label:
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
