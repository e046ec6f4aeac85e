"""The fixed part of every staff page (accounts/access.py, accounts/mfa.py, accounts/context_processors.py):
the session, the user and one query for the user's roles and permissions, whether they hold one group or
ten; a session that passed the second factor costs no query for it; the answers to every permission
question are exactly ModelBackend's."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from accounts.access import load_access
from accounts.context_processors import roles as roles_context
from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

def access_queries(queries) -> list[str]:
    """The queries that read the user's permissions or group names (not a page's own lists of people in a
    role, such as the case list's task holders)."""
    return [q["sql"] for q in queries
            if '"auth_permission"' in q["sql"] or q["sql"].lstrip("(").startswith('SELECT "auth_group"')]


def give_extra_groups(user, count: int) -> None:
    """`count` more groups, each with a few permissions, plus a permission of the user's own."""
    perms = list(Permission.objects.order_by("pk")[: 3 * count + 1])
    for n in range(count):
        group = Group.objects.create(name=f"extra-{user.pk}-{n}")
        group.permissions.set(perms[3 * n: 3 * n + 3])
        user.groups.add(group)
    user.user_permissions.add(perms[-1])


def page_queries(client, user, url) -> tuple[int, list[str]]:
    client.force_login(user)
    client.get(url)  # warm: content types, the session
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries), access_queries(queries)


@pytest.mark.parametrize("url_name", ["home", "workflows:inbox", "workflows:case_list"])
def test_a_staff_page_reads_roles_and_permissions_once_for_one_group_as_for_ten(client, url_name):
    url = reverse(url_name)
    one = UserFactory(role=roles.CASE_OFFICER)
    ten = UserFactory(role=roles.CASE_OFFICER)
    give_extra_groups(ten, 9)
    assert ten.groups.count() == 10
    count_one, access_one = page_queries(client, one, url)
    count_ten, access_ten = page_queries(client, ten, url)
    assert count_one == count_ten
    assert len(access_one) == 1, access_one
    assert len(access_ten) == 1, access_ten


def test_the_start_page_as_staff_takes_the_session_the_user_one_access_query_and_its_own(client):
    officer = UserFactory(role=roles.CASE_OFFICER)
    count, access = page_queries(client, officer, reverse("home"))
    anonymous_count = None
    client.logout()
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("home"))
    anonymous_count = len(queries)
    # The anonymous page reads no session row and no user: staff add exactly session + user + access.
    assert len(access) == 1
    assert count == anonymous_count + 3


def test_a_page_that_renders_no_menu_reads_no_roles_when_the_second_factor_is_recorded(client):
    officer = UserFactory(role=roles.CASE_OFFICER)
    client.force_login(officer)
    client.get(reverse("set_language"))
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert access_queries(queries) == []


def permission_answers(user, backend_user) -> dict:
    perms = ["grants.view_all_applications", "grants.decide_application", "grants.view_indicators",
             "catalogue.publish_practice", "reviewers.review_application", "auth.add_group"]
    backend = ModelBackend()
    return {
        "mine": [user.has_perm(p) for p in perms],
        "model_backend": [backend.has_perm(backend_user, p) if backend_user.is_active else False for p in perms],
        "all": user.get_all_permissions() if not user.is_superuser else None,
        "all_model_backend": backend.get_all_permissions(backend_user) if not user.is_superuser else None,
        "groups": user.get_group_permissions() if not user.is_superuser else None,
        "groups_model_backend": backend.get_group_permissions(backend_user) if not user.is_superuser else None,
        "own": user.get_user_permissions() if not user.is_superuser else None,
        "own_model_backend": backend.get_user_permissions(backend_user) if not user.is_superuser else None,
    }


@pytest.mark.parametrize("kind", ["applicant", "case_officer", "secretary", "reviewer", "steering_group",
                                  "no_role", "own_permission", "many_groups", "inactive", "superuser"])
def test_every_permission_answer_is_model_backends(kind):
    role = kind if kind in roles.PERMISSIONS else None
    user = UserFactory(role=role)
    if kind == "own_permission":
        user.user_permissions.add(Permission.objects.get(codename="decide_application"))
    elif kind == "many_groups":
        give_extra_groups(user, 9)
        user.groups.add(Group.objects.get(name=roles.REVIEWER))
    elif kind == "inactive":
        user.groups.add(Group.objects.get(name=roles.SECRETARY))
        User.objects.filter(pk=user.pk).update(is_active=False)
    elif kind == "superuser":
        User.objects.filter(pk=user.pk).update(is_superuser=True, is_staff=True)
    fresh = User.objects.get(pk=user.pk)  # as a request loads it
    reference = User.objects.get(pk=user.pk)
    answers = permission_answers(fresh, reference)
    assert answers["mine"] == answers["model_backend"]
    assert answers["all"] == answers["all_model_backend"]
    assert answers["groups"] == answers["groups_model_backend"]
    assert answers["own"] == answers["own_model_backend"]
    assert roles.user_roles(fresh) == set(reference.groups.values_list("name", flat=True))


def test_roles_and_permissions_together_take_one_query():
    user = UserFactory(role=roles.SECRETARY)
    give_extra_groups(user, 3)
    fresh = User.objects.get(pk=user.pk)
    with CaptureQueriesContext(connection) as queries:
        load_access(fresh)
        assert roles.has_role(fresh, roles.SECRETARY)
        assert fresh.has_perm("grants.decide_application")
        assert not fresh.has_perm("reviewers.review_application")
        fresh.get_all_permissions()
    assert len(queries) == 1


def test_the_navigation_flags_are_read_only_when_used(rf):
    officer = User.objects.get(pk=UserFactory(role=roles.CASE_OFFICER).pk)
    request = rf.get("/")
    request.user = officer
    with CaptureQueriesContext(connection) as queries:
        context = roles_context(request)
    assert len(queries) == 0
    with CaptureQueriesContext(connection) as queries:
        assert context["is_staff_role"]
        assert not context["is_reviewer"]
        assert context["can_see_indicators"]
        assert not context["can_manage_personal_data"]
        assert str(context["wrap_class"]) == "wrap wide"
        assert not context["is_applicant"]
        assert roles.CASE_OFFICER in context["user_roles"]
    assert len(queries) == 1


def test_who_may_do_what_counts_from_the_next_request_after_every_kind_of_change(client):
    """Nothing of the access is kept between requests: each change below shows on the very next page."""
    case_list = reverse("workflows:case_list")  # grants.view_all_applications
    officer_group = Group.objects.get(name=roles.CASE_OFFICER)
    view_all = Permission.objects.get(codename="view_all_applications")
    user = UserFactory(role=None)
    client.force_login(user)

    def status() -> int:
        return client.get(case_list).status_code

    assert status() == 403
    user.groups.add(officer_group)
    assert status() == 200
    user.groups.remove(officer_group)
    assert status() == 403
    user.groups.set([officer_group])
    assert status() == 200
    officer_group.permissions.remove(view_all)
    assert status() == 403
    officer_group.permissions.add(view_all)
    assert status() == 200
    user.groups.clear()
    assert status() == 403
    user.user_permissions.add(view_all)
    assert status() == 200
    user.user_permissions.set([])
    assert status() == 403
    extra = Group.objects.create(name="extra")
    extra.permissions.set([view_all])
    extra.user_set.add(user)  # from the group's side
    assert status() == 200
    view_all.group_set.remove(extra)  # from the permission's side
    assert status() == 403
    user.groups.add(officer_group)
    assert status() == 200
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = client.get(case_list)
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
