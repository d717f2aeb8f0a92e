"""OpenAPI: the error component of API.md on every operation.

drf-spectacular describes the successful answers from the serializers; this hook adds the
``Error`` component and the failure answers each operation can give, so that clients (and
the fuzzer in CI) can rely on the error shape too.
"""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.extensions import OpenApiSerializerFieldExtension

ERROR_REF = {"$ref": "#/components/schemas/Error"}

ERROR_COMPONENTS = {
    "Violation": {
        "type": "object",
        "properties": {
            "rule": {"type": "string"},
            "message": {"type": "string"},
            "level": {"type": "string", "enum": ["blocking", "warning"]},
            "field": {"type": "string"},
        },
        "required": ["rule", "message"],
    },
    "Error": {
        "type": "object",
        "description": 'Every 4xx answer: `{"error": {"code", "message", "fields"?}}`.',
        "properties": {
            "error": {
                "type": "object",
                "properties": {
                    "code": {
                        "type": "string",
                        "description": "invalid, not_authenticated, forbidden, not_found, "
                        "invalid_transition, rule_violation, method_not_allowed, "
                        "unsupported_media_type, throttled",
                    },
                    "message": {"type": "string"},
                    "fields": {
                        "type": "object",
                        "description": "Per input field (dotted path), the messages.",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    },
                    "violations": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/Violation"},
                    },
                },
                "required": ["code", "message"],
            }
        },
        "required": ["error"],
    },
}

ALWAYS = {
    "401": "Not logged in (`not_authenticated`).",
    "403": "The role may not do this (`forbidden`).",
    "404": "Outside the caller's scope, or absent (`not_found`).",
    "429": "Too many requests or failed logins (`throttled`).",
}
QUERY = {"400": "Malformed or invalid input (`invalid`, with `fields`)."}
WRITES = {
    "400": "Malformed or invalid input (`invalid`, with `fields`).",
    "409": "Not allowed from the current state, or lost a race (`invalid_transition`).",
    "415": "Unsupported media type (`unsupported_media_type`).",
    "422": "A business rule blocks it (`rule_violation`, with `violations`).",
}


def add_error_responses(result, generator, request, public):
    """POSTPROCESSING_HOOKS entry: the Error component and each operation's failures."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(ERROR_COMPONENTS)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            failures = dict(ALWAYS)
            if method in {"post", "put", "patch"}:
                failures.update(WRITES)
            elif operation.get("parameters"):
                failures.update(QUERY)
            responses = operation["responses"]
            for status, description in failures.items():
                responses.setdefault(
                    status,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": ERROR_REF}},
                    },
                )
            if method == "post" and not path.endswith("/auth/token/"):
                params = operation.setdefault("parameters", [])
                if not any(p.get("name") == "Idempotency-Key" for p in params):
                    params.append(
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "description": "Repeat the same request with the same key to get "
                            "the first answer again without a second effect.",
                            "schema": {"type": "string", "pattern": "^[!-~]{1,255}$"},
                        }
                    )
    return result


class NullableRelatedField(OpenApiSerializerFieldExtension):
    """A declared read-only related field (``SlugRelatedField(read_only=True)``) over a
    nullable foreign key answers ``null``; drf-spectacular only knows that when the field
    says ``allow_null``. Read it from the model so every app's schema tells the truth."""

    target_class = "rest_framework.relations.RelatedField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if self._model_field_is_nullable():
            schema["nullable"] = True
        return schema

    def _model_field_is_nullable(self) -> bool:
        field = self.target
        model = getattr(getattr(getattr(field, "parent", None), "Meta", None), "model", None)
        source = getattr(field, "source", "") or ""
        if model is None or not source or "." in source or source == "*":
            return False
        try:
            return bool(model._meta.get_field(source).null)
        except FieldDoesNotExist:
            return False
