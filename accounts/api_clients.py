"""Client look-up for internal systems and staff: exact ID number through the blind index, and one client
with its accounts. Personal data is masked; revealing it is the logged POST clients/{id}/reveal/."""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers

from . import services
from .access import perm_class
from .crypto import blind_index
from .masking import mask_address, mask_id_number, mask_phone
from .models import Client, IdTypeChoices
from .serializers import ErrorSerializer


class AccountSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["fund", "securities", "depository"])
    account_no = serializers.CharField()
    market = serializers.CharField(allow_blank=True)
    ymt_no = serializers.CharField(allow_blank=True)
    link_status = serializers.CharField(allow_blank=True)
    status = serializers.CharField()
    holder_name = serializers.CharField()
    opened_at = serializers.DateTimeField()
    activated_at = serializers.DateTimeField(allow_null=True)


class ClientSerializer(serializers.ModelSerializer):
    branch = serializers.CharField(source="branch.code")
    id_number_masked = serializers.SerializerMethodField()
    phone_masked = serializers.SerializerMethodField()
    address_masked = serializers.SerializerMethodField()

    class Meta:
        model = Client
        fields = ["id", "client_no", "kind", "status", "branch", "name", "id_type", "id_number_masked",
                  "id_valid_until", "phone_masked", "address_masked", "email", "version", "created_at"]  # fmt: skip

    def get_id_number_masked(self, client) -> str:
        return mask_id_number(client.id_number)

    def get_phone_masked(self, client) -> str:
        return mask_phone(client.phone)

    def get_address_masked(self, client) -> str:
        return mask_address(client.address)


class ClientDetailSerializer(ClientSerializer):
    accounts = serializers.SerializerMethodField()

    class Meta(ClientSerializer.Meta):
        fields = [*ClientSerializer.Meta.fields, "accounts"]

    @extend_schema_field(AccountSerializer(many=True))
    def get_accounts(self, client) -> list[dict]:
        rows = []
        for fund in client.fund_accounts.order_by("pk"):
            rows.append({"kind": "fund", "account_no": fund.account_no, "market": "", "ymt_no": "",
                         "link_status": "", "status": fund.status, "holder_name": fund.holder_name,
                         "opened_at": fund.opened_at, "activated_at": fund.activated_at})  # fmt: skip
        for sec in client.securities_accounts.order_by("market", "pk"):
            rows.append({"kind": "securities", "account_no": sec.account_no, "market": sec.market,
                         "ymt_no": sec.ymt_no, "link_status": sec.link_status, "status": sec.status,
                         "holder_name": sec.holder_name, "opened_at": sec.opened_at,
                         "activated_at": sec.activated_at})  # fmt: skip
        for dep in client.depository_bindings.order_by("pk"):
            rows.append({"kind": "depository", "account_no": dep.bank_reference, "market": dep.bank_code,
                         "ymt_no": "", "link_status": "", "status": dep.status, "holder_name": dep.holder_name,
                         "opened_at": dep.opened_at, "activated_at": dep.activated_at})  # fmt: skip
        return AccountSerializer(rows, many=True).data


class ClientQuerySerializer(serializers.Serializer):
    id_number = serializers.CharField(help_text="Exact ID number or credit code (matched by keyed hash).")
    id_type = serializers.ChoiceField(choices=IdTypeChoices.choices, required=False)


class ClientListApi(generics.ListAPIView):
    serializer_class = ClientSerializer
    permission_classes = [perm_class("accounts.view_client")]
    filter_backends = []

    def get_queryset(self):
        query = ClientQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        number = "".join(query.validated_data["id_number"].split()).upper()
        qs = Client.objects.filter(id_number_index=blind_index(number)).select_related("branch")
        if query.validated_data.get("id_type"):
            qs = qs.filter(id_type=query.validated_data["id_type"])
        return qs.order_by("pk")

    @extend_schema(
        tags=["clients"], parameters=[ClientQuerySerializer], summary="Find clients by exact ID number (masked)"
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ClientDetailApi(generics.RetrieveAPIView):
    serializer_class = ClientDetailSerializer
    permission_classes = [perm_class("accounts.view_client")]
    queryset = Client.objects.select_related("branch")
    lookup_url_kwarg = "client_id"

    @extend_schema(tags=["clients"], summary="Read a client with their accounts and statuses (masked)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["clients"],
        request={"application/json": {"type": "object", "additionalProperties": True}},
        responses={400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
        summary="Always refused: client data changes only through a change request (key data → 403, art. 12)",
    )
    def patch(self, request, *args, **kwargs):
        data = request.data if isinstance(request.data, dict) else {}
        services.client_direct_edit(actor=request.user, client_id=kwargs["client_id"], data=data)
