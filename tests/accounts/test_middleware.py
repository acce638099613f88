import pytest
from django.test import RequestFactory

from accounts.errors import AccountsError, ApplicationError
from accounts.middleware import ApplicationErrorMiddleware

pytestmark = pytest.mark.django_db


def test_a_refusal_in_a_page_shows_the_message_and_the_rule(make_staff):
    request = RequestFactory().post("/staff/something")
    request.user = make_staff("clerk")
    middleware = ApplicationErrorMiddleware(lambda r: None)

    response = middleware.process_exception(request, ApplicationError(AccountsError.ID_EXPIRED))

    assert response.status_code == 400
    html = response.content.decode()
    assert "证件已过有效期" in html
    assert "证券公司开立客户账户规范 第六条" in html


def test_api_refusals_are_left_to_the_api_exception_handler(make_staff):
    request = RequestFactory().post("/api/v1/branches/")
    request.user = make_staff("clerk")
    middleware = ApplicationErrorMiddleware(lambda r: None)

    assert middleware.process_exception(request, ApplicationError(AccountsError.ID_EXPIRED)) is None
