"""Fixtures for callbacks: an application brought to accounts_opened through the real onboarding services."""

import pytest

from accounts.roles import Role
from onboarding import services as onboarding_services
from tests.onboarding.test_services import _counter_app, _whole_journey

AGENT = {"name": "赵父", "id_type": "resident_id", "id_number": "360426199101010071", "relationship": "authorised"}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def supervisor(make_staff):
    return make_staff(Role.CALLBACK_SUPERVISOR, username="super1", full_name="周主管")


@pytest.fixture
def opened_app(clerk, reviewer):
    """Make an application whose accounts are opened and await the callback."""

    def _make(*, with_agent: bool = False):
        if with_agent:
            app = onboarding_services.application_create(
                actor=clerk, channel="counter", client=_person(), agent=AGENT, bank_code="ICBC",
                bank_account="6222020000000000001",
            )  # fmt: skip
        else:
            app = _counter_app(clerk)
        return _whole_journey(clerk, reviewer, app)

    return _make


def _person():
    from tests.onboarding.conftest import person

    return person()


ALL_YES = {
    "identity_confirmed": True,
    "disclosures_understood": True,
    "true_wish": True,
    "password_reminder_given": True,
    "channel_confirmed": True,
}
