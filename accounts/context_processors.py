from django.conf import settings

from .roles import role_label, user_roles


def firm(request):
    roles = user_roles(request.user) if hasattr(request, "user") else []
    profile = (
        getattr(request.user, "staff", None) if hasattr(request, "user") and request.user.is_authenticated else None
    )
    return {
        "FIRM_NAME": settings.FIRM_NAME,
        "FIRM_NAME_EN": settings.FIRM_NAME_EN,
        "current_roles": [(r, role_label(r)) for r in roles],
        "current_profile": profile,
    }
