"""Logins, lockout, session expiry, and role permissions on a protected page."""

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role

pytestmark = pytest.mark.django_db


def test_login_with_the_right_password_shows_the_workbench(client, make_staff):
    make_staff(Role.CLERK, username="clerk1")

    response = client.post(reverse("login"), {"username": "clerk1", "password": "pw-for-tests-only"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("home")
    page = response.content.decode()
    assert "工作台" in page
    assert "柜台业务岗" in page


def test_wrong_password_is_refused_with_a_message(client, make_staff):
    make_staff(Role.CLERK, username="clerk1")

    response = client.post(reverse("login"), {"username": "clerk1", "password": "wrong"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "请输入一个正确的用户名和密码" in response.content.decode()


def test_repeated_failures_lock_the_account_even_with_the_right_password(client, make_staff):
    make_staff(Role.CLERK, username="clerk1")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "clerk1", "password": "wrong"})

    response = client.post(reverse("login"), {"username": "clerk1", "password": "pw-for-tests-only"})

    assert response.status_code == 429
    assert "账号已锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_expired_session_sends_the_user_back_to_login(client, make_staff):
    user = make_staff(Role.CLERK)
    client.force_login(user)
    assert client.get(reverse("home")).status_code == 200

    # when the session passes its idle expiry
    Session.objects.filter(session_key=client.session.session_key).update(expire_date=timezone.now())

    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_sessions_are_short_lived_and_end_with_the_browser():
    assert settings.SESSION_COOKIE_AGE <= 60 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True


def test_anonymous_user_is_sent_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.COMPLIANCE, 200), (Role.ADMIN, 200), (Role.CLERK, 403), (Role.REVIEWER, 403), (Role.ACCOUNT_MANAGER, 403)],
)
def test_staff_directory_is_for_compliance_and_admins_only(client, make_staff, role, status):
    client.force_login(make_staff(role))

    response = client.get(reverse("staff-list"))

    assert response.status_code == status
    if status == 403:
        assert "无权访问" in response.content.decode()


def test_logout_ends_the_session(client, make_staff):
    client.force_login(make_staff(Role.CLERK))

    client.post(reverse("logout"))

    assert client.get(reverse("home")).status_code == 302


def test_every_role_group_exists_with_its_permissions():
    from django.contrib.auth.models import Group

    from accounts.roles import ROLE_PERMISSIONS, roles_sync

    assert roles_sync() == []  # no permission in the table is misspelt
    for role in Role:
        group = Group.objects.get(name=role.value)
        held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        assert held == ROLE_PERMISSIONS[role]


def test_pages_are_chinese_whatever_the_browser_asks_until_the_user_picks_english(client, make_staff):
    client.force_login(make_staff(Role.CLERK))

    default = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    client.cookies["django_language"] = "en"
    chosen = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert '<html lang="zh-hans">' in default.content.decode()
    assert '<html lang="en">' in chosen.content.decode()
