"""drf-spectacular hook: every operation documents the error responses it can really give."""

ERROR_REF = {"$ref": "#/components/schemas/Error"}
IDEMPOTENCY_HEADER = "Idempotency-Key"  # accounts.idempotency.HEADER (not imported: that module loads models)
IDEMPOTENCY_RESPONSES = {  # status → what the idempotency layer may answer with it (accounts/idempotency.py)
    "400": "`idempotency_key_invalid`: the Idempotency-Key is not 1 to 255 visible characters",
    "409": "`idempotency_request_in_flight`: a request with this Idempotency-Key is still being processed",
    "422": "`idempotency_key_reused`: this Idempotency-Key was already used for a different request",
}


def _idempotent(operation: dict) -> bool:
    return any(p.get("in") == "header" and p.get("name") == IDEMPOTENCY_HEADER for p in operation.get("parameters", []))


def add_error_responses(result, generator, request, public):
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = {
        "type": "object",
        "description": "Every error response has this shape.",
        "properties": {
            "code": {"type": "string"},
            "message": {"type": "string"},
            "fields": {"type": "object", "additionalProperties": {}},
            "rule": {"type": "string", "nullable": True},
        },
        "required": ["code", "message", "fields", "rule"],
    }
    for path, methods in result.get("paths", {}).items():
        for method, operation in methods.items():
            responses = operation.setdefault("responses", {})
            wanted = {"401": "Not authenticated", "403": "Permission denied or refused by a rule"}
            if "{" in path:
                wanted["404"] = "Not found"
            if method in ("post", "put", "patch") or operation.get("parameters"):
                wanted["400"] = "Invalid input"
            if method in ("post", "put", "patch", "delete"):
                wanted["409"] = "Conflict with the current state"
            idempotent = _idempotent(operation)
            if idempotent:
                wanted.setdefault("422", "")
            for status_code, description in wanted.items():
                responses.setdefault(
                    status_code,
                    {"description": description, "content": {"application/json": {"schema": ERROR_REF}}},
                )
            if idempotent:
                for status_code, description in IDEMPOTENCY_RESPONSES.items():
                    response = responses[status_code]
                    code = description.split("`")[1]
                    if code not in response.get("description", ""):
                        response["description"] = "; ".join(filter(None, [response.get("description"), description]))
            # A body DRF cannot parse is refused with the error shape before the view runs, so a 400 the view
            # documents with its own body may also be an Error.
            # An idempotent operation's 409 and 422 may be the idempotency errors whatever else it documents.
            for status_code in ("400", "409", "422") if idempotent else ("400",):
                own = responses.get(status_code, {}).get("content", {}).get("application/json", {})
                if own.get("schema") not in (None, ERROR_REF) and "oneOf" not in own["schema"]:
                    own["schema"] = {"oneOf": [own["schema"], ERROR_REF]}
    return result
