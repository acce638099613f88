from django.urls import path

from . import views, views_changes

urlpatterns = [
    path("", views.staff_list, name="staff-list"),
    path("changes/", views_changes.change_client_search, name="change-client-search"),
    path("changes/clients/<int:client_id>/", views_changes.change_client, name="change-client"),
    path("changes/queue/", views_changes.change_queue, name="change-queue"),
    path("changes/manual/", views_changes.change_manual, name="change-manual"),
    path("changes/<int:request_id>/", views_changes.change_detail, name="change-detail"),
    path("changes/<int:request_id>/action", views_changes.change_action, name="change-action"),
]
