from django.urls import path

from . import api

urlpatterns = [
    path("callbacks/tasks/", api.CallbackTaskListApi.as_view(), name="api-callback-tasks"),
    path("callbacks/tasks/<int:task_id>/", api.CallbackTaskDetailApi.as_view(), name="api-callback-task"),
    path(
        "callbacks/tasks/<int:task_id>/attempts/",
        api.CallbackAttemptRecordApi.as_view(),
        name="api-callback-attempt-record",
    ),
]
