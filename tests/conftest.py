"""Personas (applicant, other applicant, reviewer, case officer, secretary, steering group,
anonymous) and a fund with an open call and a budget."""

from decimal import Decimal

import pytest
from django.core.cache import cache

from accounts import roles
from tests.factories import (
    PASSWORD, ApplicationFactory, CallFactory, FundYearFactory, MembershipFactory, UserFactory,
)


@pytest.fixture(autouse=True)
def clear_cache():
    """allauth keeps its rate-limit counters in the cache: every test starts from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def media(settings, tmp_path):
    """A private, empty storage folder for the test (never var/media): the default storage becomes a
    FileSystemStorage on `tmp_path/media`. Modules that store files use it for every test with
    `pytestmark = pytest.mark.usefixtures("media")`; a test that looks at the stored files takes it as an
    argument (the folder's path)."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": root, "base_url": None}}}
    return root


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def fund_year(db):
    return FundYearFactory(budget=Decimal("100000"))


@pytest.fixture
def call(fund_year):
    return CallFactory(fund=fund_year.fund, budget_year=fund_year.year)


@pytest.fixture
def applicant(db):
    return MembershipFactory(user__role=roles.APPLICANT).user


@pytest.fixture
def organisation(applicant):
    return applicant.organisations.get()


@pytest.fixture
def other_applicant(db):
    return MembershipFactory(user__role=roles.APPLICANT).user


@pytest.fixture
def case_officer(db):
    return UserFactory(role=roles.CASE_OFFICER, full_name="Hugo Handläggare")


@pytest.fixture
def reviewer(db):
    return UserFactory(role=roles.REVIEWER, full_name="Bodil Bedömare")


@pytest.fixture
def secretary(db):
    return UserFactory(role=roles.SECRETARY, full_name="Selma Sekreterare")


@pytest.fixture
def steering(db):
    return UserFactory(role=roles.STEERING_GROUP)


@pytest.fixture
def draft(applicant, organisation, call):
    return ApplicationFactory(organisation=organisation, call=call, created_by=applicant)
