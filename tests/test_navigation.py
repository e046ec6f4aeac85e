"""The page frame written in Python (accounts/navigation.py: the skip link, the header with the account links, the
language switch and the main menu, the footer) is what templates/base.html wrote with template tags, character for
character: for every role and permission that changes the menu, logged in or not, in Swedish and English, with a
hostile name and path and with messages; it reads no more queries than the template did, and the frame written
once per language and role is never another role's."""

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.contrib.messages import constants as message_levels
from django.contrib.messages.storage import default_storage
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.template import engines
from django.template.loader import get_template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from accounts import roles
from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script>\"'&amp; %(name)s %% {0}"
HOSTILE_PATH = "/?q=%3Cscript%3E&next=\"'<b>&x=%(name)s"

# templates/base.html before its header and footer were written in Python.
OLD_BASE = """{% load i18n static %}{% get_current_language as LANGUAGE_CODE %}<!DOCTYPE html>
<html lang="{{ LANGUAGE_CODE }}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{% block head_title %}{% endblock %} – Potten</title>
  <link rel="icon" href="{% static 'favicon.svg' %}" type="image/svg+xml">
  <link rel="stylesheet" href="{% static 'css/potten.css' %}">
  {% block extra_head %}{% endblock %}
</head>
<body>
  <a class="skip-link" href="#main">{% translate "Skip to content" %}</a>
  <header class="site-header">
    <div class="{{ wrap_class }} header-row">
      <a class="brand" href="{% url 'home' %}">Potten</a>
      <div class="account-links">
        {% if user.is_authenticated %}
          <a href="{% url 'workflows:my_data' %}">{% translate "My data" %}</a>
          <a href="{% url 'notifications:settings' %}">{% translate "E-mail settings" %}</a>
          <a href="{% url 'mfa_index' %}">{% translate "Two-factor authentication" %}</a>
          <form method="post" action="{% url 'account_logout' %}" class="inline-form">{% csrf_token %}
            <button type="submit" class="link-button">{% translate "Log out" %}</button>
          </form>
        {% else %}
          <a href="{% url 'account_login' %}">{% translate "Log in" %}</a>
          <a href="{% url 'account_signup' %}">{% translate "Create account" %}</a>
        {% endif %}
        <form action="{% url 'set_language' %}" method="post" class="lang-form">{% csrf_token %}
          <input name="next" type="hidden" value="{{ request.get_full_path }}">
          {% get_available_languages as LANGUAGES %}{% get_language_info_list for LANGUAGES as languages %}
          {% for language in languages %}{% if language.code != LANGUAGE_CODE %}
            <button type="submit" name="language" value="{{ language.code }}" lang="{{ language.code }}" class="link-button">{{ language.name_local|capfirst }}</button>
          {% endif %}{% endfor %}
        </form>
      </div>
    </div>
    <div class="{{ wrap_class }}">
      <nav aria-label="{% translate 'Main menu' %}" class="main-nav">
        <ul class="nav">
          {% if is_staff_role %}
            <li class="nav-group"><span class="nav-group-label" id="nav-casework">{% translate "Casework" %}</span>
              <ul aria-labelledby="nav-casework">
                <li><a href="{% url 'workflows:inbox' %}">{% translate "Tasks" %}</a></li>
                <li><a href="{% url 'workflows:case_list' %}">{% translate "Cases" %}</a></li>
                {% if perms.grants.manage_organisations %}<li><a href="{% url 'grants:organisation_staff_list' %}">{% translate "Organisations" %}</a></li>{% endif %}
                <li><a href="{% url 'notifications:outbox' %}">{% translate "E-mails not delivered" %}</a></li>
                {% if can_manage_personal_data %}<li><a href="{% url 'workflows:people' %}">{% translate "Personal data" %}</a></li>{% endif %}
              </ul></li>
            <li class="nav-group"><span class="nav-group-label" id="nav-money">{% translate "Money" %}</span>
              <ul aria-labelledby="nav-money">
                <li><a href="{% url 'grants:payments' %}">{% translate "Payments" %}</a></li>
                <li><a href="{% url 'grants:fund_years' %}">{% translate "Budgets" %}</a></li>
              </ul></li>
          {% endif %}
          {% if is_reviewer %}
            <li class="nav-group"><span class="nav-group-label" id="nav-reviewing">{% translate "Reviewing" %}</span>
              <ul aria-labelledby="nav-reviewing"><li><a href="{% url 'reviewers:home' %}">{% translate "My reviews" %}</a></li></ul></li>
          {% endif %}
          {% if can_see_indicators %}
            <li class="nav-group"><span class="nav-group-label" id="nav-follow-up">{% translate "Follow-up" %}</span>
              <ul aria-labelledby="nav-follow-up"><li><a href="{% url 'grants:indicators' %}">{% translate "Indicators" %}</a></li>
                {% if perms.catalogue.publish_practice %}<li><a href="{% url 'catalogue:manage_list' %}">{% translate "Publish good practice" %}</a></li>{% endif %}</ul></li>
          {% elif perms.catalogue.publish_practice %}
            <li class="nav-group"><span class="nav-group-label" id="nav-follow-up">{% translate "Follow-up" %}</span>
              <ul aria-labelledby="nav-follow-up"><li><a href="{% url 'catalogue:manage_list' %}">{% translate "Publish good practice" %}</a></li></ul></li>
          {% endif %}
          <li class="nav-group"><span class="nav-group-label" id="nav-apply">{% translate "Grants" %}</span>
            <ul aria-labelledby="nav-apply">
              <li><a href="{% url 'home' %}">{% translate "Open calls" %}</a></li>
              <li><a href="{% url 'catalogue:practice_list' %}">{% translate "Good practice" %}</a></li>
              {% if user.is_authenticated and is_applicant %}<li><a href="{% url 'grants:my_applications' %}">{% translate "My applications" %}</a></li>{% endif %}
            </ul></li>
        </ul>
      </nav>
    </div>
  </header>
  <main id="main" class="{{ wrap_class }}" tabindex="-1">
    {% if messages %}
      <div class="messages">
        {% for message in messages %}{% if message.level == DEFAULT_MESSAGE_LEVELS.ERROR %}
          <p class="message message-{{ message.tags }}" role="alert" tabindex="-1" autofocus>{{ message }}</p>
        {% else %}<p class="message message-{{ message.tags }}" role="status">{{ message }}</p>{% endif %}{% endfor %}
      </div>
    {% endif %}
    {% block content %}{% endblock %}
  </main>
  <footer class="site-footer">
    <div class="{{ wrap_class }}">
      <p>{% translate "Potten – grants for dialogue and collaboration." %}
         {% if user.is_authenticated %}{% blocktranslate with name=user.get_full_name %}Logged in as {{ name }}.{% endblocktranslate %}{% endif %}</p>
      <p><a href="{% url 'catalogue:practice_list' %}">{% translate "Good practice" %}</a> · <a href="{% url 'catalogue:practice_map' %}">{% translate "Map of the municipalities" %}</a> · <a href="{% url 'catalogue:opendata' %}">{% translate "Open data" %}</a> · <a href="{% url 'grants:accessibility' %}">{% translate "Accessibility statement" %}</a></p>
    </div>
  </footer>
  <script src="{% static 'js/tables.js' %}" defer></script>
  {% block extra_body %}{% endblock %}
</body>
</html>
"""

