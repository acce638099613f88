from django import forms
from django.utils.translation import gettext_lazy as _

from . import ports
from .models import ClientKind, IdTypeChoices, SyncTarget

BLANK = [("", "—— 不变更 ——")]
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
ACCEPT = "application/pdf,image/jpeg,image/png"


def _file(label, help_text=""):
    return forms.FileField(label=label, required=False, help_text=help_text,
                           widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}))  # fmt: skip


class ChangeRequestForm(forms.Form):
    """The clerk's change form: every field blank means "no change"; key and ordinary data are separate."""

    # Ordinary data (普通资料)
    phone = forms.CharField(label=_("手机号码"), required=False, max_length=30)
    email = forms.CharField(label=_("电子邮箱"), required=False, max_length=254)
    address = forms.CharField(label=_("联系地址"), required=False, max_length=200)
    occupation = forms.CharField(label=_("职业"), required=False, max_length=40)
    education = forms.CharField(label=_("学历"), required=False, max_length=40)
    income_band = forms.CharField(label=_("年收入"), required=False, max_length=40)
    # The ID document's validity: ordinary data, but it needs the new ID scan and always syncs to CSDC.
    id_valid_until = forms.DateField(label=_("证件有效期至"), required=False, widget=DATE,
                                     help_text=_("换领新证件（号码不变）时填写；须上传新证件影像，并同步一码通。"))  # fmt: skip
    id_valid_long_term = forms.BooleanField(label=_("证件长期有效"), required=False)
    id_valid_from = forms.DateField(label=_("证件有效期起始日"), required=False, widget=DATE,
                                    help_text=_("用于核对有效期，不保存。"))  # fmt: skip
    # Key data (重要资料, art. 12)
    name = forms.CharField(label=_("姓名/名称"), required=False, max_length=100)
    id_type = forms.ChoiceField(label=_("证件类型"), required=False, choices=BLANK + list(IdTypeChoices.choices))
    id_number = forms.CharField(label=_("证件号码"), required=False, max_length=40)
    legal_rep_name = forms.CharField(label=_("法定代表人"), required=False, max_length=50)
    legal_rep_id_type = forms.ChoiceField(
        label=_("法定代表人证件类型"), required=False, choices=BLANK + list(IdTypeChoices.choices)
    )
    legal_rep_id_number = forms.CharField(label=_("法定代表人证件号码"), required=False, max_length=40)

    sync_targets = forms.MultipleChoiceField(
        label=_("勾选要同步的系统"), required=False, choices=SyncTarget.choices, widget=forms.CheckboxSelectMultiple
    )
    # Supporting documents, filed in the client file with the request (accounts.ports, ADR 0010)
    id_front_file = _file(_("新证件影像（正面）"), _("变更姓名、证件类型或证件号码时必须上传。"))
    id_back_file = _file(_("新证件影像（反面）"), _("仅变更证件有效期时，正面或反面至少一面。"))
    business_licence_file = _file(_("新营业执照影像"), _("变更名称、统一社会信用代码、有效期或法定代表人时必须上传。"))
    legal_rep_id_file = _file(_("新法定代表人身份证件影像"), _("变更法定代表人时必须上传。"))
    application_form_file = _file(
        _("签字的证券账户业务申请表"),
        _("同步一码通（中国结算）时必须上传：客户本人签字，机构加盖公章与法定代表人签章。"),
    )
    other_file = _file(_("其他证明材料（可选）"), _("如代理人授权书等。"))
    documents = forms.CharField(
        label=_("或引用客户档案中已有的文件（编号，逗号分隔）"), required=False,
        help_text=_("文件已在客户档案页上传时填写其编号，无需再次上传。"),
    )  # fmt: skip
    note = forms.CharField(label=_("经办说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    client_version = forms.IntegerField(widget=forms.HiddenInput)

    ORDINARY = ["phone", "email", "address", "occupation", "education", "income_band"]
    KEY = ["name", "id_type", "id_number"]
    INSTITUTION_KEY = ["legal_rep_name", "legal_rep_id_type", "legal_rep_id_number"]
    VALIDITY = ["id_valid_until", "id_valid_long_term", "id_valid_from"]
    # file input → client-file document kind
    FILES = {
        "id_front_file": ports.ID_FRONT,
        "id_back_file": ports.ID_BACK,
        "business_licence_file": ports.BUSINESS_LICENCE,
        "legal_rep_id_file": ports.LEGAL_REP_ID,
        "application_form_file": ports.ACCOUNT_APPLICATION_SIGNED,
        "other_file": ports.OTHER,
    }
    INDIVIDUAL_FILES = ["id_front_file", "id_back_file"]
    INSTITUTION_FILES = ["business_licence_file", "legal_rep_id_file"]

    def __init__(self, *args, client=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.client = client
        institution = client is not None and client.kind == ClientKind.INSTITUTION
        for name in self.INDIVIDUAL_FILES if institution else self.INSTITUTION_KEY + self.INSTITUTION_FILES:
            del self.fields[name]
        if institution:
            self.fields["id_valid_until"].label = _("营业执照有效期至")
            self.fields["id_valid_until"].help_text = _("须上传新营业执照影像，并同步一码通。")
            self.fields["id_valid_long_term"].label = _("营业执照长期有效")
            self.fields["id_valid_from"].label = _("营业执照有效期起始日")

    def _bound(self, names):
        return [self[n] for n in names if n in self.fields]

    def ordinary_fields(self):
        return self._bound(self.ORDINARY)

    def key_fields(self):
        return self._bound(self.KEY + self.INSTITUTION_KEY)

    def validity_fields(self):
        return self._bound(self.VALIDITY)

    def file_fields(self):
        return self._bound(list(self.FILES))

    def uploads(self) -> list[ports.DocumentUpload]:
        """The files handed in, each with its client-file kind (read into memory: at most a few MB each)."""
        found = []
        for name, kind in self.FILES.items():
            upload = self.cleaned_data.get(name) if name in self.fields else None
            if upload:
                found.append(ports.DocumentUpload(kind=kind, filename=upload.name, content=upload.read()))
        return found

    def clean_documents(self) -> list[int]:
        raw = self.cleaned_data.get("documents") or ""
        try:
            return [int(p) for p in raw.replace("，", ",").split(",") if p.strip()]
        except ValueError as exc:
            raise forms.ValidationError(_("请填写档案文件编号（数字），以逗号分隔。")) from exc

    def clean(self):
        data = super().clean()
        if data.get("id_valid_long_term") and data.get("id_valid_until"):
            self.add_error("id_valid_until", _("选择“长期有效”时不填写截止日期。"))
        return data

    def changes(self) -> dict:
        names = self.ORDINARY + self.KEY + self.INSTITUTION_KEY
        found = {
            n: self.cleaned_data[n] for n in names if n in self.fields and (self.cleaned_data.get(n) or "").strip()
        }
        if self.cleaned_data.get("id_valid_long_term"):
            found["id_valid_until"] = "长期"
        elif self.cleaned_data.get("id_valid_until"):
            found["id_valid_until"] = self.cleaned_data["id_valid_until"].isoformat()
        if "id_valid_until" in found and self.cleaned_data.get("id_valid_from"):
            found["id_valid_from"] = self.cleaned_data["id_valid_from"].isoformat()
        return found
