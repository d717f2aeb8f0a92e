"""Every API failure in API.md's shape: ``{"error": {"code", "message", "fields"?}}``.

Domain exceptions raised by services are translated here, so views stay thin and no
expected failure can surface as a 500.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .exceptions import InvalidInput, InvalidTransition, NotPermitted, OutOfScope, RuleViolation

CODES = {
    exceptions.ParseError: ("invalid", status.HTTP_400_BAD_REQUEST),
    exceptions.ValidationError: ("invalid", status.HTTP_400_BAD_REQUEST),
    exceptions.NotAuthenticated: ("not_authenticated", status.HTTP_401_UNAUTHORIZED),
    exceptions.AuthenticationFailed: ("not_authenticated", status.HTTP_401_UNAUTHORIZED),
    exceptions.PermissionDenied: ("forbidden", status.HTTP_403_FORBIDDEN),
    exceptions.NotFound: ("not_found", status.HTTP_404_NOT_FOUND),
    exceptions.MethodNotAllowed: ("method_not_allowed", status.HTTP_405_METHOD_NOT_ALLOWED),
    exceptions.NotAcceptable: ("not_acceptable", status.HTTP_406_NOT_ACCEPTABLE),
    exceptions.UnsupportedMediaType: (
        "unsupported_media_type",
        status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    ),
    exceptions.Throttled: ("throttled", status.HTTP_429_TOO_MANY_REQUESTS),
}


def error_body(code: str, message: str, **extra) -> dict:
    error = {"code": code, "message": message}
    error.update({k: v for k, v in extra.items() if v is not None})
    return {"error": error}


def _flatten(detail) -> dict:
    """DRF's nested error detail → {field: [messages]} (nested keys joined with dots)."""
    out: dict = {}

    def walk(prefix, value):
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), sub)
        elif isinstance(value, list):
            if value and all(not isinstance(v, dict | list) for v in value):
                out.setdefault(prefix or "non_field_errors", []).extend(str(v) for v in value)
            else:
                for index, sub in enumerate(value):
                    walk(f"{prefix}.{index}" if prefix else str(index), sub)
        else:
            out.setdefault(prefix or "non_field_errors", []).append(str(value))

    walk("", detail)
    return out


def domain_error_response(exc: Exception) -> Response | None:
    if isinstance(exc, RuleViolation):
        return Response(
            error_body(
                "rule_violation",
                exc.message,
                violations=[v.as_dict() for v in exc.violations],
            ),
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    if isinstance(exc, InvalidTransition):
        return Response(error_body("invalid_transition", exc.message), status=409)
    if isinstance(exc, OutOfScope):
        return Response(error_body("not_found", "Not found."), status=404)
    if isinstance(exc, NotPermitted):
        return Response(error_body("forbidden", exc.message), status=403)
    if isinstance(exc, InvalidInput):
        return Response(error_body("invalid", exc.message, fields=exc.fields), status=400)
    return None


def _overflow_response(exc: OverflowError, context) -> Response:
    """A number too large for the database's 64-bit integers (SQLite raises OverflowError).
    In the path it names no object (404); in the input it is invalid (400)."""
    kwargs = (context or {}).get("kwargs") or {}
    if any(isinstance(v, int) and abs(v) >= 2**63 for v in kwargs.values()):
        return Response(error_body("not_found", "Not found."), status=404)
    return Response(error_body("invalid", "A number is too large."), status=400)


def exception_handler(exc, context):
    response = domain_error_response(exc)
    if response is not None:
        return response
    if isinstance(exc, OverflowError):
        return _overflow_response(exc, context)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code, default_status = next(
        ((c, s) for cls, (c, s) in CODES.items() if isinstance(exc, cls)),
        ("error", response.status_code),
    )
    if isinstance(exc, exceptions.ValidationError):
        body = error_body("invalid", "Invalid input.", fields=_flatten(exc.detail))
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        message = (
            detail
            if isinstance(detail, str)
            else "; ".join(str(v) for v in _flatten(detail).values())
        )
        body = error_body(code, str(message))
    response.data = body
    response.status_code = default_status if code != "error" else response.status_code
    return response


# --- failures outside DRF views (Django's handlers, django-axes) ---------------------------


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _json_error(code: str, message: str, status_code: int):
    from django.http import JsonResponse

    return JsonResponse(error_body(code, message), status=status_code)


def not_found(request, exception=None):
    """handler404: unknown URLs under /api/ answer in the API's shape."""
    if _is_api(request):
        return _json_error("not_found", "Not found.", 404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def bad_request(request, exception=None):
    """handler400 (e.g. a malformed multipart body or a disallowed host)."""
    if _is_api(request):
        return _json_error("invalid", "Malformed request.", 400)
    from django.views.defaults import bad_request as default

    return default(request, exception)


def permission_denied(request, exception=None):
    if _is_api(request):
        return _json_error("forbidden", "You may not do this.", 403)
    from django.views.defaults import permission_denied as default

    return default(request, exception)


def server_error(request):
    """handler500: a bug still answers JSON to API clients (and is logged by Django)."""
    if _is_api(request):
        from django.http import JsonResponse

        return JsonResponse(
            {"error": {"code": "server_error", "message": "Server error."}}, status=500
        )
    from django.views.defaults import server_error as default

    return default(request)


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: too many failed logins for this username and address."""
    message = "Too many failed logins; try again later."
    if _is_api(request):
        response = _json_error("throttled", message, 429)
    else:
        from django.http import HttpResponse

        response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    from django.conf import settings

    cooloff = getattr(settings, "AXES_COOLOFF_TIME", None)
    if cooloff is not None and hasattr(cooloff, "total_seconds"):
        response["Retry-After"] = str(int(cooloff.total_seconds()))
    return response
