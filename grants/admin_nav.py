"""The admin's navigation sidebar (every admin page), written in Python: what Django's admin/app_list.html writes.

The sidebar lists every model of every app the person may see, each with its links; through the template engine
that is some 30 rows of a dozen look-ups, conditions and translations each, on every admin page (at 100,000
applications a tenth of the application list's time). Here it is written from the same `available_apps`, with each
fixed text translated once per page. templates/admin/nav_sidebar.html is Django's, with its include of
admin/app_list.html replaced by the tag that calls this; tests/test_admin.py compares the two, character for
character.
"""

from urllib.parse import quote

from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from common.html import conditional_escape as escape


def _current(url, path: str) -> bool:
    """{% if url in request.path|urlencode %}: False when there is no url."""
    return url is not None and str(url) in path


def _model_row(app_label, model, path: str, show_changelinks: bool, texts: dict) -> str:
    name = escape(model["name"])
    model_name = escape(str(model["object_name"]).lower())
    row_id = f"{app_label}-{model_name}"
    admin_url = model.get("admin_url")
    current = _current(admin_url, path)
    if admin_url:
        aria = ' aria-current="page"' if current else ""
        link = f'\n                  <a href="{escape(admin_url)}"{aria}>{name}</a>\n                '
    else:
        link = f"\n                  {name}\n                "
    add_url = model.get("add_url")
    if add_url:
        add = (f'\n                <td><a href="{escape(add_url)}" class="addlink" aria-describedby="{row_id}">'
               f'{texts["add"]}</a></td>\n              ')
    else:
        add = "\n                <td></td>\n              "
    if admin_url and show_changelinks:
        kind, label = ("viewlink", texts["view"]) if model.get("view_only") else ("changelink", texts["change"])
        change = (f'\n                \n                  <td><a href="{escape(admin_url)}" class="{kind}" '
                  f'aria-describedby="{row_id}">{label}</a></td>\n                \n              ')
    elif show_changelinks:
        change = "\n                <td></td>\n              "
    else:
        change = ""
    return (f'\n          \n            <tr class="model-{model_name}{" current-model" if current else ""}">\n'
            f'              <th scope="row" id="{row_id}">\n                {link}\n              </th>\n\n'
            f"              {add}\n\n              {change}\n            </tr>\n          \n        ")


def app_list_html(app_list, path: str, *, show_changelinks: bool) -> str:
    """{% include "admin/app_list.html" with app_list=… show_changelinks=… %} for a request to `path`."""
    if not app_list:
        return mark_safe(  # noqa: S308 -- a translated text, escaped
            f"\n\n\n  <p>{escape(gettext('You don’t have permission to view or edit anything.'))}</p>\n\n")
    path = quote(path, safe="/")  # request.path|urlencode
    texts = {"add": escape(gettext("Add")), "view": escape(gettext("View")), "change": escape(gettext("Change"))}
    head = (f'<thead class="visually-hidden">\n          <tr>\n'
            f'            <th scope="col">{escape(gettext("Model name"))}</th>\n'
            f'            <th scope="col">{escape(gettext("Add link"))}</th>\n'
            f'            <th scope="col">{escape(gettext("Change or view list link"))}</th>\n'
            f"          </tr>\n        </thead>")
    title = gettext("Models in the %(name)s application")
    parts = ["\n\n\n  "]
    for app in app_list:
        app_label = escape(app["app_label"])
        name = escape(app["name"])
        rows = "".join(_model_row(app_label, model, path, show_changelinks, texts) for model in app["models"])
        parts.append(
            f'\n    <div class="app-{app_label} module{" current-app" if _current(app["app_url"], path) else ""}">\n'
            f"      <table>\n        <caption>\n"
            f'          <a href="{escape(app["app_url"])}" class="section" title="{title % {"name": name}}">'
            f"{name}</a>\n        </caption>\n        {head}\n        {rows}\n      </table>\n    </div>\n  ")
    parts.append("\n\n")
    return mark_safe("".join(parts))  # noqa: S308 -- every part is escaped
