"""The frame of every page (templates/base.html): the skip link, the header with the account links, the language
switch and the main menu, and the footer, written in Python.

Every page a person opens renders them, and through the template they cost some 2-3 ms a request (about twenty
{% url %} and twenty-five {% translate %} tags, the language list); written here some 0.15 ms, most of it the
CSRF token Django masks afresh for every page.
What they show depends on the language, the URLs and the role flags of accounts.context_processors; that part
is written once per process for each combination (``_header_parts``, ``_footer_parts``: a few dozen at most) and
the three things that differ between requests are put in at each request: the CSRF input, the page's own path
(the language switch's ``next``) and the person's name, each escaped.

The text is exactly what the template wrote (tests/test_navigation.py compares the two for every role, in
Swedish and English, with hostile names and paths). The values are read from the template's context as the
template read them (``{{ user.is_authenticated }}``, ``{% if perms.grants.manage_organisations %}``, …), so a
view that puts its own ``wrap_class`` or ``user`` in its context gets what it got before, and a flag that the
template did not read is not read here either (the roles are read only when the menu needs them).
"""

from functools import lru_cache

from django.conf import settings
from django.template import Variable, VariableDoesNotExist
from django.template.base import render_value_in_context
from django.template.defaulttags import CsrfTokenNode
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext as _

from common.html import conditional_escape

# Where the header's parts that differ from request to request go.
CSRF, NEXT = "csrf", "next"

_VARIABLES = {name: Variable(name) for name in (
    "user.is_authenticated", "is_staff_role", "perms.grants.manage_organisations", "can_manage_personal_data",
    "is_reviewer", "can_see_indicators", "perms.catalogue.publish_practice", "is_applicant", "wrap_class",
    "request.get_full_path", "user.get_full_name")}


def _value(context, name: str):
    """What ``{% if name %}`` sees: the value, or None when the context has no such variable."""
    try:
        return _VARIABLES[name].resolve(context)
    except VariableDoesNotExist:
        return None


def _text(context, name: str) -> str:
    """What ``{{ name }}`` writes (escaped), "" when the context has no such variable."""
    try:
        return render_value_in_context(_VARIABLES[name].resolve(context), context)
    except VariableDoesNotExist:
        return ""


def _texts() -> dict[str, str]:
    """Every text of the frame, translated (the active language) and escaped, as ``{% translate %}`` writes it; by
    its message. Written out here, not in the f-strings below: makemessages does not look inside an f-string."""
    return {message: conditional_escape(text) for message, text in {
        "Accessibility statement": _("Accessibility statement"),
        "Budgets": _("Budgets"),
        "Cases": _("Cases"),
        "Casework": _("Casework"),
        "Create account": _("Create account"),
        "E-mail settings": _("E-mail settings"),
        "E-mails not delivered": _("E-mails not delivered"),
        "Follow-up": _("Follow-up"),
        "Good practice": _("Good practice"),
        "Grants": _("Grants"),
        "Indicators": _("Indicators"),
        "Log in": _("Log in"),
        "Log out": _("Log out"),
        "Main menu": _("Main menu"),
        "Map of the municipalities": _("Map of the municipalities"),
        "Money": _("Money"),
        "My applications": _("My applications"),
        "My data": _("My data"),
        "My reviews": _("My reviews"),
        "Open calls": _("Open calls"),
        "Open data": _("Open data"),
        "Organisations": _("Organisations"),
        "Payments": _("Payments"),
        "Personal data": _("Personal data"),
        "Potten – grants for dialogue and collaboration.": _("Potten – grants for dialogue and collaboration."),
        "Publish good practice": _("Publish good practice"),
        "Reviewing": _("Reviewing"),
        "Skip to content": _("Skip to content"),
        "Tasks": _("Tasks"),
        "Two-factor authentication": _("Two-factor authentication"),
    }.items()}


def _url(name: str) -> str:
    """What ``{% url name %}`` writes."""
    return conditional_escape(reverse(name))


def _join(pieces) -> tuple:
    """The pieces with neighbouring texts joined: texts, and between them the places to fill in at each request
    (CSRF, NEXT), each given as a one-element tuple."""
    parts, text = [], []
    for piece in pieces:
        if isinstance(piece, tuple):
            parts += ["".join(text), piece]
            text = []
        else:
            text.append(piece)
    return (*parts, "".join(text))


