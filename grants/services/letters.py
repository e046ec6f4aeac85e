"""The decision letter (beslutsbrev): a PDF in Swedish, generated once and stored with the decision."""

import hashlib
import io
import uuid

from django.core.files.base import ContentFile
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from xml.sax.saxutils import escape

from common.formatting import money


def _kr(amount) -> str:
    return money(amount)


def _text(value: str) -> str:
    return escape(value or "").replace("\n", "<br/>")


def decision_letter_pdf(decision, *, advance=None) -> bytes:
    """Render the letter for an unsaved or saved decision. Always in Swedish, the fund's language."""
    application = decision.application
    fund = application.call.fund
    with translation.override("sv"):
        styles = getSampleStyleSheet()
        body = ParagraphStyle("body", parent=styles["BodyText"], fontName="Helvetica", fontSize=10.5, leading=14)
        small = ParagraphStyle("small", parent=body, fontSize=9, textColor="#444444")
        h1 = ParagraphStyle("h1", parent=styles["Heading1"], fontName="Helvetica-Bold", fontSize=16)
        h2 = ParagraphStyle("h2", parent=styles["Heading2"], fontName="Helvetica-Bold", fontSize=12)
        decided = timezone.localtime(decision.decided_at)
        granted = decision.outcome == decision.Outcome.GRANTED
        story = [
            Paragraph(_text(fund.name), small),
            Paragraph(_("Decision on your application") if not decision.corrects_id
                      else _("Corrected decision on your application"), h1),
            Table(
                [[_("Case number"), application.case_number or "–"],
                 [_("Date of decision"), date_format(decided, "j F Y")],
                 [_("Applicant"), f"{application.organisation.name} ({application.organisation.org_number})"],
                 [_("Project"), application.title],
                 [_("Requested amount"), _kr(application.requested_amount or 0)]],
                colWidths=[45 * mm, 115 * mm],
                style=TableStyle([("FONTNAME", (0, 0), (0, -1), "Helvetica-Bold"),
                                  ("FONTNAME", (1, 0), (1, -1), "Helvetica"), ("FONTSIZE", (0, 0), (-1, -1), 10),
                                  ("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]),
            ),
            Spacer(1, 6 * mm),
            Paragraph(_("Decision"), h2),
        ]
        if granted:
            story.append(Paragraph(
                _("%(fund)s grants %(org)s %(amount)s for the project “%(title)s”.") % {
                    "fund": _text(fund.name), "org": _text(application.organisation.name),
                    "amount": _kr(decision.amount), "title": _text(application.title)}, body))
            if decision.amount < (application.requested_amount or 0):
                story.append(Paragraph(_("The grant is smaller than the amount you applied for."), body))
        else:
            story.append(Paragraph(_("%(fund)s rejects the application “%(title)s”.") % {
                "fund": _text(fund.name), "title": _text(application.title)}, body))
        if decision.motivation:
            story += [Paragraph(_("Motivation"), h2), Paragraph(_text(decision.motivation), body)]
        if granted:
            if decision.conditions:
                story += [Paragraph(_("Conditions"), h2), Paragraph(_text(decision.conditions), body)]
            story.append(Paragraph(_("Payment"), h2))
            if advance:
                story.append(Paragraph(_("%(advance)s is paid now as an advance. The rest, up to the granted amount, "
                                         "is paid when the final report has been approved.") % {"advance": _kr(advance)},
                                       body))
            else:
                story.append(Paragraph(_("The grant is paid when the final report has been approved."), body))
            if application.report_due_on:
                story += [Paragraph(_("Final report"), h2), Paragraph(
                    _("Send the final report in Potten no later than %(date)s. Money that is not used goes back "
                      "to the fund.") % {"date": date_format(application.report_due_on, "j F Y")}, body)]
        story += [Spacer(1, 8 * mm), Paragraph(
            _("Decided by %(name)s, project secretary.") % {"name": _text(decision.decided_by.get_full_name())}, body)]
        if decision.approved_by_id:
            story.append(Paragraph(_("Approved by %(name)s.") % {"name": _text(decision.approved_by.get_full_name())},
                                   body))
        if decision.corrects_id:
            story.append(Paragraph(_("This decision replaces the decision of %(date)s.") % {
                "date": date_format(timezone.localtime(decision.corrects.decided_at), "j F Y")}, small))

        buffer = io.BytesIO()
        doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=25 * mm, rightMargin=25 * mm, topMargin=20 * mm,
                                bottomMargin=20 * mm, title=_("Decision") + f" {application.case_number or ''}",
                                author=fund.name, lang="sv-SE")
        doc.build(story)
        return buffer.getvalue()


def decision_letter_attach(decision, *, advance=None) -> None:
    """Render the letter and put it on the (still unsaved, or pending) decision's letter field."""
    pdf = decision_letter_pdf(decision, advance=advance)
    decision.letter_sha256 = hashlib.sha256(pdf).hexdigest()
    decision.letter.save(f"{uuid.uuid4().hex}.pdf", ContentFile(pdf), save=False)
