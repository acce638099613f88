from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AttemptChannel, AttemptOutcome

YES_NO = [("", _("未询问")), ("yes", _("是")), ("no", _("否"))]
_MAP = {"": None, "yes": True, "no": False}


class CallbackAttemptForm(forms.Form):
    channel = forms.ChoiceField(label=_("回访方式"), choices=AttemptChannel.choices)
    outcome = forms.ChoiceField(label=_("回访结果"), choices=AttemptOutcome.choices)
    identity_confirmed = forms.ChoiceField(choices=YES_NO, required=False, widget=forms.RadioSelect)
    agent_confirmed = forms.ChoiceField(choices=YES_NO, required=False, widget=forms.RadioSelect)
    disclosures_understood = forms.ChoiceField(choices=YES_NO, required=False, widget=forms.RadioSelect)
    true_wish = forms.ChoiceField(choices=YES_NO, required=False, widget=forms.RadioSelect)
    password_reminder_given = forms.ChoiceField(choices=YES_NO, required=False, widget=forms.RadioSelect)
    channel_confirmed = forms.ChoiceField(choices=YES_NO, required=False, widget=forms.RadioSelect)
    notes = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    recording_ref = forms.CharField(label=_("录音编号"), required=False, max_length=100)

    def confirmations(self) -> dict:
        return {
            key: _MAP[self.cleaned_data.get(key) or ""]
            for key in (
                "identity_confirmed",
                "agent_confirmed",
                "disclosures_understood",
                "true_wish",
                "password_reminder_given",
                "channel_confirmed",
            )
        }


class ReassignForm(forms.Form):
    agent_id = forms.IntegerField(label=_("回访专员"))
    reason = forms.CharField(label=_("原因"), required=False, max_length=200)
