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
from tests.accounts.changes_support import client_with_accounts, holders, resident_id

pytestmark = pytest.mark.django_db
SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "var" / "screenshots"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def clerk(make_staff):
    return make_staff(Role.CLERK, full_name="王柜台")


@pytest.fixture
def reviewer(make_staff):
    return make_staff(Role.REVIEWER, full_name="李复核")


@pytest.fixture
def person(clerk):
    return client_with_accounts(clerk)


def _key_change(clerk, client, number: str | None = None, **extra):
    return svc.change_request_create(
        actor=clerk, client_id=client.pk, client_version=client.version,
        changes={"name": "张三丰", "id_number": number or resident_id(900), **extra}, documents=[1],
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
