"""The floor of benchmark 1: the least a Django (and a DRF) view can do — read one indexed row, return JSON.

Mounted under /bench/ only when BENCH_FLOOR_VIEWS=1 (config/urls.py); never in a normal deployment.
"""

from django.http import JsonResponse
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Client


def _row(client_id: int) -> dict:
    return Client.objects.filter(pk=client_id).values("id", "client_no", "status").first() or {}


def bare_django_view(request, client_id: int) -> JsonResponse:
    return JsonResponse(_row(client_id))


class BareDrfView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get(self, request, client_id: int) -> Response:
        return Response(_row(client_id))
