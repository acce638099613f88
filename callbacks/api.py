from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import perm_class
from accounts.idempotency import idempotent

from . import selectors, services
from .models import CONFIRMATION_FIELDS, CallbackTask
from .serializers import (
    CallbackAttemptRecordSerializer,
    CallbackAttemptResultSerializer,
    CallbackTaskDetailSerializer,
    CallbackTaskSerializer,
)

_VIEW = "callbacks.view_callbacktask"


class CallbackTaskListApi(generics.ListAPIView):
    serializer_class = CallbackTaskSerializer
    permission_classes = [perm_class(_VIEW)]

    def get_queryset(self):
        params = self.request.query_params
        qs = selectors.callback_tasks(open_only=params.get("open") in ("1", "true"))
        if params.get("mine") in ("1", "true"):
            qs = qs.filter(assigned_to=self.request.user)
        if params.get("status"):
            qs = qs.filter(status=params["status"])
        if params.get("client"):
            qs = qs.filter(client_id=params["client"])
        return qs

    @extend_schema(
        summary="List callback tasks (回访任务)",
        parameters=[
            OpenApiParameter("open", OpenApiTypes.BOOL, description="only open tasks"),
            OpenApiParameter("mine", OpenApiTypes.BOOL, description="only tasks assigned to the caller"),
            OpenApiParameter("status", OpenApiTypes.STR, description="pending, in_progress, passed, failed, …"),
            OpenApiParameter("client", OpenApiTypes.INT, description="a client id"),
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class CallbackTaskDetailApi(generics.RetrieveAPIView):
    serializer_class = CallbackTaskDetailSerializer
    permission_classes = [perm_class(_VIEW)]
    lookup_url_kwarg = "task_id"

    def get_queryset(self):
        return CallbackTask.objects.select_related("client", "assigned_to").prefetch_related("attempts__agent")

    @extend_schema(summary="Read one callback task with its attempts")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class CallbackAttemptRecordApi(APIView):
    permission_classes = [perm_class("callbacks.add_callbackattempt")]

    @extend_schema(
        request=CallbackAttemptRecordSerializer,
        responses={201: CallbackAttemptResultSerializer},
        summary="Record a callback attempt: all five confirmations → passed and the accounts are activated "
        "(once; a concurrent second pass gets 409 task_done); any denied → failed; not reached → next attempt",
    )
    @idempotent
    def post(self, request, task_id: int):
        get_object_or_404(CallbackTask, pk=task_id)
        serializer = CallbackAttemptRecordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        attempt = services.callback_attempt_record(
            actor=request.user,
            task_id=task_id,
            channel=data["channel"],
            outcome=data["outcome"],
            confirmations={key: data.get(key) for key in CONFIRMATION_FIELDS},
            notes=data["notes"],
            recording_ref=data["recording_ref"],
            started_at=data.get("started_at"),
        )
        task = CallbackTask.objects.select_related("client", "assigned_to").get(pk=task_id)
        body = CallbackAttemptResultSerializer({"attempt": attempt, "task": task}).data
        return Response(body, status=status.HTTP_201_CREATED)
