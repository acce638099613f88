"""REST API of the tiering stage (SPEC §7): parse, call one service or selector, render."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import perm_class
from accounts.errors import ApplicationError
from accounts.idempotency import idempotent
from accounts.models import Client

from . import selectors, services
from .errors import TieringError
from .models import TierPolicy, TierRecompute
from .serializers import (
    ClientTierDetailSerializer,
    DecisionSerializer,
    DistributionSerializer,
    MetricRowSerializer,
    MetricsImportResultSerializer,
    TierOverrideCreateSerializer,
    TierOverrideSerializer,
    TierPolicyCreateSerializer,
    TierPolicySerializer,
    TierRecomputeSerializer,
    WhatIfSerializer,
)

VIEW = "tiering.view_clienttier"


class ClientTierApi(APIView):
    permission_classes = [perm_class(VIEW)]

    @extend_schema(responses=ClientTierDetailSerializer, summary="A client's tier with entitlements and history")
    def get(self, request, client_id: int):
        get_object_or_404(Client.objects.only("pk"), pk=client_id)
        detail = selectors.client_tier_detail(client_id=client_id)
        return Response(ClientTierDetailSerializer({"client_id": client_id, **detail}).data)


class DistributionApi(APIView):
    permission_classes = [perm_class("tiering.view_tier_dashboard")]

    @extend_schema(
        parameters=[
            OpenApiParameter("dimension", str, description=", ".join(selectors.DIMENSIONS), default="tier"),
            OpenApiParameter("branch", int, required=False),
        ],
        responses=DistributionSerializer,
        summary="Client counts per tier (or per classification dimension), optionally for one branch",
    )
    def get(self, request):
        dimension = request.query_params.get("dimension", "tier")
        if dimension not in selectors.DIMENSIONS:
            dimension = "tier"
        branch = request.query_params.get("branch")
        counts = selectors.dimension_counts(dimension=dimension, branch_id=int(branch) if branch else None)
        return Response(DistributionSerializer({"dimension": dimension, "counts": dict(counts)}).data)


class MetricsImportApi(APIView):
    permission_classes = [perm_class("tiering.add_clientmetric")]

    @extend_schema(
        request=MetricRowSerializer(many=True),
        parameters=[OpenApiParameter("strict", bool, required=False, description="any bad row: load nothing")],
        responses={200: MetricsImportResultSerializer, 400: MetricsImportResultSerializer},
        summary="Bulk import of daily client metrics (JSON list); bad rows are reported by position (1-based)",
    )
    @idempotent
    def post(self, request):
        rows = request.data if isinstance(request.data, list) else []
        strict = request.query_params.get("strict") in ("1", "true", "yes")
        result = services.metrics_import(actor=request.user, rows=rows, strict=strict)
        body = {"loaded": result.loaded, "errors": [{"line": n, "reason": r} for n, r in result.errors]}
        code = status.HTTP_400_BAD_REQUEST if (strict and result.errors) or not isinstance(request.data, list) else 200
        return Response(MetricsImportResultSerializer(body).data, status=code)


class RecomputeApi(APIView):
    permission_classes = [perm_class("tiering.recompute_tiers", safe_perms=("tiering.view_tierrecompute",))]

    @extend_schema(responses=TierRecomputeSerializer(many=True), summary="Latest recompute runs")
    def get(self, request):
        return Response(TierRecomputeSerializer(TierRecompute.objects.all()[:20], many=True).data)

    @extend_schema(request=None, responses={202: TierRecomputeSerializer}, summary="Start a recompute (task)")
    @idempotent
    def post(self, request):
        run = services.tier_recompute_request(actor=request.user)
        return Response(TierRecomputeSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class RecomputeDetailApi(APIView):
    permission_classes = [perm_class("tiering.view_tierrecompute")]

    @extend_schema(responses=TierRecomputeSerializer, summary="A recompute run and its progress")
    def get(self, request, run_id: int):
        return Response(TierRecomputeSerializer(get_object_or_404(TierRecompute, pk=run_id)).data)


class PolicyListApi(APIView):
    permission_classes = [perm_class("tiering.add_tierpolicy", safe_perms=("tiering.view_tierpolicy",))]

    @extend_schema(responses=TierPolicySerializer(many=True), summary="Tier policy versions")
    def get(self, request):
        return Response(TierPolicySerializer(selectors.policies_list(), many=True).data)

    @extend_schema(
        request=TierPolicyCreateSerializer,
        responses={201: TierPolicySerializer},
        summary="Create a draft version (editing a policy always creates a new version)",
    )
    @idempotent
    def post(self, request):
        ser = TierPolicyCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        policy = services.policy_draft_create(
            actor=request.user,
            rules=ser.validated_data["rules"],
            note=ser.validated_data["note"],
            based_on_id=ser.validated_data["based_on"],
        )
        return Response(TierPolicySerializer(policy).data, status=status.HTTP_201_CREATED)


def _policy(policy_id: int) -> TierPolicy:
    policy = selectors.policies_list().filter(pk=policy_id).first()
    if policy is None:
        raise ApplicationError(TieringError.POLICY_NOT_FOUND)
    return policy


class PolicyDetailApi(APIView):
    permission_classes = [perm_class("tiering.view_tierpolicy")]

    @extend_schema(responses=TierPolicySerializer, summary="One tier policy version with its rules")
    def get(self, request, policy_id: int):
        return Response(TierPolicySerializer(_policy(policy_id)).data)


class PolicyProposeApi(APIView):
    permission_classes = [perm_class("tiering.add_tierpolicy")]

    @extend_schema(request=None, responses=TierPolicySerializer, summary="Propose a draft for activation (maker)")
    @idempotent
    def post(self, request, policy_id: int):
        services.policy_propose(actor=request.user, policy_id=policy_id)
        return Response(TierPolicySerializer(_policy(policy_id)).data)


class PolicyApproveApi(APIView):
    permission_classes = [perm_class("tiering.approve_tierpolicy")]

    @extend_schema(
        request=None, responses=TierPolicySerializer, summary="Approve and activate a proposed version (checker)"
    )
    @idempotent
    def post(self, request, policy_id: int):
        services.policy_approve(actor=request.user, policy_id=policy_id)
        return Response(TierPolicySerializer(_policy(policy_id)).data)


class PolicyWhatIfApi(APIView):
    permission_classes = [perm_class("tiering.view_tier_dashboard")]

    @extend_schema(request=None, responses=WhatIfSerializer, summary="What-if: run a policy without writing tiers")
    @idempotent
    def post(self, request, policy_id: int):
        return Response(WhatIfSerializer(services.policy_what_if(actor=request.user, policy_id=policy_id)).data)


class ClientOverrideApi(APIView):
    permission_classes = [perm_class("tiering.add_tieroverride")]

    @extend_schema(
        request=TierOverrideCreateSerializer,
        responses={201: TierOverrideSerializer},
        summary="Request a manual tier for a client (needs a second person's approval)",
    )
    @idempotent
    def post(self, request, client_id: int):
        ser = TierOverrideCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        override = services.tier_override_request(actor=request.user, client_id=client_id, **ser.validated_data)
        return Response(TierOverrideSerializer(override).data, status=status.HTTP_201_CREATED)


class OverrideDecideApi(APIView):
    permission_classes = [perm_class("tiering.approve_tieroverride")]

    @extend_schema(
        request=DecisionSerializer, responses=TierOverrideSerializer, summary="Approve or reject an override"
    )
    @idempotent
    def post(self, request, override_id: int):
        ser = DecisionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        override = services.tier_override_decide(
            actor=request.user, override_id=override_id, approve=ser.validated_data["approve"]
        )
        return Response(TierOverrideSerializer(override).data)
