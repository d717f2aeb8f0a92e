"""``Idempotency-Key`` on POST: a retry after a timeout gets the first answer, not a second
booking or a second submission.

* Same user, same key, same request (method, path and body): the stored status and body are
  answered again with ``Idempotent-Replayed: true``; nothing runs.
* Same key with another request: 422 ``rule_violation`` (``idempotency_key_reused``).
* Two identical requests at once: the key row is inserted in the same transaction as the
  action, so the unique constraint makes the second wait for the first and then replay it.
* Only successful (2xx) answers are stored: a refused request changed nothing, so running it
  again is safe and answers from the current state.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from rest_framework.response import Response

from ..exceptions import InvalidInput, RuleViolation, Violation
from ..models import IdempotencyKey

HEADER = "Idempotency-Key"
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


class _Refused(Exception):
    """Carries a non-2xx answer out of the transaction so that the key row rolls back."""

    def __init__(self, response):
        super().__init__()
        self.response = response


def _canonical(value):
    if hasattr(value, "chunks") and hasattr(value, "seek"):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file_sha256": digest.hexdigest(), "name": getattr(value, "name", "")}
    if hasattr(value, "lists"):  # QueryDict / MultiValueDict
        return {k: [_canonical(v) for v in vs] for k, vs in value.lists()}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def fingerprint(request) -> str:
    body = json.dumps(_canonical(request.data), sort_keys=True, cls=DjangoJSONEncoder)
    raw = "\n".join([request.method, request.get_full_path(), body])
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def _replay(stored: IdempotencyKey, print_: str) -> Response:
    if stored.fingerprint != print_:
        raise RuleViolation(
            [
                Violation(
                    "idempotency_key_reused",
                    "This Idempotency-Key was already used for a different request; "
                    "use a new key for a new request.",
                    field=HEADER,
                )
            ]
        )
    response = Response(stored.response_body, status=stored.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(view_method):
    """Decorate a view's ``post``: honour the ``Idempotency-Key`` header for the caller."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        user = request.user
        if key is None or not getattr(user, "is_authenticated", False):
            return view_method(self, request, *args, **kwargs)
        if not _VALID_KEY.match(key):
            raise InvalidInput({HEADER: ["1 to 255 visible ASCII characters."]})
        print_ = fingerprint(request)
        stored = IdempotencyKey.objects.filter(user=user, key=key).first()
        if stored is not None:
            return _replay(stored, print_)
        try:
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        record = IdempotencyKey.objects.create(
                            user=user,
                            key=key,
                            method=request.method,
                            path=request.get_full_path()[:500],
                            fingerprint=print_,
                            status_code=0,
                        )
                except IntegrityError:
                    record = None
                if record is None:
                    # A concurrent twin committed first (PostgreSQL made us wait for it).
                    stored = IdempotencyKey.objects.get(user=user, key=key)
                    return _replay(stored, print_)
                response = view_method(self, request, *args, **kwargs)
                if not 200 <= response.status_code < 300:
                    raise _Refused(response)
                record.status_code = response.status_code
                record.response_body = json.loads(json.dumps(response.data, cls=DjangoJSONEncoder))
                record.save(update_fields=["status_code", "response_body"])
                return response
        except _Refused as refused:
            return refused.response

    return wrapper