def _fill(parts: tuple, values: dict) -> SafeString:
    return SafeString("".join(values[part[0]] if isinstance(part, tuple) else part for part in parts))


@lru_cache(maxsize=256)
def _header_parts(language, script_prefix, urlconf, wrap, authenticated, staff, organisations, personal_data,
                  reviewer, indicators, publish, applicant) -> tuple:
    """The header as base.html wrote it, for these flags (the arguments: what it depends on besides the request)."""
    del language, script_prefix, urlconf  # what gettext and reverse read: part of the key only
    csrf, next_path, t = (CSRF,), (NEXT,), _texts()
    out = [f'<a class="skip-link" href="#main">{t["Skip to content"]}</a>\n'
           f'  <header class="site-header">\n'
           f'    <div class="{wrap} header-row">\n'
           f'      <a class="brand" href="{_url("home")}">Potten</a>\n'
           f'      <div class="account-links">\n'
           f'        ']
    if authenticated:
        out += [f'\n          <a href="{_url("workflows:my_data")}">{t["My data"]}</a>\n'
                f'          <a href="{_url("notifications:settings")}">{t["E-mail settings"]}</a>\n'
                f'          <a href="{_url("mfa_index")}">{t["Two-factor authentication"]}</a>\n'
                f'          <form method="post" action="{_url("account_logout")}" class="inline-form">', csrf,
                f'\n            <button type="submit" class="link-button">{t["Log out"]}</button>\n'
                f'          </form>\n'
                f'        ']
    else:
        out += [f'\n          <a href="{_url("account_login")}">{t["Log in"]}</a>\n'
                f'          <a href="{_url("account_signup")}">{t["Create account"]}</a>\n'
                f'        ']
    out += [f'\n        <form action="{_url("set_language")}" method="post" class="lang-form">', csrf,
            '\n          <input name="next" type="hidden" value="', next_path, '">\n'
            '          \n'
            '          ']
    current = get_language()
    for code, _name in settings.LANGUAGES:  # {% get_available_languages %}, {% get_language_info_list %}
        info = get_language_info(str(code))
        if info["code"] != current:
            code = conditional_escape(info["code"])
            out.append(f'\n            <button type="submit" name="language" value="{code}" lang="{code}" '
                       f'class="link-button">{conditional_escape(capfirst(info["name_local"]))}</button>\n'
                       f'          ')
    out.append(f'\n        </form>\n'
               f'      </div>\n'
               f'    </div>\n'
               f'    <div class="{wrap}">\n'
               f'      <nav aria-label="{t["Main menu"]}" class="main-nav">\n'
               f'        <ul class="nav">\n'
               f'          ')
    if staff:
        organisations_item = (f'<li><a href="{_url("grants:organisation_staff_list")}">{t["Organisations"]}</a></li>'
                              if organisations else "")
        people_item = f'<li><a href="{_url("workflows:people")}">{t["Personal data"]}</a></li>' if personal_data else ""
        out.append(f'\n            <li class="nav-group"><span class="nav-group-label" id="nav-casework">'
                   f'{t["Casework"]}</span>\n'
                   f'              <ul aria-labelledby="nav-casework">\n'
                   f'                <li><a href="{_url("workflows:inbox")}">{t["Tasks"]}</a></li>\n'
                   f'                <li><a href="{_url("workflows:case_list")}">{t["Cases"]}</a></li>\n'
                   f'                {organisations_item}\n'
                   f'                <li><a href="{_url("notifications:outbox")}">{t["E-mails not delivered"]}</a></li>\n'
                   f'                {people_item}\n'
                   f'              </ul></li>\n'
                   f'            <li class="nav-group"><span class="nav-group-label" id="nav-money">{t["Money"]}</span>\n'
                   f'              <ul aria-labelledby="nav-money">\n'
                   f'                <li><a href="{_url("grants:payments")}">{t["Payments"]}</a></li>\n'
                   f'                <li><a href="{_url("grants:fund_years")}">{t["Budgets"]}</a></li>\n'
                   f'              </ul></li>\n'
                   f'          ')
    out.append('\n          ')
    if reviewer:
        out.append(f'\n            <li class="nav-group"><span class="nav-group-label" id="nav-reviewing">'
                   f'{t["Reviewing"]}</span>\n'
                   f'              <ul aria-labelledby="nav-reviewing"><li><a href="{_url("reviewers:home")}">'
                   f'{t["My reviews"]}</a></li></ul></li>\n'
                   f'          ')
    out.append('\n          ')
    follow_up = ('\n            <li class="nav-group"><span class="nav-group-label" id="nav-follow-up">'
                 f'{t["Follow-up"]}</span>\n'
                 '              <ul aria-labelledby="nav-follow-up">')
    publish_item = f'<li><a href="{_url("catalogue:manage_list")}">{t["Publish good practice"]}</a></li>'
    if indicators:
        out.append(f'{follow_up}<li><a href="{_url("grants:indicators")}">{t["Indicators"]}</a></li>\n'
                   f'                {publish_item if publish else ""}</ul></li>\n'
                   f'          ')
    elif publish:
        out.append(f'{follow_up}{publish_item}</ul></li>\n'
                   f'          ')
    my_applications = (f'<li><a href="{_url("grants:my_applications")}">{t["My applications"]}</a></li>'
                       if authenticated and applicant else "")
    out.append(f'\n          <li class="nav-group"><span class="nav-group-label" id="nav-apply">{t["Grants"]}</span>\n'
               f'            <ul aria-labelledby="nav-apply">\n'
               f'              <li><a href="{_url("home")}">{t["Open calls"]}</a></li>\n'
               f'              <li><a href="{_url("catalogue:practice_list")}">{t["Good practice"]}</a></li>\n'
               f'              {my_applications}\n'
               f'            </ul></li>\n'
               f'        </ul>\n'
               f'      </nav>\n'
               f'    </div>\n'
               f'  </header>')
    return _join(out)


