from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services
from .access import perm_class
from .idempotency import idempotent
from .models import Branch
from .roles import user_roles
from .serializers import BranchSerializer, MeSerializer, PiiRevealRequestSerializer, PiiRevealSerializer


class MeApi(APIView):
    @extend_schema(responses=MeSerializer, summary="The calling user: roles, branch and permissions")
    def get(self, request):
        profile = getattr(request.user, "staff", None)
        data = {
            "username": request.user.username,
            "full_name": profile.full_name if profile else "",
            "branch": profile.branch if profile else None,
            "roles": user_roles(request.user),
            "permissions": sorted(request.user.get_all_permissions()),
        }
        return Response(MeSerializer(data).data)


class BranchListCreateApi(generics.ListCreateAPIView):
    queryset = Branch.objects.order_by("code")
    serializer_class = BranchSerializer
    permission_classes = [perm_class("accounts.add_branch", safe_perms=("accounts.view_branch",))]

    @extend_schema(summary="List branches (营业部)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(summary="Create a branch (administrators)")
    @idempotent
    def post(self, request, *args, **kwargs):
        serializer = BranchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        branch = services.branch_create(actor=request.user, **serializer.validated_data)
        return Response(BranchSerializer(branch).data, status=status.HTTP_201_CREATED)


class ClientPiiRevealApi(APIView):
    """Reveal one masked field of a client; the permission check and the log are in the service.

    The one POST without `@idempotent`, on purpose: a replay would keep the clear value in the idempotency
    table and hand it out again without a reveal log entry. A retried reveal is simply another logged reveal."""

    @extend_schema(
        request=PiiRevealRequestSerializer,
        responses={200: PiiRevealSerializer},
        summary="Reveal a client's ID number, phone or address in clear (logged; accounts.reveal_personal_data)",
    )
    def post(self, request, client_id: int):
        serializer = PiiRevealRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        field = serializer.validated_data["field"]
        value = services.client_pii_reveal(
            actor=request.user,
            client_id=client_id,
            field=field,
            ip=request.META.get("REMOTE_ADDR") or None,
            reason=serializer.validated_data["reason"],
        )
        return Response(PiiRevealSerializer({"field": field, "value": value}).data)
