from django.db import models
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process

from grants.models import Application


class ApplicationProcess(Process):
    """The viewflow process of one application: exactly one per application."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="process",
                                       verbose_name=_("application"))

    class Meta:
        verbose_name = _("application process")
        verbose_name_plural = _("application processes")
