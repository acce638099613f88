from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ClientKind, IdTypeChoices, SyncTarget

BLANK = [("", "—— 不变更 ——")]


class ChangeRequestForm(forms.Form):
    """The clerk's change form: every field blank means "no change"; key and ordinary data are separate."""

    # Ordinary data (普通资料)
    phone = forms.CharField(label=_("手机号码"), required=False, max_length=30)
    email = forms.CharField(label=_("电子邮箱"), required=False, max_length=254)
    address = forms.CharField(label=_("联系地址"), required=False, max_length=200)
    occupation = forms.CharField(label=_("职业"), required=False, max_length=40)
    education = forms.CharField(label=_("学历"), required=False, max_length=40)
    income_band = forms.CharField(label=_("年收入"), required=False, max_length=40)
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
        label=_("同步系统"), required=False, choices=SyncTarget.choices, widget=forms.CheckboxSelectMultiple
    )
    documents = forms.CharField(
        label=_("证明材料（档案文件编号，逗号分隔）"), required=False,
        help_text=_("新证件扫描件；同步中国结算时须有客户签字的《证券账户业务申请表》。"),
    )  # fmt: skip
    note = forms.CharField(label=_("经办说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    client_version = forms.IntegerField(widget=forms.HiddenInput)

    ORDINARY = ["phone", "email", "address", "occupation", "education", "income_band"]
    KEY = ["name", "id_type", "id_number"]
    INSTITUTION_KEY = ["legal_rep_name", "legal_rep_id_type", "legal_rep_id_number"]

    def __init__(self, *args, client=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.client = client
        if client is not None and client.kind != ClientKind.INSTITUTION:
            for name in self.INSTITUTION_KEY:
                del self.fields[name]

    def _bound(self, names):
        return [self[n] for n in names if n in self.fields]

    def ordinary_fields(self):
        return self._bound(self.ORDINARY)

    def key_fields(self):
        return self._bound(self.KEY + self.INSTITUTION_KEY)

    def clean_documents(self) -> list[int]:
        raw = self.cleaned_data.get("documents") or ""
        try:
            return [int(p) for p in raw.replace("，", ",").split(",") if p.strip()]
        except ValueError as exc:
            raise forms.ValidationError(_("请填写档案文件编号（数字），以逗号分隔。")) from exc

    def changes(self) -> dict:
        names = self.ORDINARY + self.KEY + self.INSTITUTION_KEY
        return {n: self.cleaned_data[n] for n in names if n in self.fields and (self.cleaned_data.get(n) or "").strip()}
