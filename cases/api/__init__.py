"""The HTTP API of API.md: thin DRF views over the services and selectors.

``base`` holds the scope helpers every view uses, ``idempotency`` the retry-safe POST,
``pagination``/``filters`` the list mechanics, ``schema`` the OpenAPI error component; one
module per resource family (``auth``, ``cases``, ``documents``, ``audit``).
"""
