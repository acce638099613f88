"""Make one request as one role and say whether it was let through."""

from django.test import Client as DjangoClient

# A POST body per API route, complete enough to pass parsing where a service checks the permission itself.
API_BODIES = {
    "api-client-reveal": {"field": "id_number", "reason": "matrix check"},
}


def outcome(response, name: str = "") -> str:
    """ "deny" (401/403, or a page redirecting to the login), "absent" (405), "error" (5xx) or "allow"."""
    status = response.status_code
    if name == "logout" and status == 302:
        return "allow"  # logging out ends at the login page
    if status in (401, 403):
        return "deny"
    if status in (301, 302) and "/login/" in response.get("Location", ""):
        return "deny"
    if status == 405:
        return "absent"
    if status >= 500:
        return "error"
    return "allow"


def client_for(user) -> DjangoClient:
    client = DjangoClient(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def form_bodies(world: dict) -> dict:
    """Pages that only require a login and leave the permission check to the service get a valid form,
    so the service's check (not the form's validation) decides."""
    from onboarding.models import DisclosureDocument

    risk = DisclosureDocument.objects.get(kind="risk_disclosure", active=True).pk
    agreement = DisclosureDocument.objects.get(kind="agreement", active=True).pk
    return {
        "archive-client-file-reveal": {"field": "id_number"},
        "change-action": {"action": "reject", "reason": "matrix check"},
        "onboarding-close": {"reason": "matrix check"},
        "onboarding-review": {"decision": "reject", "note": "matrix check"},
        "onboarding-disclose": {
            "risk_disclosure": risk, "agreement": agreement, "educator": world["users"]["clerk"].pk,
        },
    }  # fmt: skip


def request(client: DjangoClient, method: str, url: str, name: str, forms: dict | None = None):
    if method == "GET":
        return client.get(url)
    if name.startswith("api-"):
        return client.post(url, API_BODIES.get(name, {}), content_type="application/json")
    return client.post(url, (forms or {}).get(name, {}))
