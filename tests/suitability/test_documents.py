"""The result PDF of an assessment and the special written warning of a confirmed mismatch, filed in the
client's file after commit (suitability/tasks.py) through archive.services.document_generate."""

import subprocess
from pathlib import Path

import pytest

from archive.models import Document, DocumentSource
from archive.services import document_rerender, document_verify
from suitability.models import Assessment, MismatchConfirmation
from suitability.services import assessment_submit, mismatch_confirm, product_match
from suitability.tasks import assessment_result_generate_task, mismatch_warning_generate_task

from .conftest import answers_for, current

pytestmark = pytest.mark.django_db
SAMPLES = Path(__file__).resolve().parent.parent.parent / "var" / "pdf-samples"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _text(content: bytes, tmp_path, name: str) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _sample_png(content: bytes, name: str) -> None:
    """Keep a PNG of the first page under var/pdf-samples for a person to look at."""
    SAMPLES.mkdir(parents=True, exist_ok=True)
    for old in SAMPLES.glob(f"{name}-*.png"):
        old.unlink()
    (SAMPLES / f"{name}.pdf").write_bytes(content)
    subprocess.run(["pdftoppm", "-png", "-r", "70", str(SAMPLES / f"{name}.pdf"), str(SAMPLES / name)], check=True)


def _submit(clerk, client, **kwargs) -> Assessment:
    return assessment_submit(
        actor=clerk, client=client, questionnaire_id=current().pk, answers=answers_for(current(), **kwargs)
    )


def test_submitting_sends_the_result_pdf_after_commit_only(clerk, make_client, django_capture_on_commit_callbacks):
    client = make_client()
    with django_capture_on_commit_callbacks() as callbacks:
        assessment = _submit(clerk, client, total=60)
    assert len(callbacks) == 1  # sent once the assessment is committed, not before
    assert not Document.objects.filter(client=client).exists()

    with django_capture_on_commit_callbacks(execute=False) as rolled_back:
        try:
            from django.db import transaction

            with transaction.atomic():
                _submit(clerk, client, total=30)
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
    assert rolled_back == []  # a rolled-back assessment sends nothing
    assert Assessment.objects.filter(client=client).get() == assessment


@pytest.mark.pdftools
def test_the_result_pdf_shows_answers_level_and_signature_line_in_chinese(clerk, make_client, tmp_path):
    client = make_client(age=40)
    assessment = _submit(clerk, client, total=60, horizon="medium", varieties=("fund", "equity"))

    document_id = assessment_result_generate_task(assessment.pk)  # what the worker runs

    document = Document.objects.get(pk=document_id)
    assert (document.client, document.kind, document.source) == (
        client,
        "questionnaire_result",
        DocumentSource.GENERATED,
    )
    assert document.related == assessment
    assert document.stored_by == clerk
    assert document.render_template == "suitability/pdf/assessment_result.html"
    assert document_verify(document)
    content = document_rerender(document)
    text = _text(content, tmp_path, "result")
    for expected in (
        "投资者风险承受能力评估结果确认书",
        client.client_no,
        "李四",
        "C4 积极型",
        "60 分",
        "中期（1-5年）",
        "权益类",
        "公募基金",
        assessment.valid_until.isoformat(),
        "IND-RISK 第 1 版",
        "客户签名",
        "经办人签名",
    ):
        assert expected in text, expected
    first = current().questions.order_by("order").first()
    chosen = first.options.get(code=assessment.answers[first.code][0])
    assert first.text_zh[:8] in text and chosen.text_zh in text
    assert client.id_number not in text  # masked on paper as on screen
    _sample_png(content, "assessment_result")


@pytest.mark.pdftools
def test_the_lowest_category_and_its_reasons_are_on_the_result(clerk, make_client, tmp_path):
    assessment = _submit(clerk, make_client(age=16), total=70)
    document = Document.objects.get(pk=assessment_result_generate_task(assessment.pk))
    text = _text(document_rerender(document), tmp_path, "lowest")
    assert "C1 保守型" in text
    assert "只能购买 R1 级产品" in text
    assert "客户未满18周岁，不具有完全民事行为能力。" in text


