"""Routes of the server-rendered work-queue pages (included at the site root)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views, views_inbox, views_transfers

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="cases/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="web:login"), name="logout"),
    # agent
    path("station/", views.station_board, name="station-board"),
    path("book/", views.book, name="book"),
    path("book/validate/", views.book_validate, name="book-validate"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/edit/", views.case_edit, name="case-edit"),
    path("cases/<int:pk>/narrative/", views.case_narrative, name="case-narrative"),
    path("cases/<int:pk>/documents/", views.case_document, name="case-document"),
    path("cases/<int:pk>/submit/", views.case_submit, name="case-submit"),
    # ERO officer
    path("review/", views.review_queue, name="review-queue"),
    path("review/<int:pk>/", views.review, name="review"),
    path("review/<int:pk>/accept/", views.review_accept, name="review-accept"),
    path("review/<int:pk>/reject/", views.review_reject, name="review-reject"),
    path(
        "cases/<int:pk>/placement/",
        views_transfers.placement_request,
        name="placement-request",
    ),
    # ORR intake
    path("orr/", views_transfers.orr_queue, name="orr-queue"),
    path("orr/placements/<int:pk>/", views_transfers.orr_placement, name="orr-placement"),
    path(
        "orr/placements/<int:pk>/designate/",
        views_transfers.orr_designate,
        name="orr-designate",
    ),
    path("orr/placements/<int:pk>/decline/", views_transfers.orr_decline, name="orr-decline"),
    # movements
    path("movements/", views_transfers.movement_board, name="movement-board"),
    path("movements/schedule/", views_transfers.movement_schedule, name="movement-schedule"),
    path("movements/<int:pk>/depart/", views_transfers.movement_depart, name="movement-depart"),
    path("movements/<int:pk>/arrive/", views_transfers.movement_arrive, name="movement-arrive"),
    path(
        "movements/<int:pk>/handover/",
        views_transfers.movement_handover,
        name="movement-handover",
    ),
    # manager
    path("dashboard/", views.dashboard, name="dashboard"),
    # everyone
    path("inbox/", views_inbox.inbox, name="inbox"),
    path("inbox/badge/", views_inbox.badge, name="inbox-badge"),
    path("inbox/<int:pk>/read/", views_inbox.mark_read, name="inbox-read"),
]
