"""Client data changes (SPEC §4): entry, validation, review, the CSDC workflow run in-process, slips,
callbacks, API and the refusal of direct edits. The workflow in a real Celery worker: test_changes_worker.py."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.db import connection

from accounts import services as svc
from accounts.crypto import blind_index
from accounts.errors import ApplicationError
from accounts.models import ChangeEvent, ChangeRequest, ChangeStatus, Client, CsdcSimAccount, IdentitySimRecord
from accounts.roles import Role
from tests.accounts.changes_support import (
    CSDC_DOCUMENTS,
    INSTITUTION_KEY_DOCUMENTS,
    KEY_DOCUMENTS,
    client_with_accounts,
    filed,
    holders,
    institution_with_accounts,
    resident_id,
    uploads,
)

pytestmark = pytest.mark.django_db
SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "var" / "screenshots"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def person(clerk):
    return client_with_accounts(clerk)


def _key_change(clerk, client, number: str | None = None, **extra):
    return svc.change_request_create(
        actor=clerk, client_id=client.pk, client_version=client.version,
        changes={"name": "张三丰", "id_number": number or resident_id(900), **extra}, uploads=uploads(*KEY_DOCUMENTS),
    )  # fmt: skip


def _error(call) -> ApplicationError:
    with pytest.raises(ApplicationError) as excinfo:
        call()
    return excinfo.value


# --- ordinary data -----------------------------------------------------------------------------------


def test_an_ordinary_change_without_csdc_sync_applies_on_approval(clerk, reviewer, person):
    req = svc.change_request_create(actor=clerk, client_id=person.pk, client_version=0,
                                    changes={"phone": "139 1234 5678", "occupation": "工程师"})  # fmt: skip
    assert req.kind == "ordinary" and req.status == ChangeStatus.SUBMITTED
    assert req.old_values == {"phone": "+8613800138000", "occupation": ""}
    assert Client.objects.get(pk=person.pk).phone == "+8613800138000"  # nothing applied before review

    svc.change_request_review(actor=reviewer, request_id=req.pk, approve=True)

    req.refresh_from_db()
    client = Client.objects.get(pk=person.pk)
    assert req.status == ChangeStatus.APPLIED and req.reviewed_by == reviewer
    assert (client.phone, client.phone_index, client.occupation) == (
        "+8613912345678",
        blind_index("+8613912345678"),
        "工程师",
    )
    assert client.version == 1 and client.data_changed_at is not None
    assert list(req.events.values_list("action", flat=True)) == ["submitted", "approved", "applied"]
    last = client.history.first()
    assert last.history_user == reviewer and last.history_change_reason == f"资料变更申请 #{req.pk} 生效"


def test_the_values_are_validated_as_at_opening(clerk, person):
    create = lambda **changes: svc.change_request_create(actor=clerk, client_id=person.pk, client_version=0,  # noqa: E731
                                                          changes=changes)  # fmt: skip
    assert _error(lambda: create(phone="12345")).code == "phone_invalid"
    assert _error(lambda: create(email="not-an-email")).code == "email_invalid"
    assert _error(lambda: create(id_number="110105198001010010")).code == "id_invalid"  # bad check digit
    assert _error(lambda: create(phone="13800138000")).code == "no_change"
    assert _error(lambda: create(legal_rep_name="某人")).code == "field_unknown"  # not an institution
    assert _error(lambda: create(name="")).code == "value_required"
    assert not ChangeRequest.objects.exists()


def test_a_new_id_of_another_client_is_refused(clerk, person):
    other = client_with_accounts(clerk, seq=2)
    error = _error(lambda: _key_change(clerk, person, number=other.id_number))
    assert error.code == "id_taken" and error.status == 409 and other.client_no in error.message


def test_key_data_needs_a_passed_identity_check(clerk, person):
    new = resident_id(901)
    IdentitySimRecord.objects.create(id_index=blind_index(new), registered_name="李四")
    error = _error(lambda: _key_change(clerk, person, number=new))
    assert error.code == "identity_not_verified" and "第十二条" in error.rule_in("zh-hans")


def test_a_request_made_on_stale_data_is_refused(clerk, reviewer, person):
    first = svc.change_request_create(actor=clerk, client_id=person.pk, client_version=0, changes={"email": "a@b.cn"})
    svc.change_request_review(actor=reviewer, request_id=first.pk, approve=True)
    error = _error(lambda: svc.change_request_create(actor=clerk, client_id=person.pk, client_version=0,
                                                     changes={"occupation": "教师"}))  # fmt: skip
    assert error.code == "client_changed" and error.status == 409


def test_one_unfinished_request_per_client(clerk, person):
    first = svc.change_request_create(actor=clerk, client_id=person.pk, client_version=0, changes={"email": "a@b.cn"})
    error = _error(lambda: svc.change_request_create(actor=clerk, client_id=person.pk, client_version=0,
                                                     changes={"occupation": "教师"}))  # fmt: skip
    assert error.code == "open_request_exists" and str(first.pk) in error.message


# --- review --------------------------------------------------------------------------------------------


def test_the_clerk_cannot_review_their_own_request(make_staff, person):
    both = make_staff(Role.CLERK, Role.REVIEWER)
    req = svc.change_request_create(actor=both, client_id=person.pk, client_version=0, changes={"email": "a@b.cn"})
    error = _error(lambda: svc.change_request_review(actor=both, request_id=req.pk, approve=True))
    assert error.code == "maker_checker" and error.status == 403
    assert ChangeRequest.objects.get(pk=req.pk).status == ChangeStatus.SUBMITTED


def test_a_rejection_needs_a_reason_and_changes_nothing(clerk, reviewer, person):
    req = svc.change_request_create(actor=clerk, client_id=person.pk, client_version=0, changes={"email": "a@b.cn"})
    assert _error(lambda: svc.change_request_review(actor=reviewer, request_id=req.pk, approve=False)).code == (
        "reason_required"
    )
    svc.change_request_review(actor=reviewer, request_id=req.pk, approve=False, reason="材料不全")
    req.refresh_from_db()
    assert req.status == ChangeStatus.REJECTED and req.review_reason == "材料不全"
    assert Client.objects.get(pk=person.pk).email == "" and Client.objects.get(pk=person.pk).version == 0
    error = _error(lambda: svc.change_request_review(actor=reviewer, request_id=req.pk, approve=True))
    assert error.code == "already_reviewed" and error.status == 409


def test_a_clerk_may_not_review(clerk, make_staff, person):
    other_clerk = make_staff(Role.CLERK)
    req = svc.change_request_create(actor=clerk, client_id=person.pk, client_version=0, changes={"email": "a@b.cn"})
    assert _error(lambda: svc.change_request_review(actor=other_clerk, request_id=req.pk, approve=True)).code == (
        "permission_denied"
    )


# --- the CSDC workflow, in-process ---------------------------------------------------------------------


def _approved_key_change(clerk, reviewer, client, **kw):
    req = _key_change(clerk, client, **kw)
    svc.change_request_review(actor=reviewer, request_id=req.pk, approve=True)
    req.refresh_from_db()
    assert req.status == ChangeStatus.APPROVED and req.sync_targets == ["csdc"]
    return req


def test_a_key_change_reaches_csdc_the_client_and_every_account(clerk, reviewer, person):
    new = resident_id(900)
    req = _approved_key_change(clerk, reviewer, person)

    assert svc.change_request_sync(request_id=req.pk) == ChangeStatus.APPLIED

    client = Client.objects.get(pk=person.pk)
    assert (client.name, client.id_number, client.id_number_index) == ("张三丰", new, blind_index(new))
    assert holders(client) == {("张三丰", "resident_id", blind_index(new))}
    svc.accounts_consistency_check(client)  # art. 9 still holds
    sim = CsdcSimAccount.objects.get(ymt_no=ChangeRequest.objects.get(pk=req.pk).ymt_no)
    assert (sim.name, sim.id_index, sim.applied_requests) == ("张三丰", blind_index(new), [req.csdc_ref])
    actions = list(req.events.values_list("action", flat=True))
    assert actions == ["submitted", "approved", "sync_started", "csdc_ymt_query", "csdc_key_info_update", "applied"]
    # running it again changes nothing
    assert svc.change_request_sync(request_id=req.pk) == ChangeStatus.APPLIED
    assert Client.objects.get(pk=person.pk).version == 1


def test_no_ymt_record_keeps_the_change_local(clerk, reviewer):
    client = client_with_accounts(clerk, seq=3, ymt=False)
    req = _approved_key_change(clerk, reviewer, client)
    assert svc.change_request_sync(request_id=req.pk) == ChangeStatus.APPLIED_LOCAL
    req.refresh_from_db()
    assert "未发送中国结算" in req.status_reason
    assert Client.objects.get(pk=client.pk).name == "张三丰"


def test_an_unconfirmed_link_blocks_until_it_is_confirmed(clerk, reviewer):
    client = client_with_accounts(clerk, seq=4, unconfirmed=("SZ",))
    req = _approved_key_change(clerk, reviewer, client)
    assert svc.change_request_sync(request_id=req.pk) == ChangeStatus.BLOCKED_LINK
    req.refresh_from_db()
    assert "请先确认关联关系" in req.status_reason and "SZ" in req.status_reason
    assert Client.objects.get(pk=client.pk).name == "张三"

    svc.change_request_link_confirm(actor=reviewer, request_id=req.pk)
    assert ChangeRequest.objects.get(pk=req.pk).status == ChangeStatus.APPROVED
    assert set(client.securities_accounts.values_list("link_status", flat=True)) == {"confirmed"}
    assert svc.change_request_sync(request_id=req.pk) == ChangeStatus.APPLIED


def test_a_permanent_refusal_fails_with_csdcs_reason(clerk, reviewer, person):
    from accounts.simulators import GatewayFault

    GatewayFault.objects.create(system="csdc", operation="key_info_update", mode="permanent",
                                message="证件信息与公安部不符")  # fmt: skip
    req = _approved_key_change(clerk, reviewer, person)
    assert svc.change_request_sync(request_id=req.pk) == ChangeStatus.FAILED
    req.refresh_from_db()
    assert req.status_reason == "中国结算拒绝：证件信息与公安部不符"
    assert Client.objects.get(pk=person.pk).version == 0


def test_nothing_personal_is_stored_in_clear(clerk, reviewer, person):
    new = resident_id(900)
    req = _approved_key_change(clerk, reviewer, person, phone="13912345678")
    svc.change_request_sync(request_id=req.pk)
    with connection.cursor() as cursor:
        dumps = []
        for table in ("accounts_changerequest", "accounts_historicalchangerequest", "accounts_changeevent"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
            dumps.append(repr(cursor.fetchall()))
    text = "".join(dumps)
    for secret in (new, person.id_number, "13912345678", "+8613912345678", "建国路"):
        assert secret not in text


# --- slip, callback ----------------------------------------------------------------------------------


@pytest.mark.pdftools
def test_the_confirmation_slip_is_filed_once_with_chinese_text(clerk, reviewer, person):
    from archive.models import Document
    from archive.services import change_slips_generate

    req = _approved_key_change(clerk, reviewer, person)
    svc.change_request_sync(request_id=req.pk)
    assert change_slips_generate() == 1
    assert change_slips_generate() == 0
    req.refresh_from_db()
    document = Document.objects.get(kind="change_slip", client=person)
    assert req.slip_document_id == document.pk and document.related == req
    assert resident_id(900) not in str(document.render_data)

    from django.core.files.storage import default_storage

    pdf = Path(default_storage.path(document.storage_name))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout  # noqa: S607
    assert "客户重要资料修改确认单" in text and "张三丰" in text and "1101**********" in text
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-singlefile", str(pdf), str(SCREENSHOTS / "change-slip")],  # noqa: S607
                   check=True)  # fmt: skip
    assert (SCREENSHOTS / "change-slip.png").exists() and shutil.which("pdftoppm")


def test_an_applied_key_change_creates_one_callback_task(clerk, reviewer, person, make_staff, settings):
    from callbacks.models import CallbackTask
    from callbacks.services import callback_tasks_sweep

    make_staff(Role.CALLBACK_AGENT)
    req = _approved_key_change(clerk, reviewer, person)
    svc.change_request_sync(request_id=req.pk)
    settings.KEY_CHANGE_CALLBACK = False
    assert callback_tasks_sweep()["key_changes"] == 0
    settings.KEY_CHANGE_CALLBACK = True
    assert callback_tasks_sweep()["key_changes"] == 1
    assert callback_tasks_sweep()["key_changes"] == 0
    task = CallbackTask.objects.get(client=person)
    assert task.reason == "key_data_change" and ChangeRequest.objects.get(pk=req.pk).callback_task_id == task.pk


# --- API ---------------------------------------------------------------------------------------------


def test_api_create_honours_the_idempotency_key_and_review_conflicts(api_client, clerk, reviewer, person):
    api_client.force_authenticate(clerk)
    body = {"client_id": person.pk, "client_version": 0, "changes": {"address": "上海市浦东新区世纪大道100号"}}
    first = api_client.post("/api/v1/change-requests/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api_client.post("/api/v1/change-requests/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201 and again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert first.json()["id"] == again.json()["id"] and ChangeRequest.objects.count() == 1
    assert first.json()["rows"] == [{"field": "address", "label": "联系地址", "old": "北京市朝阳区****",
                                     "new": "上海市浦东新****", "key": False}]  # fmt: skip
    request_id = first.json()["id"]
    assert api_client.post(f"/api/v1/change-requests/{request_id}/review/", {"decision": "approve"}).status_code == 403

    api_client.force_authenticate(reviewer)
    ok = api_client.post(f"/api/v1/change-requests/{request_id}/review/", {"decision": "approve"}, format="json")
    assert ok.status_code == 200 and ok.json()["status"] == "applied"
    second = api_client.post(f"/api/v1/change-requests/{request_id}/review/", {"decision": "approve"}, format="json")
    assert second.status_code == 409 and second.json()["code"] == "already_reviewed"
    status = api_client.get(f"/api/v1/change-requests/{request_id}/status/")
    assert status.status_code == 200 and status.json()["status"] == "applied"
    detail = api_client.get(f"/api/v1/change-requests/{request_id}/")
    assert [e["action"] for e in detail.json()["events"]] == ["submitted", "approved", "applied"]


def test_a_direct_patch_of_key_data_is_refused(api_client, clerk, person):
    api_client.force_authenticate(clerk)
    response = api_client.patch(f"/api/v1/clients/{person.pk}/", {"id_number": resident_id(5)}, format="json")
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "key_data_direct_edit" and "证件号码" in body["message"]
    assert body["rule"] == "证券公司开立客户账户规范 第十二条" and "id_number" in body["fields"]
    ordinary = api_client.patch(f"/api/v1/clients/{person.pk}/", {"phone": "13912345678"}, format="json")
    assert ordinary.status_code == 400 and ordinary.json()["code"] == "change_request_required"
    client = Client.objects.get(pk=person.pk)
    assert client.id_number == person.id_number and client.phone == person.phone and client.version == 0


def test_the_admin_shows_clients_read_only(client, make_staff, person):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", "root@example.cn", "pw-for-tests-only")
    client.force_login(admin)
    page = client.get(f"/admin/accounts/client/{person.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="name"' not in html and 'name="id_type"' not in html and person.id_number not in html
    assert client.post(f"/admin/accounts/client/{person.pk}/change/", {"name": "李四"}).status_code in (302, 403, 200)
    assert Client.objects.get(pk=person.pk).name == "张三"


def test_events_are_append_only(clerk, person):
    from django.db import InternalError, transaction

    req = svc.change_request_create(actor=clerk, client_id=person.pk, client_version=0, changes={"email": "a@b.cn"})
    with pytest.raises(InternalError), transaction.atomic():
        ChangeEvent.objects.filter(request=req).update(reason="edited")


# --- supporting documents (ADR 0010) -------------------------------------------------------------------


def _documents():
    from archive.models import Document

    return Document.objects.exclude(kind="change_slip")


def test_a_key_change_needs_the_new_id_scan_and_the_signed_application_form(clerk, person):
    before = _documents().count()
    create = lambda **kw: svc.change_request_create(  # noqa: E731
        actor=clerk, client_id=person.pk, client_version=0, changes={"name": "张三丰"}, **kw
    )
    error = _error(create)
    assert (error.code, error.status) == ("documents_required", 400)
    assert error.fields == {"documents": ["新证件影像（正面）", "客户签字的《证券账户业务申请表》"]}
    assert error.message == "缺少证明材料：新证件影像（正面）、客户签字的《证券账户业务申请表》。请上传后再提交。"
    # the back of the ID is not the scan of the name and number; the form alone is not enough either
    error = _error(lambda: create(uploads=uploads("id_back", "account_application_signed")))
    assert error.fields == {"documents": ["新证件影像（正面）"]}
    error = _error(lambda: create(uploads=uploads("id_front")))
    assert error.fields == {"documents": ["客户签字的《证券账户业务申请表》"]}
    assert not ChangeRequest.objects.exists() and _documents().count() == before  # nothing half-saved


def test_the_uploaded_documents_are_filed_in_the_client_file_and_recorded(clerk, person):
    from archive.models import Document

    req = svc.change_request_create(actor=clerk, client_id=person.pk, client_version=0, changes={"name": "张三丰"},
                                    uploads=uploads(*KEY_DOCUMENTS), note="换证")  # fmt: skip
    documents = Document.objects.filter(pk__in=req.documents).order_by("pk")
    assert [(d.client_id, d.kind, d.stored_by_id) for d in documents] == [
        (person.pk, "id_front", clerk.pk),
        (person.pk, "account_application_signed", clerk.pk),
    ]
    assert documents[1].get_kind_display() == "已签署证券账户业务申请表"
    assert req.events.get(action="submitted").payload["documents"] == req.documents


def test_document_ids_must_exist_belong_to_the_client_and_be_of_an_accepted_kind(clerk, person):
    other = client_with_accounts(clerk, seq=2)
    mine = filed(clerk, person, "id_front", "account_application_signed", "photo")
    theirs = filed(clerk, other, "id_front")
    create = lambda ids: svc.change_request_create(  # noqa: E731
        actor=clerk, client_id=person.pk, client_version=0, changes={"name": "张三丰"}, documents=ids
    )
    for ids, bad in (([*mine[:2], 999999], [999999]), ([mine[1], theirs[0]], [theirs[0]]), (mine, [mine[2]])):
        error = _error(lambda ids=ids: create(ids))
        assert (error.code, error.status, error.fields) == ("document_invalid", 400, {"documents": bad})
        assert str(bad[0]) in error.message
    assert not ChangeRequest.objects.exists()

    req = create([mine[1], mine[0], mine[0]])
    assert req.documents == [mine[1], mine[0]]  # each once, in the order given


def test_an_ordinary_change_sent_to_csdc_needs_the_signed_form_and_one_kept_local_needs_nothing(clerk, person):
    create = lambda **kw: svc.change_request_create(  # noqa: E731
        actor=clerk, client_id=person.pk, client_version=0, changes={"address": "上海市浦东新区世纪大道100号"}, **kw
    )
    error = _error(lambda: create(sync_targets=["csdc"]))
    assert error.code == "documents_required" and error.fields == {"documents": ["客户签字的《证券账户业务申请表》"]}
    req = create(sync_targets=["csdc"], uploads=uploads(*CSDC_DOCUMENTS))
    assert len(req.documents) == 1 and req.sync_targets == ["csdc"]
    other = client_with_accounts(clerk, seq=2)
    local = svc.change_request_create(actor=clerk, client_id=other.pk, client_version=0, changes={"email": "a@b.cn"},
                                      sync_targets=["fund"])  # fmt: skip
    assert local.documents == []


def test_a_refused_request_files_nothing(clerk, person):
    other = client_with_accounts(clerk, seq=2)
    before = _documents().count()
    error = _error(lambda: svc.change_request_create(
        actor=clerk, client_id=person.pk, client_version=0, changes={"id_number": other.id_number},
        uploads=uploads(*KEY_DOCUMENTS),
    ))  # fmt: skip
    assert error.code == "id_taken"
    bad_file = [*uploads("account_application_signed"), svc_upload("id_front", b"GIF89a not accepted")]
    error = _error(lambda: svc.change_request_create(
        actor=clerk, client_id=person.pk, client_version=0, changes={"name": "张三丰"}, uploads=bad_file,
    ))  # fmt: skip
    assert error.code == "upload_type_refused" and error.status == 400
    assert not ChangeRequest.objects.exists() and _documents().count() == before


def svc_upload(kind: str, content: bytes):
    from accounts.ports import DocumentUpload

    return DocumentUpload(kind=kind, filename="scan.gif", content=content)


def test_api_uploads_to_the_client_file_then_names_the_ids(api_client, clerk, person):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.accounts.changes_support import PDF, PNG

    api_client.force_authenticate(clerk)
    url = f"/api/v1/clients/{person.pk}/documents/"
    ids = []
    for kind, name, content in (("id_front", "front.png", PNG), ("account_application_signed", "form.pdf", PDF)):
        response = api_client.post(url, {"kind": kind, "file": SimpleUploadedFile(name, content)}, format="multipart")
        assert response.status_code == 201, response.content
        assert (response.json()["kind"], response.json()["client"]) == (kind, person.pk)
        ids.append(response.json()["id"])
    refused = api_client.post(url, {"kind": "id_front", "file": SimpleUploadedFile("x.txt", b"hello")},
                              format="multipart")  # fmt: skip
    assert refused.status_code == 400 and refused.json()["code"] == "upload_type_refused"

    body = {"client_id": person.pk, "client_version": 0, "changes": {"name": "张三丰"}}
    missing = api_client.post("/api/v1/change-requests/", {**body, "documents": ids[:1]}, format="json")
    assert missing.status_code == 400 and missing.json()["code"] == "documents_required"
    assert missing.json()["fields"] == {"documents": ["客户签字的《证券账户业务申请表》"]}
    unknown = api_client.post("/api/v1/change-requests/", {**body, "documents": [*ids, 424242]}, format="json")
    assert unknown.status_code == 400 and unknown.json()["fields"] == {"documents": [424242]}
    assert not ChangeRequest.objects.exists()
    created = api_client.post("/api/v1/change-requests/", {**body, "documents": ids}, format="json")
    assert created.status_code == 201 and created.json()["documents"] == ids


# --- ID validity (证件有效期) ---------------------------------------------------------------------------


def test_a_renewed_id_with_the_same_number_changes_the_validity_and_syncs_csdc(clerk, reviewer, person):
    import datetime

    from django.utils import timezone

    until = timezone.localdate() + datetime.timedelta(days=3650)
    req = svc.change_request_create(
        actor=clerk, client_id=person.pk, client_version=0,
        changes={"id_valid_until": until.isoformat(), "id_valid_from": (until.replace(year=until.year - 10))},
        uploads=uploads("id_back", "account_application_signed"),
    )  # fmt: skip
    assert (req.kind, req.sync_targets, req.fields_changed) == ("ordinary", ["csdc"], ["id_valid_until"])
    assert req.old_values == {"id_valid_until": ""} and req.new_values == {"id_valid_until": until.isoformat()}
    assert selectors_rows(req) == [("证件有效期至", "长期", until.isoformat())]
    slip_rows = svc.change_slip_data(req)["rows"]  # the slip shows the same values as the pages
    assert slip_rows == [{"label": "证件有效期至", "old": "长期", "new": until.isoformat()}]
    svc.change_request_review(actor=reviewer, request_id=req.pk, approve=True)
    assert svc.change_request_sync(request_id=req.pk) == ChangeStatus.APPLIED
    client = Client.objects.get(pk=person.pk)
    assert (client.id_valid_until, client.id_number, client.version) == (until, person.id_number, 1)
    assert holders(client) == holders(person)  # the same person and number: accounts unchanged
    assert CsdcSimAccount.objects.get(ymt_no=ChangeRequest.objects.get(pk=req.pk).ymt_no).applied_requests == [
        req.csdc_ref
    ]

    # and back to long-term (长期)
    req = svc.change_request_create(actor=clerk, client_id=person.pk, client_version=1,
                                    changes={"id_valid_until": "长期"}, uploads=uploads("id_front", *CSDC_DOCUMENTS))  # fmt: skip
    assert req.new_values == {"id_valid_until": ""} and req.old_values == {"id_valid_until": until.isoformat()}
    svc.change_request_review(actor=reviewer, request_id=req.pk, approve=True)
    svc.change_request_sync(request_id=req.pk)
    assert Client.objects.get(pk=person.pk).id_valid_until is None


def selectors_rows(req) -> list[tuple]:
    from accounts.selectors import change_request_rows

    return [(r["label"], r["old"], r["new"]) for r in change_request_rows(req)]


def test_the_id_validity_is_validated_as_at_opening(clerk, person):
    import datetime

    from django.utils import timezone

    today = timezone.localdate()
    docs = uploads("id_back", *CSDC_DOCUMENTS)
    create = lambda **changes: svc.change_request_create(  # noqa: E731
        actor=clerk, client_id=person.pk, client_version=0, changes=changes, uploads=docs
    )
    yesterday = (today - datetime.timedelta(days=1)).isoformat()
    assert _error(lambda: create(id_valid_until=yesterday)).code == "id_expired"
    error = _error(lambda: create(id_valid_until="2030/01/01"))
    assert (error.code, error.fields) == ("id_validity_invalid", {"id_valid_until": ["2030/01/01"]})
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    error = _error(lambda: create(id_valid_until="2046-01-01", id_valid_from=tomorrow))
    assert error.code == "id_validity_invalid" and "起始日不能晚于今天" in error.message
    error = _error(lambda: create(id_valid_until=tomorrow, id_valid_from=tomorrow.replace(tomorrow[:4], "2050")))
    assert error.code == "id_validity_invalid"
    error = _error(lambda: create(id_valid_from="2020-01-01"))
    assert (error.code, error.fields) == ("value_required", {"id_valid_until": ["required"]})
    assert _error(lambda: create(id_valid_until="长期")).code == "no_change"  # already long-term
    error = _error(lambda: svc.change_request_create(actor=clerk, client_id=person.pk, client_version=0,
                                                     changes={"id_valid_until": "2046-01-01"}))  # fmt: skip
    assert error.code == "documents_required" and error.fields == {
        "documents": ["新证件影像", "客户签字的《证券账户业务申请表》"]
    }
    assert not ChangeRequest.objects.exists()


# --- institutions ------------------------------------------------------------------------------------


@pytest.fixture
def company(clerk):
    return institution_with_accounts(clerk)


def _credit_code(body17: str) -> str:
    from stdnum.cn import uscc

    return body17 + uscc.calc_check_digit(body17)


def test_an_institution_changes_its_legal_representative(clerk, reviewer, company):
    new_rep = resident_id(777)
    changes = {"legal_rep_name": "赵六", "legal_rep_id_number": new_rep}
    error = _error(lambda: svc.change_request_create(actor=clerk, client_id=company.pk, client_version=0,
                                                     changes=changes, uploads=uploads("legal_rep_id")))  # fmt: skip
    assert error.fields == {"documents": ["新营业执照影像", "客户签字的《证券账户业务申请表》"]}
    req = svc.change_request_create(actor=clerk, client_id=company.pk, client_version=0, changes=changes,
                                    uploads=uploads(*INSTITUTION_KEY_DOCUMENTS))  # fmt: skip
    assert (req.kind, req.sync_targets, req.identity_result) == ("key", ["csdc"], "match")
    assert [r[0] for r in selectors_rows(req)] == ["法定代表人", "法定代表人证件号码"]
    assert new_rep not in str(selectors_rows(req))  # masked
    svc.change_request_review(actor=reviewer, request_id=req.pk, approve=True)
    assert svc.change_request_sync(request_id=req.pk) == ChangeStatus.APPLIED
    client = Client.objects.get(pk=company.pk)
    assert (client.legal_rep_name, client.legal_rep_id_number, client.version) == ("赵六", new_rep, 1)
    assert holders(client) == holders(company)  # the account holder is the institution, unchanged


def test_the_new_legal_representative_must_pass_the_identity_check(clerk, company):
    new_rep = resident_id(778)
    IdentitySimRecord.objects.create(id_index=blind_index(new_rep), registered_name="钱七")
    error = _error(lambda: svc.change_request_create(
        actor=clerk, client_id=company.pk, client_version=0,
        changes={"legal_rep_name": "赵六", "legal_rep_id_number": new_rep}, uploads=uploads(*INSTITUTION_KEY_DOCUMENTS),
    ))  # fmt: skip
    assert error.code == "identity_not_verified"
    error = _error(lambda: svc.change_request_create(
        actor=clerk, client_id=company.pk, client_version=0, changes={"legal_rep_id_number": "110105198001010010"},
        uploads=uploads(*INSTITUTION_KEY_DOCUMENTS),
    ))  # fmt: skip
    assert error.code == "id_invalid" and "legal_rep_id_number" in error.fields
    assert not ChangeRequest.objects.exists()


def test_an_institution_changes_its_name_and_credit_code(clerk, reviewer, company):
    new_code = _credit_code("91310115MA1H00001")
    changes = {"name": "某某数字科技有限公司", "id_number": new_code}
    error = _error(lambda: svc.change_request_create(actor=clerk, client_id=company.pk, client_version=0,
                                                     changes=changes, uploads=uploads("id_front", *CSDC_DOCUMENTS)))  # fmt: skip
    assert error.fields == {"documents": ["新营业执照影像"]}  # an ID scan is not the licence
    req = svc.change_request_create(actor=clerk, client_id=company.pk, client_version=0, changes=changes,
                                    uploads=uploads("business_licence", *CSDC_DOCUMENTS))  # fmt: skip
    assert req.kind == "key" and req.sync_targets == ["csdc"]
    svc.change_request_review(actor=reviewer, request_id=req.pk, approve=True)
    assert svc.change_request_sync(request_id=req.pk) == ChangeStatus.APPLIED
    client = Client.objects.get(pk=company.pk)
    assert (client.name, client.id_type, client.id_number) == ("某某数字科技有限公司", "uscc", new_code)
    assert holders(client) == {("某某数字科技有限公司", "uscc", blind_index(new_code))}
    svc.accounts_consistency_check(client)
    sim = CsdcSimAccount.objects.get(ymt_no=ChangeRequest.objects.get(pk=req.pk).ymt_no)
    assert (sim.name, sim.id_index) == ("某某数字科技有限公司", blind_index(new_code))


def test_a_credit_code_is_checked_with_its_check_digit_and_must_be_free(clerk, company):
    good = _credit_code("91310115MA1H00002")
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    docs = uploads("business_licence", *CSDC_DOCUMENTS)
    create = lambda number: svc.change_request_create(  # noqa: E731
        actor=clerk, client_id=company.pk, client_version=0, changes={"id_number": number}, uploads=docs
    )
    error = _error(lambda: create(wrong))
    assert error.code == "id_invalid" and "校验位" in error.message
    assert _error(lambda: create("91310115MA1H0000I")).code == "id_invalid"  # I is not in the alphabet, 17 chars
    other = institution_with_accounts(clerk, seq=2)
    error = _error(lambda: create(other.id_number))
    assert error.code == "id_taken" and other.client_no in error.message
    assert not ChangeRequest.objects.exists()


def test_the_institution_change_page_asks_for_the_licence_and_files_the_uploads(client, clerk, company):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from archive.models import Document
    from tests.accounts.changes_support import PDF, PNG

    client.force_login(clerk)
    url = f"/staff/changes/clients/{company.pk}/"
    page = client.get(url).content.decode()
    assert "新营业执照影像" in page and "新法定代表人身份证件影像" in page and "营业执照有效期至" in page
    assert "新证件影像（正面）" not in page and 'enctype="multipart/form-data"' in page

    body = {"client_version": 0, "legal_rep_name": "赵六", "legal_rep_id_number": resident_id(780)}
    refused = client.post(url, {**body, "legal_rep_id_file": SimpleUploadedFile("rep.png", PNG)})
    assert refused.status_code == 400
    assert "缺少证明材料：新营业执照影像、客户签字的《证券账户业务申请表》" in refused.content.decode()
    assert not ChangeRequest.objects.exists() and not Document.objects.filter(client=company).exists()

    files = {
        "business_licence_file": SimpleUploadedFile("licence.png", PNG),
        "legal_rep_id_file": SimpleUploadedFile("rep.png", PNG),
        "application_form_file": SimpleUploadedFile("form.pdf", PDF),
    }
    created = client.post(url, {**body, **files})
    req = ChangeRequest.objects.get()
    assert created.status_code == 302 and created["Location"].endswith(f"/staff/changes/{req.pk}/")
    kinds = sorted(Document.objects.filter(pk__in=req.documents).values_list("kind", flat=True))
    assert kinds == ["account_application_signed", "business_licence", "legal_rep_id"]
    detail = client.get(created["Location"]).content.decode()
    assert "营业执照 #" in detail and "法定代表人身份证件 #" in detail
