"""Every URL pattern of config.urls, and how to point each at a real object of the reliability world."""

from django.urls import URLPattern, URLResolver, get_resolver, reverse

ADMIN_PREFIX = "admin/"


def url_patterns() -> dict[str, str]:
    """{url name: route} for every named pattern (the admin site counts as one entry, "admin:index")."""
    found: dict[str, str] = {}

    def walk(resolver, prefix: str = "") -> None:
        for p in resolver.url_patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                if route.startswith(ADMIN_PREFIX):
                    found["admin:index"] = ADMIN_PREFIX
                    continue
                walk(p, route)
            elif isinstance(p, URLPattern):
                found[p.name or route] = route

    walk(get_resolver())
    return found


def kwargs_for(route: str, world: dict, name: str) -> dict:
    steps_on_draft = name.startswith(("onboarding-", "api-application-")) and name not in (
        "onboarding-wizard",
        "api-application",
    )
    values = {
        "client_id": world["client"].pk,
        "application_id": (world["draft"] if steps_on_draft else world["opened"]).pk,
        "document_id": world["document"].pk,
        "task_id": world["task"].pk,
        "request_id": (world["change"] if "change" in name else world["request"]).pk,
        "decision_id": world["decision"].pk,
        "override_id": world["override"].pk,
        "run_id": world["run"].pk,
        "policy_id": world["policy"].pk,
        "action": "propose",
        "user_id": world["users"]["clerk"].pk,
        "model_label": "onboarding.application",
        "export_id": world["export"].pk,
    }
    return {k: v for k, v in values.items() if f":{k}>" in route}


def url_for(name: str, route: str, world: dict) -> str:
    return reverse(name, kwargs=kwargs_for(route, world, name))
