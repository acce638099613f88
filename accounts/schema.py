"""drf-spectacular hook: every operation documents the error responses it can really give."""

ERROR_REF = {"$ref": "#/components/schemas/Error"}


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
            for status_code, description in wanted.items():
                responses.setdefault(
                    status_code,
                    {"description": description, "content": {"application/json": {"schema": ERROR_REF}}},
                )
            # A body DRF cannot parse is refused with the error shape before the view runs, so a 400 the view
            # documents with its own body may also be an Error.
            own = responses.get("400", {}).get("content", {}).get("application/json", {})
            if own.get("schema") not in (None, ERROR_REF) and "oneOf" not in own["schema"]:
                own["schema"] = {"oneOf": [own["schema"], ERROR_REF]}
    return result
