"""Potten's records, one module per concern; every model is importable from `grants.models`.

base: money size, append-only query sets · funds: funds, fund years, calls · organisations: organisations,
contacts, invitations, join requests · applications: applications and their parts · attachments · checks:
the ex-ante check · decisions · money: ledger, budget changes, payments, repayments · reports: final
reports · audit: the case's events.
"""

from grants.models.base import AppendOnlyQuerySet, DecisionQuerySet, MONEY  # noqa: F401
from grants.models.funds import Municipality, Fund, FundYear, Call  # noqa: F401
from grants.models.organisations import Organisation, Membership, Invitation, JoinRequest, OrganisationEvent  # noqa: F401
from grants.models.applications import Application, Theme, ActivityLine, BudgetLine, Partner, CaseNumberCounter, StageCount  # noqa: F401,E501
from grants.models.attachments import attachment_key, Attachment  # noqa: F401
from grants.models.checks import ChecklistItem, ExAnteCheck, CheckItemResult  # noqa: F401
from grants.models.decisions import Decision  # noqa: F401
from grants.models.money import LedgerEntry, BudgetChange, Payment, Repayment  # noqa: F401
from grants.models.reports import FinalReport, FinalReportCost, FinalReportActivity, FinalReportDraft  # noqa: F401
from grants.models.audit import Event  # noqa: F401
