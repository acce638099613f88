from django.urls import path

from . import views

urlpatterns = [
    path("", views.queue, name="callbacks-queue"),
    path("supervisor/", views.supervisor, name="callbacks-supervisor"),
    path("tasks/<int:task_id>/", views.task_work, name="callbacks-task"),
    path("tasks/<int:task_id>/reassign/", views.task_reassign, name="callbacks-task-reassign"),
    path("clients/<int:client_id>/", views.client_history, name="callbacks-client-history"),
]
