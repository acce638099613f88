from django import forms
from django.utils.translation import gettext_lazy as _

from .checklist import Channel
from .models import DocumentKind

# Kinds a person may upload; generated summaries come only from the system.
UPLOADABLE_KINDS = [(k, label) for k, label in DocumentKind.choices if k != DocumentKind.DOSSIER_SUMMARY]


class DocumentUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("文件类型"), choices=[("", "———")] + UPLOADABLE_KINDS)
    file = forms.FileField(label=_("文件"), help_text=_("PDF、JPEG 或 PNG（按文件内容判断，而非文件名）。"))


class ChecklistForm(forms.Form):
    channel = forms.ChoiceField(label=_("开户方式"), choices=Channel.choices, required=False)
    agent = forms.BooleanField(label=_("代理人办理"), required=False)
