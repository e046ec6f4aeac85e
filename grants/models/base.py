"""What every Potten model shares: the money field size and the append-only query sets."""

from django.core.exceptions import ValidationError
from django.db import models


MONEY = {"max_digits": 12, "decimal_places": 2}


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk writes bypass save() and delete(), so an append-only record refuses them here too.

    Only `mutable_fields` may be bulk-updated (none, unless a subclass names them). The database refuses
    the same on its own (triggers in migration 0010), whatever code or SQL tries.
    """

    mutable_fields: frozenset = frozenset()

    def update(self, **kwargs):
        if not set(kwargs) <= self.mutable_fields:
            raise ValidationError(f"{self.model._meta.verbose_name} is append-only: it cannot be changed.")
        return super().update(**kwargs)

    def delete(self):
        raise ValidationError(f"{self.model._meta.verbose_name} is append-only: it cannot be deleted.")

    delete.alters_data = True
    delete.queryset_only = True


class DecisionQuerySet(AppendOnlyQuerySet):
    mutable_fields = frozenset({"status", "approved_by", "approved_at", "letter", "letter_sha256"})
