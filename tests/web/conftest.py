"""Fixtures of the page tests: a logged-in Django test client per role."""

from __future__ import annotations

import pytest
from django.test import Client

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture
def login():
    """``login(user)`` → a test client with that user's session."""

    def make(user, **kwargs) -> Client:
        client = Client(**kwargs)
        client.force_login(user, backend=MODEL_BACKEND)
        return client

    return make
