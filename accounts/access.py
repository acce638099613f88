"""Who may do what: the one check every service and view uses."""

import logging

from rest_framework.permissions import BasePermission

from .errors import AccountsError, ApplicationError

security_log = logging.getLogger("security")


def require_perm(actor, perm: str) -> None:
    """Raise PERMISSION_DENIED unless `actor` holds `perm` ("app_label.codename"). Denials are logged."""
    if actor is None or not actor.is_authenticated or not actor.has_perm(perm):
        security_log.warning("permission denied: user=%s perm=%s", getattr(actor, "pk", None), perm)
        raise ApplicationError(AccountsError.PERMISSION_DENIED, permission=perm)


def require_different_person(maker, checker) -> None:
    """Maker and checker are never the same person."""
    if maker is not None and checker is not None and maker.pk == checker.pk:
        security_log.warning("maker-checker refused: user=%s", checker.pk)
        raise ApplicationError(AccountsError.MAKER_CHECKER)


def perm_class(*perms: str, safe_perms: tuple[str, ...] = ()) -> type[BasePermission]:
    """A DRF permission class: `safe_perms` for GET/HEAD/OPTIONS, `perms` for writes (or for all if no safe)."""

    class _HasPerms(BasePermission):
        def has_permission(self, request, view) -> bool:
            needed = safe_perms if (safe_perms and request.method in ("GET", "HEAD", "OPTIONS")) else perms
            ok = request.user.is_authenticated and all(request.user.has_perm(p) for p in needed)
            if not ok and request.user.is_authenticated:
                security_log.warning(
                    "permission denied: user=%s perms=%s path=%s", request.user.pk, needed, request.path
                )
            return ok

    _HasPerms.__name__ = "HasPerms_" + "_".join(p.replace(".", "_") for p in perms)
    return _HasPerms
