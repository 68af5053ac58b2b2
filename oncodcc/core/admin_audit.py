"""What an admin change did, for its audit event: the changed field names and, for the fields that grant rights
(role, superuser and staff flags, organisation, board members and secretaries, practitioner link…), the values
before and after, as ids. Never a password (its fields are named "password", no value) nor free text."""

from django.db import models

# Fields whose values (ids, flags, codes) go into the event: they decide who may see or do what.
RIGHTS_FIELDS = frozenset({
    "role", "is_superuser", "is_staff", "is_active", "groups", "user_permissions", "organisation", "organisations",
    "practitioner", "parent", "kind", "managing_3c", "secretaries", "hospitals", "board", "is_coordinator",
    "active", "scopes", "issuer", "kid", "application", "facility",
})
PASSWORD_FIELDS = frozenset({"password", "password1", "password2", "usable_password", "set_usable_password"})


def plain(value):
    """A JSON-safe, content-free rendering: objects become their ids, sets sorted lists of ids."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, models.QuerySet | list | tuple | set | frozenset):
        return sorted((plain(item) for item in value), key=str)
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def field_names(names) -> list[str]:
    return sorted({"password" if name in PASSWORD_FIELDS else name for name in names})


def form_changes(form, value_fields=RIGHTS_FIELDS) -> dict:
    """The changed fields of a model form (after validation), with before/after for the rights fields."""
    changes: dict = {"fields": field_names(form.changed_data)}
    values = {
        name: {"before": plain(form.initial.get(name)), "after": plain(form.cleaned_data.get(name))}
        for name in form.changed_data
        if name in value_fields and name not in PASSWORD_FIELDS
    }
    if values:
        changes["values"] = values
    return changes


def snapshot(obj, value_fields=RIGHTS_FIELDS) -> dict:
    """The rights fields and the links (foreign keys, as ids) of an object: what an added or deleted inline row
    (a board member) granted."""
    return {
        field.name: plain(getattr(obj, field.attname))
        for field in obj._meta.concrete_fields
        if (field.is_relation or field.name in value_fields) and field.name not in PASSWORD_FIELDS
    }


def formset_changes(formsets, value_fields=RIGHTS_FIELDS) -> list[dict]:
    """Inline rows added, changed and deleted (called after the formsets were saved)."""
    rows = []
    for formset in formsets or []:
        model = formset.model._meta.label_lower
        for obj in formset.new_objects:
            rows.append({"model": model, "id": obj.pk, "op": "add", "values": snapshot(obj, value_fields)})
        forms_by_instance = {id(form.instance): form for form in formset.forms}
        for obj, _changed in formset.changed_objects:
            form = forms_by_instance.get(id(obj))
            row = {"model": model, "id": obj.pk, "op": "change", "values": snapshot(obj, value_fields)}
            if form is not None:
                row.update(form_changes(form, value_fields))
            rows.append(row)
        before_deletion = getattr(formset, "audit_before_deletion", {})
        for obj in formset.deleted_objects:
            obj_id, values = before_deletion.get(id(obj), (obj.pk, snapshot(obj, value_fields)))
            rows.append({"model": model, "id": obj_id, "op": "delete", "values": values})
    return rows


def remember_deletions(formset, value_fields=RIGHTS_FIELDS) -> None:
    """Before the formset is saved: what its deleted rows were (a deleted object loses its id)."""
    formset.audit_before_deletion = {
        id(form.instance): (form.instance.pk, snapshot(form.instance, value_fields))
        for form in formset.deleted_forms
        if form.instance.pk is not None
    }
