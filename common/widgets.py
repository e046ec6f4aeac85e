"""The form renderer: Django's own, with its most used widget templates written in Python.

Django renders a widget through its template engine, and a select list or a group of radio buttons through one
template (and two includes) per option: a select of 50 funds costs more than the page's table of 50 rows.
`WidgetRenderer` writes these widgets in Python, character for character what Django's templates write
(django/forms/templates/django/forms/widgets/: select.html, select_option.html, the input.html family,
input_option.html, multiple_input.html, textarea.html, attrs.html), from the same context the widget builds.
Every other template (and any widget with a template of its own) goes to Django's renderer unchanged.
tests/test_widgets.py renders each of them both ways and compares the output.
"""

from html import escape

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime

WIDGETS = "django/forms/widgets/"


def _text(value) -> str:
    """{{ value }} in a template: localized, then escaped (unless already safe). A plain str (most labels, names and
    values) is neither localized nor changed by template_localtime: escaped straight away."""
    if type(value) is str:
        return SafeString(escape(value))
    return conditional_escape(localize(template_localtime(value)))


def _attrs(attrs) -> str:
    """attrs.html: ` name="value"` each; True writes the name alone, False nothing."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {_text(name)}")
        else:
            parts.append(f' {_text(name)}="{conditional_escape(value)}"')
    return "".join(parts)


def _input(widget) -> str:
    """input.html."""
    value = widget["value"]
    shown = f' value="{conditional_escape(value)}"' if value is not None else ""
    return f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{shown}{_attrs(widget["attrs"])}>\n'


def _input_option(widget) -> str:
    """input_option.html."""
    if not widget.get("wrap_label"):
        return _input(widget) + "\n"
    target = widget["attrs"].get("id")
    label_for = f' for="{_text(target)}"' if target else ""
    return f"<label{label_for}>{_input(widget)} {_text(widget['label'])}</label>\n"


def _option(widget) -> str:
    """select_option.html."""
    return (f'<option value="{conditional_escape(widget["value"])}"{_attrs(widget["attrs"])}>'
            f'{_text(widget["label"])}</option>\n')


def _included(option) -> str | None:
    """{% include option.template_name with widget=option %}, or None for a template not written here."""
    writer = WRITERS.get(option["template_name"])
    return writer(option) if writer is not None else None


def _select(widget) -> str | None:
    """select.html."""
    parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in group_choices:
            text = _included(option)
            if text is None:
                return None
            parts.append(f"\n  {text}")
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>\n")
    return "".join(parts)


def _multiple_input(widget) -> str | None:
    """multiple_input.html."""
    target, css = widget["attrs"].get("id"), widget["attrs"].get("class")
    parts = ["<div", f' id="{_text(target)}"' if target else "", f' class="{_text(css)}"' if css else "", ">"]
    for group, options, _index in widget["optgroups"]:
        if group:
            parts.append(f"\n  <div><label>{_text(group)}</label>")
        for option in options:
            text = _included(option)
            if text is None:
                return None
            parts.append(f"<div>\n    {text}</div>")
        if group:
            parts.append("\n  </div>")
    parts.append("\n</div>\n")
    return "".join(parts)


def _textarea(widget) -> str:
    """textarea.html."""
    value = _text(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>\n'


def _including(writer):
    """A template that is one include and a line break (text.html, radio_option.html, radio.html, …)."""
    def write(widget):
        text = writer(widget)
        return None if text is None else text + "\n"
    return write


INPUTS = ("text", "number", "email", "url", "password", "hidden", "date", "datetime", "time", "search", "tel",
          "color", "checkbox", "file")
WRITERS = {
    WIDGETS + "input.html": _input,
    **{WIDGETS + f"{name}.html": _including(_input) for name in INPUTS},
    WIDGETS + "input_option.html": _input_option,
    WIDGETS + "checkbox_option.html": _including(_input_option),
    WIDGETS + "radio_option.html": _including(_input_option),
    WIDGETS + "select.html": _select,
    WIDGETS + "select_option.html": _option,
    WIDGETS + "multiple_input.html": _multiple_input,
    WIDGETS + "radio.html": _including(_multiple_input),
    WIDGETS + "checkbox_select.html": _including(_multiple_input),
    WIDGETS + "textarea.html": _textarea,
}


class WidgetRenderer(DjangoTemplates):
    """Django's template renderer; the widget templates above written in Python (the same text, stripped as
    Django strips a rendered template)."""

    def render(self, template_name, context, request=None):
        writer = WRITERS.get(template_name)
        if writer is not None and "widget" in context:
            text = writer(context["widget"])
            if text is not None:
                return text.strip()
        return super().render(template_name, context, request=request)