def test_generating_twice_files_one_document(clerk, make_client):
    assessment = _submit(clerk, make_client(), total=45)
    first = assessment_result_generate_task(assessment.pk)
    second = assessment_result_generate_task(assessment.pk)
    assert first == second
    assert Document.objects.filter(kind="questionnaire_result").count() == 1


def _confirmed_mismatch(clerk, client) -> MismatchConfirmation:
    _submit(clerk, client, total=30, horizon="short", varieties=("fixed_income",))
    decision = product_match(
        client=client, product_attrs={"code": "PX01", "name": "成长精选混合", "risk": "R4", "horizon": "medium",
                                      "variety": "fund"}, actor=clerk,
    )  # fmt: skip
    return mismatch_confirm(actor=clerk, decision_id=decision.pk, channel="counter")


def test_confirming_a_mismatch_sends_the_warning_after_commit(clerk, make_client, django_capture_on_commit_callbacks):
    client = make_client()
    _submit(clerk, client, total=30)
    decision = product_match(client=client, product_attrs={"risk": "R4", "horizon": "short", "variety": "fund"})
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        confirmation = mismatch_confirm(actor=clerk, decision_id=decision.pk, channel="counter")
    # Executed here only to count it: the task itself is exercised below.
    assert len(callbacks) == 1
    assert confirmation.pk


@pytest.mark.pdftools
def test_the_warning_pdf_keeps_product_mismatches_warning_and_confirmation(clerk, make_client, tmp_path):
    client = make_client(age=75)
    confirmation = _confirmed_mismatch(clerk, client)

    document = Document.objects.get(pk=mismatch_warning_generate_task(confirmation.pk))

    assert (document.kind, document.related, document.stored_by) == ("suitability_warning", confirmation, clerk)
    assert mismatch_warning_generate_task(confirmation.pk) == document.pk  # idempotent
    content = document_rerender(document)
    text = _text(content, tmp_path, "warning")
    for expected in (
        "特别风险警示书",
        "PX01 成长精选混合",
        "风险等级 R4 中高风险",
        "风险等级",
        "产品风险等级R4高于客户风险承受能力等级C2。",
        "投资期限",
        "投资品种",
        "高龄客户特别提示",
        "客户已满70周岁",
        "柜台现场",
        f"({clerk.username})".replace("(", "（").replace(")", "）"),
        "客户签名",
    ):
        assert expected in text, expected
    assert document.render_data["warnings"] == ["须向客户出具特别风险警示书，经客户书面确认后方可销售。"]
    assert "第1页/共1页" in text.replace(" ", "")  # warning, confirmation and signatures on one sheet
    assert document.render_data["confirmation"]["at"].startswith(f"{confirmation.confirmed_at.year}")
    _sample_png(content, "mismatch_warning")


@pytest.mark.pdftools
def test_a_younger_client_gets_no_enhanced_care_section(clerk, make_client, tmp_path):
    confirmation = _confirmed_mismatch(clerk, make_client(age=40))
    document = Document.objects.get(pk=mismatch_warning_generate_task(confirmation.pk))
    text = _text(document_rerender(document), tmp_path, "young")
    assert "高龄客户特别提示" not in text
    assert "特别风险警示" in text


def test_a_lost_task_is_resent_by_the_sweeper(clerk, make_client, monkeypatch):
    import datetime

    from django.utils import timezone

    from suitability import services, tasks

    sent = []
    monkeypatch.setattr(tasks.assessment_result_generate_task, "delay", sent.append)
    monkeypatch.setattr(tasks.mismatch_warning_generate_task, "delay", sent.append)
    filed = _submit(clerk, make_client(), total=40)
    assessment_result_generate_task(filed.pk)
    lost = _submit(clerk, make_client(), total=50)

    count = services.suitability_documents_resend(older_than=timezone.now() + datetime.timedelta(minutes=1))

    assert (count, sent) == (1, [lost.pk])


def test_an_internal_system_that_submits_answers_files_the_result_too(make_staff, make_client):
    from accounts.roles import Role

    system = make_staff(Role.API_CLIENT)
    assessment = assessment_submit(
        actor=system, client=make_client(), questionnaire_id=current().pk, answers=answers_for(current(), total=45)
    )
    document = Document.objects.get(pk=assessment_result_generate_task(assessment.pk))
    assert (document.kind, document.stored_by) == ("questionnaire_result", system)
