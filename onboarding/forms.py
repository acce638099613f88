"""Forms of the opening wizard. They only parse input; the rules are in onboarding.services."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from accounts.models import ClientKind, IdTypeChoices
from accounts.roles import Role

from .models import AgentRelationship, ApplicationStatus, Channel, DisclosureKind

User = get_user_model()

BANKS = [
    ("ICBC", _("中国工商银行")),
    ("CCB", _("中国建设银行")),
    ("ABC", _("中国农业银行")),
    ("BOC", _("中国银行")),
    ("BOCOM", _("交通银行")),
    ("CMB", _("招商银行")),
]
AGENT_RELATIONSHIPS = AgentRelationship.choices
ID_TYPES = [("", "———"), *IdTypeChoices.choices]
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user) -> str:
        profile = getattr(user, "staff", None)
        return f"{profile.full_name}（{profile.employee_no}）" if profile else user.username


class StaffMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user) -> str:
        profile = getattr(user, "staff", None)
        return f"{profile.full_name}（{profile.employee_no}）" if profile else user.username


def _staff():
    return User.objects.filter(is_active=True, staff__isnull=False).select_related("staff").order_by("staff__full_name")


class ApplicationForm(forms.Form):
    channel = forms.ChoiceField(label=_("开户方式"), choices=Channel.choices, initial=Channel.COUNTER,
                                widget=forms.RadioSelect)  # fmt: skip
    # Client
    kind = forms.ChoiceField(label=_("客户类型"), choices=ClientKind.choices, initial=ClientKind.INDIVIDUAL)
    name = forms.CharField(label=_("客户姓名/机构名称"), max_length=100)
    id_type = forms.ChoiceField(label=_("证件类型"), choices=IdTypeChoices.choices, initial=IdTypeChoices.RESIDENT_ID)
    id_number = forms.CharField(
        label=_("证件号码"), max_length=40, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    id_valid_until = forms.DateField(
        label=_("证件有效期至"), required=False, widget=DATE, help_text=_("长期有效可不填")
    )
    phone = forms.CharField(label=_("手机号码"), max_length=30, required=False)
    email = forms.EmailField(label=_("电子邮箱"), required=False)
    address = forms.CharField(label=_("联系地址"), max_length=200, required=False)
    occupation = forms.CharField(label=_("职业"), max_length=40, required=False)
    legal_rep_name = forms.CharField(label=_("法定代表人（机构）"), max_length=50, required=False)
    legal_rep_id_type = forms.ChoiceField(label=_("法定代表人证件类型"), choices=ID_TYPES, required=False)
    legal_rep_id_number = forms.CharField(label=_("法定代表人证件号码"), max_length=40, required=False)
    # Agent (art. 6)
    has_agent = forms.BooleanField(label=_("由代理人/经办人办理"), required=False)
    agent_name = forms.CharField(label=_("代理人姓名"), max_length=50, required=False)
    agent_id_type = forms.ChoiceField(label=_("代理人证件类型"), choices=ID_TYPES, required=False)
    agent_id_number = forms.CharField(label=_("代理人证件号码"), max_length=40, required=False)
    agent_relationship = forms.ChoiceField(label=_("代理关系"), choices=AGENT_RELATIONSHIPS, required=False)
    # Witnessed (art. 17)
    witness = StaffChoiceField(label=_("见证人员"), queryset=User.objects.none(), required=False)
    met_by = StaffMultipleChoiceField(label=_("面见客户的员工"), queryset=User.objects.none(), required=False,
                                      widget=forms.CheckboxSelectMultiple)  # fmt: skip
    witness_by_video = forms.BooleanField(label=_("见证人员通过实时视频见证"), required=False)
    # Online: digital certificate
    cert_serial = forms.CharField(label=_("数字证书序列号"), max_length=64, required=False)
    cert_issuer = forms.CharField(label=_("证书颁发机构"), max_length=200, required=False)
    cert_valid_from = forms.DateTimeField(label=_("证书生效时间"), required=False, widget=DATETIME)
    cert_valid_to = forms.DateTimeField(label=_("证书失效时间"), required=False, widget=DATETIME)
    # Depository bank
    bank_code = forms.ChoiceField(label=_("存管银行"), choices=BANKS)
    bank_account = forms.CharField(label=_("银行账号"), max_length=40)

    CLIENT_FIELDS = ["kind", "name", "id_type", "id_number", "id_valid_until", "phone", "email", "address",
                     "occupation", "legal_rep_name", "legal_rep_id_type", "legal_rep_id_number"]  # fmt: skip
    AGENT_FIELDS = ["has_agent", "agent_name", "agent_id_type", "agent_id_number", "agent_relationship"]
    WITNESS_FIELDS = ["witness", "met_by", "witness_by_video"]
    CERT_FIELDS = ["cert_serial", "cert_issuer", "cert_valid_from", "cert_valid_to"]
    BANK_FIELDS = ["bank_code", "bank_account"]
    # Service error fields → form fields
    FIELD_ALIASES = {"agent": "agent_name", "documents": None}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["witness"].queryset = _staff().filter(groups__name=Role.WITNESS)
        self.fields["met_by"].queryset = _staff()

    def group(self, names):
        return [self[name] for name in names]

    def client_fields(self):
        return self.group(self.CLIENT_FIELDS)

    def agent_fields(self):
        return self.group(self.AGENT_FIELDS)

    def witness_fields(self):
        return self.group(self.WITNESS_FIELDS)

    def cert_fields(self):
        return self.group(self.CERT_FIELDS)

    def bank_fields(self):
        return self.group(self.BANK_FIELDS)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        client = {name: data[name] for name in self.CLIENT_FIELDS if data.get(name) not in (None, "")}
        agent = None
        if data["has_agent"]:
            agent = {"name": data["agent_name"], "id_type": data["agent_id_type"],
                     "id_number": data["agent_id_number"], "relationship": data["agent_relationship"]}  # fmt: skip
        certificate = {name: data[name] for name in self.CERT_FIELDS} if data["channel"] == Channel.ONLINE else None
        return {
            "channel": data["channel"],
            "client": client,
            "agent": agent,
            "witness": data["witness"],
            "met_by": list(data["met_by"]),
            "witness_by_video": data["witness_by_video"],
            "certificate": certificate,
            "bank_code": data["bank_code"],
            "bank_account": data["bank_account"],
        }


class DiscloseForm(forms.Form):
    risk_disclosure = forms.ModelChoiceField(label=_("风险揭示书版本"), queryset=None, empty_label=None)
    agreement = forms.ModelChoiceField(label=_("开户协议版本"), queryset=None, empty_label=None)
    educator = StaffChoiceField(label=_("讲解人员"), queryset=User.objects.none(), empty_label=None)

    def __init__(self, *args, user=None, **kwargs):
        from .models import DisclosureDocument

        super().__init__(*args, **kwargs)
        current = DisclosureDocument.objects.filter(active=True).order_by("-created_at", "-pk")
        self.fields["risk_disclosure"].queryset = current.filter(kind=DisclosureKind.RISK_DISCLOSURE)
        self.fields["agreement"].queryset = current.filter(kind=DisclosureKind.AGREEMENT)
        self.fields["educator"].queryset = _staff()
        if user is not None and not self.is_bound:
            self.initial["educator"] = user.pk


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label=_("复核结论"), choices=[("approve", _("通过")), ("reject", _("驳回"))],
                                 widget=forms.RadioSelect)  # fmt: skip
    note = forms.CharField(label=_("复核意见"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("驳回时必填"))  # fmt: skip


class CloseForm(forms.Form):
    reason = forms.CharField(label=_("原因"), widget=forms.Textarea(attrs={"rows": 2}), max_length=500)


class ApplicationFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), choices=[("", _("全部")), *ApplicationStatus.choices], required=False)
    channel = forms.ChoiceField(label=_("开户方式"), choices=[("", _("全部")), *Channel.choices], required=False)
    branch = forms.CharField(label=_("营业部代码"), required=False, max_length=16)
    created_from = forms.DateField(label=_("创建日期起"), required=False, widget=DATE)
    created_to = forms.DateField(label=_("创建日期止"), required=False, widget=DATE)
    mine = forms.BooleanField(label=_("仅看我经办的"), required=False)
