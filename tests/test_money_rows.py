"""The payments page's rows written in Python (grants/views/money_rows.py) are what the template wrote: the rows
with forms (to pay, to be paid back) and the histories (paid, paid back), empty or not."""

import pytest
from django.core.management import call_command
from django.template import engines
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe

from accounts.models import User
from grants.models import Payment, Repayment
from grants.views.money_rows import form_texts, history_rows_html, money_row_html

pytestmark = pytest.mark.django_db

# The rows as grants/payments.html wrote them before they were written in Python.
PLANNED = """{% load i18n %}{% translate "Paid on" as paid_on_label %}{% translate "Reference" as reference_label %}{% translate "Paid" as paid_button %}<tr><td><a href="{{ payment.case_url }}">{{ payment.case_label }}</a></td>
      <td>{{ payment.organisation }}</td><td>{{ payment.choice_text }}</td>
      <td class="num">{{ payment.amount_text }}</td><td>{{ payment.day_text }}</td>
      {% if may_pay %}<td>
        <form method="post" action="{{ payment.action_url }}" class="inline-fields">{{ csrf_input }}
          <label for="paid_on_{{ payment.pk_text }}">{{ paid_on_label }}<span class="visually-hidden"> {{ payment.case_number }}</span></label>
          <input type="date" id="paid_on_{{ payment.pk_text }}" name="paid_on" value="{{ today }}" required>
          <label for="reference_{{ payment.pk_text }}">{{ reference_label }}<span class="visually-hidden"> {{ payment.case_number }}</span></label>
          <input type="text" id="reference_{{ payment.pk_text }}" name="reference" maxlength="100">
          <button type="submit" class="button secondary">{{ paid_button }}<span class="visually-hidden"> {{ payment.case_number }}</span></button>
        </form></td>{% endif %}
    </tr>"""
CLAIMS = """{% load i18n %}{% translate "Received on" as received_on_label %}{% translate "Reference" as reference_label %}{% translate "Received" as received_button %}<tr><td><a href="{{ claim.case_url }}">{{ claim.case_label }}</a></td>
      <td>{{ claim.organisation }}</td><td>{{ claim.choice_text }}</td>
      <td class="num">{{ claim.amount_text }}</td><td>{{ claim.day_text }}{% if claim.overdue %} <strong>({% translate "overdue" %})</strong>{% endif %}</td>
      {% if may_pay %}<td>
        <form method="post" action="{{ claim.action_url }}" class="inline-fields">{{ csrf_input }}
          <label for="received_on_{{ claim.pk_text }}">{{ received_on_label }}<span class="visually-hidden"> {{ claim.case_number }}</span></label>
          <input type="date" id="received_on_{{ claim.pk_text }}" name="received_on" value="{{ today }}" required>
          <label for="repayment_reference_{{ claim.pk_text }}">{{ reference_label }}<span class="visually-hidden"> {{ claim.case_number }}</span></label>
          <input type="text" id="repayment_reference_{{ claim.pk_text }}" name="reference" maxlength="100">
          <button type="submit" class="button secondary">{{ received_button }}<span class="visually-hidden"> {{ claim.case_number }}</span></button>
        </form></td>{% endif %}
    </tr>"""
CSRF = mark_safe('<input type="hidden" name="csrfmiddlewaretoken" value="x">')  # as csrf_input writes it


@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_payment_row_written_in_python_is_what_the_template_wrote(client, language):
    call_command("generate_load", applications=100, funds=2, years=1, verbosity=0)
    payment = Payment.objects.filter(status=Payment.Status.PLANNED).select_related("application").first()
    payment.application.title = "<b>&</b>"
    payment.application.case_number = None
    payment.application.save(update_fields=["title", "case_number"])
    overdue = Repayment.objects.create(application=payment.application, reason=Repayment.Reason.choices[0][0],
                                       amount=100, due_on="2020-01-01", claimed_by=User.objects.first())
    client.force_login(User.objects.get(email="sekreterare@example.org"))
    client.cookies["django_language"] = language
    response = client.get(reverse("grants:payments"))
    rows = {"planned": list(response.context["planned"]), "claims": list(response.context["claims"])}
    assert rows["planned"] and any(row.pk == overdue.pk and row.overdue for row in rows["claims"])
    with translation.override(language):
        for kind, source, name in (("planned", PLANNED, "payment"), ("claims", CLAIMS, "claim")):
            template = engines["django"].from_string(source)
            texts = form_texts(kind)
            for row in rows[kind]:
                for may_pay in (True, False):
                    context = {name: row, "may_pay": may_pay, "csrf_input": CSRF, "today": "2026-12-03"}
                    written = money_row_html(row, texts=texts, may_pay=may_pay, csrf_input=CSRF, today="2026-12-03")
                    assert written == template.render(context), (kind, row.pk, may_pay)
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in response.content.decode()


# The histories' rows as grants/payments.html wrote them before they were written in Python.
HISTORY = """{% load i18n %}{% for payment in rows %}
    <tr><td><a href="{{ payment.case_url }}">{{ payment.case_label }}</a></td>
      <td>{{ payment.organisation }}</td><td>{{ payment.choice_text }}</td>
      <td class="num">{{ payment.amount_text }}</td><td>{{ payment.day_text }}</td><td>{{ payment.reference }}</td></tr>
  {% empty %}<tr><td colspan="6">{% translate "Nothing yet." %}</td></tr>{% endfor %}"""


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_history_rows_written_in_python_are_what_the_template_wrote(client, language):
    call_command("generate_load", applications=100, funds=2, years=1, verbosity=0)
    payment = Payment.objects.filter(status=Payment.Status.PAID).select_related("application").order_by(
        "-paid_on", "-pk").first()  # the first row of the first page
    Payment.objects.filter(pk=payment.pk).update(reference="<script>alert(1)</script>\"'&")
    payment.application.title = "<b>&</b>"
    payment.application.case_number = None
    payment.application.save(update_fields=["title", "case_number"])
    client.force_login(User.objects.get(email="sekreterare@example.org"))
    client.cookies["django_language"] = language
    response = client.get(reverse("grants:payments"))
    template = engines["django"].from_string(HISTORY)
    paid, received = response.context["paid"], response.context["received"]
    assert paid.object_list and not received.object_list  # the generated history has no repayment received
    with translation.override(language):
        for page in (paid, received):
            assert page.rows_html == template.render({"rows": page.object_list}), page.param
            assert history_rows_html(page.object_list, translation.gettext("Nothing yet.")) == page.rows_html
    html = response.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#x27;&amp;" in html and "<script>alert" not in html
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in html