PERSONAS = ["anonymous", "no_role", roles.APPLICANT, roles.CASE_OFFICER, roles.SECRETARY, roles.REVIEWER,
            roles.STEERING_GROUP, "officer_and_reviewer", "own_publish_permission", "own_organisations_permission",
            "superuser", "staff_superuser_in_secretary_group"]


def person(persona: str, name: str):
    if persona == "anonymous":
        return AnonymousUser()
    role = persona if persona in roles.PERMISSIONS else None
    user = UserFactory(role=role, full_name=name)
    if persona == "officer_and_reviewer":
        user.groups.add(*roles.Group.objects.filter(name__in=[roles.CASE_OFFICER, roles.REVIEWER]))
    elif persona == "own_publish_permission":
        user.user_permissions.add(Permission.objects.get(codename="publish_practice"))
    elif persona == "own_organisations_permission":
        user.user_permissions.add(Permission.objects.get(codename="manage_organisations"))
    elif persona == "superuser":
        User.objects.filter(pk=user.pk).update(is_superuser=True, is_staff=True)
    elif persona == "staff_superuser_in_secretary_group":
        user.groups.add(roles.Group.objects.get(name=roles.SECRETARY))
        User.objects.filter(pk=user.pk).update(is_superuser=True, is_staff=True)
    return user


