"""Optimistic locking for editable aggregates: two secretaries will edit the same fiche.

A writer sends back the `lock_version` it read; the update only applies if nobody saved in between
(`UPDATE … WHERE lock_version = n`). Otherwise ConcurrentEditError carries what the other writer changed,
so the UI can show it instead of overwriting, and the API answers 409.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db import models


class LockVersioned(models.Model):
    lock_version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        abstract = True


@dataclass
class ConcurrentEditError(Exception):
    current_version: int
    # field name -> (value the writer started from, value saved meanwhile by someone else)
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"edited concurrently (now at version {self.current_version}): {sorted(self.changes)}"


def conditional_update(instance: LockVersioned, *, expected_version: int, fields: list[str]) -> None:
    """Write `fields` of `instance` only if the row is still at `expected_version`; bump the version."""
    model = type(instance)
    values = {name: getattr(instance, name) for name in fields}
    updated = model.objects.filter(pk=instance.pk, lock_version=expected_version).update(
        lock_version=expected_version + 1, **values
    )
    if not updated:
        current = model.objects.get(pk=instance.pk)
        raise ConcurrentEditError(current_version=current.lock_version)
    instance.lock_version = expected_version + 1
