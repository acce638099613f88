"""REST API of the account-opening application: create, read, and one POST per regulated step.

Views parse input, call one service, render the application. Permission checks are here (for a clear
403 before any work) and again in the services."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.utils.serializer_helpers import ReturnDict
from rest_framework.views import APIView

from accounts.access import perm_class
from accounts.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from accounts.serializers import ErrorSerializer

from . import selectors, services
from .serializers import (
    ApplicationCreateSerializer,
    ApplicationDetailSerializer,
    ApplicationQuerySerializer,
    ApplicationReviewSerializer,
    ApplicationSerializer,
    DiscloseSerializer,
    DisclosureDocumentSerializer,
    ReasonSerializer,
)

User = get_user_model()
VIEW = "onboarding.view_application"
TAGS = ["applications"]


def _users(ids: list[int], field: str) -> list:
    """Staff users by id; an unknown id is a 400 on that field."""
    from rest_framework.exceptions import ValidationError

    found = {u.pk: u for u in User.objects.filter(pk__in=ids, is_active=True)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationError({field: [f"unknown user id {i}" for i in missing]})
    return [found[i] for i in ids]


def application_body(app_id: int) -> dict:
    app = selectors.application_detail(application_id=app_id)
    app.checklist = selectors.application_checklist(app)
    app.steps = selectors.application_steps(app, documents_complete=all(i.present for i in app.checklist))
    return ReturnDict(APPLICATION_DETAIL.to_representation(app), serializer=APPLICATION_DETAIL)


# Every step answers with the whole application, and DRF builds a serializer's fields (nested ones too) anew
# for each instance: a third of a step's CPU (docs/performance.md, benchmark 3). The serializer keeps no
# per-request state (no context, no request), so one instance per process renders every answer.
APPLICATION_DETAIL = ApplicationDetailSerializer()


class ApplicationListCreateApi(generics.ListAPIView):
    serializer_class = ApplicationSerializer
    permission_classes = [perm_class("onboarding.add_application", safe_perms=(VIEW,))]
    filter_backends = []

    def get_queryset(self):
        query = ApplicationQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.applications(**query.validated_data)

    @extend_schema(
        tags=TAGS, parameters=[ApplicationQuerySerializer], summary="List account-opening applications (paginated)"
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=TAGS,
        summary="Start an account-opening application (finds or registers the client)",
        description=(
            "Counter: `channel=counter`. Witnessed: `witness_id` and `met_by_ids` (or one staff member plus "
            "`witness_by_video`). Online: `certificate`. With an agent: `agent` (an individual's authorisation "
            "must be notarised: upload `notarised_poa` before submitting). Send an `Idempotency-Key` so a "
            "retried request never opens twice."
        ),
        parameters=[IDEMPOTENCY_PARAMETER],
        request=ApplicationCreateSerializer,
        responses={
            201: ApplicationDetailSerializer,
            422: OpenApiResponse(ErrorSerializer, description="Idempotency-Key reused with a different request"),
        },
    )
    @idempotent
    def post(self, request, *args, **kwargs):
        serializer = ApplicationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        witness = _users([data["witness_id"]], "witness_id")[0] if data.get("witness_id") else None
        app = services.application_create(
            actor=request.user,
            channel=data["channel"],
            client=dict(data["client"]),
            agent=dict(data["agent"]) if data.get("agent") else None,
            witness=witness,
            met_by=_users(data.get("met_by_ids") or [], "met_by_ids"),
            witness_by_video=data["witness_by_video"],
            certificate=dict(data["certificate"]) if data.get("certificate") else None,
            bank_code=data["bank_code"],
            bank_account=data["bank_account"],
        )
        return Response(application_body(app.pk), status=status.HTTP_201_CREATED)


class ApplicationDetailApi(APIView):
    permission_classes = [perm_class(VIEW)]

    @extend_schema(
        tags=TAGS,
        responses=ApplicationDetailSerializer,
        summary="Read an application: events, identity checks, document checklist, steps (personal data masked)",
    )
    def get(self, request, application_id: int):
        from django.shortcuts import get_object_or_404

        from .models import Application

        get_object_or_404(Application, pk=application_id)
        return Response(application_body(application_id))


def _action(*, perm: str, summary: str, request_serializer=None, call):
    """A POST endpoint for one step: parse, call the service, answer with the application (Idempotency-Key
    honoured: a retried step replays its first answer instead of a 409 from the state machine)."""

    class _StepApi(APIView):
        permission_classes = [perm_class(perm)]

        @extend_schema(tags=TAGS, summary=summary, request=request_serializer, responses=ApplicationDetailSerializer)
        @idempotent
        def post(self, request, application_id: int):
            from django.shortcuts import get_object_or_404

            from .models import Application

            get_object_or_404(Application, pk=application_id)
            data = {}
            if request_serializer is not None:
                serializer = request_serializer(data=request.data)
                serializer.is_valid(raise_exception=True)
                data = serializer.validated_data
            call(request.user, application_id, data)
            return Response(application_body(application_id))

    return _StepApi


def _disclose(actor, app_id, data):
    educator = _users([data["educator_id"]], "educator_id")[0] if data.get("educator_id") else None
    services.application_disclose(
        actor=actor, application_id=app_id, risk_disclosure_id=data["risk_disclosure_id"],
        agreement_id=data["agreement_id"], educator=educator,
    )  # fmt: skip


CHANGE = "onboarding.change_application"
IdentityCheckApi = _action(
    perm=CHANGE,
    summary="Identity check against the citizen identity system (client and agent); a mismatch rejects",
    call=lambda actor, app_id, data: services.application_identity_verify(actor=actor, application_id=app_id),
)
DiscloseApi = _action(
    perm=CHANGE,
    summary="Record the risk disclosure and agreements the client signed, and who explained them",
    request_serializer=DiscloseSerializer,
    call=_disclose,
)
AssessApi = _action(
    perm=CHANGE,
    summary="Attach the client's valid suitability assessment (POST clients/{id}/assessments/ first)",
    call=lambda actor, app_id, data: services.application_assess(actor=actor, application_id=app_id),
)
SubmitApi = _action(
    perm=CHANGE,
    summary="Submit for review; the client file must hold every required document",
    call=lambda actor, app_id, data: services.application_submit(actor=actor, application_id=app_id),
)
ReviewApi = _action(
    perm="onboarding.review_application",
    summary="Review (资料审核): approve, or reject with a note; never the clerk who entered it",
    request_serializer=ApplicationReviewSerializer,
    call=lambda actor, app_id, data: services.application_review(
        actor=actor, application_id=app_id, approve=data["approve"], note=data["note"]
    ),
)
OpenAccountsApi = _action(
    perm="onboarding.open_accounts",
    summary="Open the fund account, SH/SZ securities accounts (CSDC) and bind the bank; retry after a 503",
    call=lambda actor, app_id, data: services.application_accounts_open(actor=actor, application_id=app_id),
)
WithdrawApi = _action(
    perm=CHANGE,
    summary="Withdraw an open application (the client's wish), with a reason",
    request_serializer=ReasonSerializer,
    call=lambda actor, app_id, data: services.application_close(
        actor=actor, application_id=app_id, withdraw=True, reason=data["reason"]
    ),
)
RejectApi = _action(
    perm=CHANGE,
    summary="Reject an open application (staff decision), with a reason",
    request_serializer=ReasonSerializer,
    call=lambda actor, app_id, data: services.application_close(
        actor=actor, application_id=app_id, withdraw=False, reason=data["reason"]
    ),
)
for _name, _cls in [
    ("IdentityCheckApi", IdentityCheckApi), ("DiscloseApi", DiscloseApi), ("AssessApi", AssessApi),
    ("SubmitApi", SubmitApi), ("ReviewApi", ReviewApi), ("OpenAccountsApi", OpenAccountsApi),
    ("WithdrawApi", WithdrawApi), ("RejectApi", RejectApi),
]:  # fmt: skip
    _cls.__name__ = _cls.__qualname__ = _name


class DisclosureListApi(generics.ListAPIView):
    serializer_class = DisclosureDocumentSerializer
    permission_classes = [perm_class("onboarding.view_disclosuredocument")]
    filter_backends = []
    pagination_class = None

    def get_queryset(self):
        from .models import DisclosureDocument

        return DisclosureDocument.objects.filter(active=True).order_by("kind", "-created_at")

    @extend_schema(tags=TAGS, summary="The current risk disclosure and agreement versions (for disclose/)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
