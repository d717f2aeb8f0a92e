"""API endpoints that landed before their authorization-matrix rows.

Each name here is excused from ``test_every_api_endpoint_has_a_matrix_row`` until its owner
adds a ``rows_<app>.py`` module; remove the name in the same change. A name that no longer
exists as a URL fails ``test_pending_names_are_real_endpoints``, so this list can only shrink.
"""

AWAITING_ROWS = {
    # cases (relatives, criminal history) and transfers (placements, movements, invoices)
    "api-care-providers",
    "api-criminal-history",
    "api-placement-request",
    "api-case-relatives",
    "api-subject-relatives",
    "api-contractors",
    "api-contractor-invoices",
    "api-invoice",
    "api-movements",
    "api-movement",
    "api-movement-arrive",
    "api-movement-cancel",
    "api-movement-depart",
    "api-movement-handover",
    "api-placements",
    "api-placement",
    "api-placement-cancel",
    "api-placement-decline",
    "api-placement-designate",
    # notifications and the event feed
    "api-events",
    "api-notifications",
    "api-notification-read",
    "api-notification-preferences",
    "api-notifications-unread",
    # SLA
    "api-sla-breaches",
    "api-sla-clock",
    "api-sla-clock-extend",
    "api-sla-longest-in-custody",
    "api-sla-policies",
}
