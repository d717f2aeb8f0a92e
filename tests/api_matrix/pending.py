"""API endpoints that landed before their authorization-matrix rows.

Each name here is excused from ``test_every_api_endpoint_has_a_matrix_row`` until its owner
adds a ``rows_<app>.py`` module; remove the name in the same change. A name that no longer
exists as a URL fails ``test_pending_names_are_real_endpoints``, so this list can only shrink.
"""

AWAITING_ROWS = {
    # notifications and the event feed
    "api-events",
    "api-notifications",
    "api-notification-read",
    "api-notification-preferences",
    "api-notifications-unread",
}