def request_for(user, path: str, with_messages: bool):
    request = RequestFactory().get(path)
    request.session = SessionStore()
    request.user = user if isinstance(user, AnonymousUser) else User.objects.get(pk=user.pk)  # as a request loads it
    request._messages = default_storage(request)
    if with_messages:
        request._messages.add(message_levels.ERROR, HOSTILE)
        request._messages.add(message_levels.SUCCESS, "Sparat.")
    return request


def render_both(user, path: str, *, with_messages: bool = False, context=None) -> tuple[str, str, int, int]:
    """The old template's page and the new one, with the same CSRF token, and the queries each took."""
    context = {"csrf_token": "T0KEN<&>", **(context or {})}
    with CaptureQueriesContext(connection) as old_queries:
        old = engines["django"].from_string(OLD_BASE).render(context, request_for(user, path, with_messages))
    with CaptureQueriesContext(connection) as new_queries:
        new = get_template("base.html").render(context, request_for(user, path, with_messages))
    return old, new, len(old_queries), len(new_queries)


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_the_frame_is_what_the_template_wrote(persona, language):
    user = person(persona, HOSTILE)
    for path, with_messages in [("/", False), (HOSTILE_PATH, True)]:
        with translation.override(language):
            old, new, old_queries, new_queries = render_both(user, path, with_messages=with_messages)
        assert new == old, (persona, language, path)
        assert new_queries == old_queries
    assert 'value="T0KEN&lt;&amp;&gt;"' in new
    assert "<script>alert" not in new
    if persona != "anonymous":
        assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#x27;&amp;amp; %(name)s %% {0}" in new  # the name


@pytest.mark.parametrize("language", ["sv", "en"])
def test_each_role_gets_its_own_menu_whichever_was_written_first(language):
    # given: every role's frame written once in this process, in turn
    people = {persona: person(persona, f"Namn {persona}") for persona in PERSONAS}
    for _round in range(2):
        for persona, user in people.items():
            with translation.override(language):
                old, new, _old_queries, _new_queries = render_both(user, "/sida/")
            assert new == old, (persona, language)
    # then: the menus differ as the roles do
    with translation.override(language):
        secretary = render_both(people[roles.SECRETARY], "/")[1]
        applicant = render_both(people[roles.APPLICANT], "/")[1]
    assert reverse("workflows:people") in secretary and reverse("workflows:people") not in applicant
    assert reverse("grants:my_applications") in applicant and reverse("grants:my_applications") not in secretary


def test_a_view_that_sets_its_own_frame_values_gets_them_as_before():
    officer = person(roles.CASE_OFFICER, "Hugo")
    context = {"wrap_class": "wrap <narrow>", "is_reviewer": True, "user": User.objects.get(pk=officer.pk)}
    old, new, old_queries, new_queries = render_both(AnonymousUser(), "/", context=context)
    assert new == old and new_queries == old_queries
    assert 'class="wrap &lt;narrow&gt; header-row"' in new
    assert reverse("reviewers:home") in new and reverse("account_logout") in new


def test_a_real_page_shows_the_frame_with_its_own_csrf_token(client):
    secretary = person(roles.SECRETARY, "Selma")
    client.force_login(secretary)
    page = client.get(reverse("workflows:inbox") + "?a=1&b=2")
    assert page.status_code == 200
    html = page.content.decode()
    token = str(page.context["csrf_token"])
    assert html.count(f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">') >= 2  # log out, language
    assert f'<input name="next" type="hidden" value="{reverse("workflows:inbox")}?a=1&amp;b=2">' in html
    assert reverse("workflows:people") in html and "Inloggad som Selma." in html
