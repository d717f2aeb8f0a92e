"""Routes of the server-rendered work-queue pages (included at the site root)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views, views_inbox

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
    # manager
    path("dashboard/", views.dashboard, name="dashboard"),
    # everyone
    path("inbox/", views_inbox.inbox, name="inbox"),
    path("inbox/badge/", views_inbox.badge, name="inbox-badge"),
]