@lru_cache(maxsize=64)
def _footer_parts(language, script_prefix, urlconf, wrap, authenticated) -> tuple[str, str, str]:
    """The footer as base.html wrote it: the text before the name, the translated "Logged in as …" to fill in (""
    for a visitor not logged in) and the text after it."""
    del language, script_prefix, urlconf
    t = _texts()
    return (f'<footer class="site-footer">\n'
            f'    <div class="{wrap}">\n'
            f'      <p>{t["Potten – grants for dialogue and collaboration."]}\n'
            f'         ',
            _("Logged in as %(name)s.") if authenticated else "",
            f'</p>\n'
            f'      <p><a href="{_url("catalogue:practice_list")}">{t["Good practice"]}</a> · '
            f'<a href="{_url("catalogue:practice_map")}">{t["Map of the municipalities"]}</a> · '
            f'<a href="{_url("catalogue:opendata")}">{t["Open data"]}</a> · '
            f'<a href="{_url("grants:accessibility")}">{t["Accessibility statement"]}</a></p>\n'
            f'    </div>\n'
            f'  </footer>')


def _key(wrap: str, authenticated: bool) -> tuple:
    """What a frame depends on besides the flags: the language, the URLs, the width and whether one is logged in."""
    return get_language(), get_script_prefix(), get_urlconf(), wrap, authenticated


def header_html(context) -> SafeString:
    """The skip link and the header with the main menu (``{% site_header %}`` in base.html)."""
    authenticated = bool(_value(context, "user.is_authenticated"))
    staff = bool(_value(context, "is_staff_role"))
    indicators = bool(_value(context, "can_see_indicators"))
    parts = _header_parts(
        *_key(_text(context, "wrap_class"), authenticated), staff,
        staff and bool(_value(context, "perms.grants.manage_organisations")),
        staff and bool(_value(context, "can_manage_personal_data")),
        bool(_value(context, "is_reviewer")), indicators,
        bool(_value(context, "perms.catalogue.publish_practice")),
        authenticated and bool(_value(context, "is_applicant")))
    return _fill(parts, {CSRF: CsrfTokenNode().render(context), NEXT: _text(context, "request.get_full_path")})


def footer_html(context) -> SafeString:
    """The footer (``{% site_footer %}`` in base.html)."""
    authenticated = bool(_value(context, "user.is_authenticated"))
    before, logged_in, after = _footer_parts(*_key(_text(context, "wrap_class"), authenticated))
    if logged_in:  # {% blocktranslate with name=user.get_full_name %}: the translation as it is, the name escaped
        logged_in %= {"name": _text(context, "user.get_full_name")}
    return SafeString(before + logged_in + after)


def clear(**kwargs) -> None:
    """Forget the frames written (a setting changed: only tests change settings while running)."""
    _header_parts.cache_clear()
    _footer_parts.cache_clear()
