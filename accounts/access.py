"""Who may do what: the one check every service and view uses."""

import functools
import logging

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import CharField, OuterRef, Value
from django.db.models.functions import Concat
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import BasePermission

from .errors import AccountsError, ApplicationError
from .prepared import PreparedQuery, instance

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


class TokenWithPermissionsAuthentication(TokenAuthentication):
    """DRF token authentication that reads the token, its user and the user's permissions in one query.

    Behaviour is DRF's `TokenAuthentication` exactly (same errors, same user); the difference is that the
    permission sets ModelBackend would load on the first `has_perm` (two more queries) come with the token
    and are stored in ModelBackend's own per-object caches (`_user_perm_cache`, `_group_perm_cache`,
    `_perm_cache`). They live as long as the user object, i.e. this request; nothing is kept between
    requests, so a deleted token, a deactivated user or a removed permission takes effect on the next
    request. PostgreSQL only (array subqueries); elsewhere it is DRF's class unchanged. Superusers are left
    to ModelBackend, which grants them every permission.
    """

    def authenticate_credentials(self, key):
        from rest_framework.authtoken.models import Token  # not at import: DRF loads this class early

        if connection.vendor != "postgresql" or self.get_model() is not Token:
            return super().authenticate_credentials(key)
        rows = _token_with_permissions().rows(key)
        if not rows:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        created, user_perms, group_perms, *user_values = rows[0]
        user = instance(get_user_model(), dict(zip(_user_fields(), user_values, strict=True)))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if not user.is_superuser:
            user._user_perm_cache = set(user_perms)
            user._group_perm_cache = set(group_perms)
            user._perm_cache = user._user_perm_cache | user._group_perm_cache
        token = instance(Token, {"key": key, "user_id": user.pk, "created": created})
        token.user = user
        return (user, token)


def _user_fields() -> list[str]:
    return [f.attname for f in get_user_model()._meta.concrete_fields]


@functools.cache
def _token_with_permissions() -> PreparedQuery:
    """Token → (created, user's own permission names, its groups' permission names, *user columns)."""
    from django.contrib.auth.models import Permission
    from django.contrib.postgres.expressions import ArraySubquery
    from rest_framework.authtoken.models import Token

    def perm_names(**to_user):
        name = Concat("content_type__app_label", Value("."), "codename", output_field=CharField())
        return Permission.objects.filter(**to_user).order_by().values_list(name)

    return PreparedQuery(
        lambda key: (
            Token.objects.filter(key=key)
            .annotate(
                user_perm_names=ArraySubquery(perm_names(user=OuterRef("user_id"))),
                group_perm_names=ArraySubquery(perm_names(group__user=OuterRef("user_id"))),
            )
            .values_list("created", "user_perm_names", "group_perm_names", *(f"user__{f}" for f in _user_fields()))
        ),
        "\x1ftoken-key\x1f",
        server_side=True,
    )
