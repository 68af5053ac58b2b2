"""A Django form generated from an organ-form definition. Fields are named `q__<linkId>`; only the items that
enableWhen enables (given the current values) are part of the form."""

from decimal import Decimal
from typing import Any

from django import forms

from . import engine
from .definition import FormDefinition, Item, Option

PREFIX = "q__"
YES_NO = [("", "Non renseigné"), ("True", "Oui"), ("False", "Non")]


def field_name(link_id: str) -> str:
    return f"{PREFIX}{link_id}"


def _initial(item: Item, value: Any) -> Any:
    """A stored answer as the widget's initial value."""
    if value is None:
        return None
    if isinstance(value, list) and item.type == "choice":
        return [v.key for v in value]
    if isinstance(value, list):  # repeating scalar: one value per line
        return "\n".join(str(_scalar_initial(item, v)) for v in value)
    return _scalar_initial(item, value)


def _scalar_initial(item: Item, value: Any) -> Any:
    if isinstance(value, Option):
        return value.key if item.type == "choice" else value.display
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, dict) and "value" in value:
        return engine.format_number(value["value"])
    if isinstance(value, Decimal):
        return engine.format_number(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _field(item: Item) -> forms.Field:
    label = f"{item.text} *" if item.required else item.text
    common = {"label": label, "required": False, "help_text": item.help}
    if item.repeats and item.type != "choice":
        common["help_text"] = " ".join(filter(None, [item.help, "Une valeur par ligne."]))
        return forms.CharField(max_length=engine.MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
                               **common)
    if item.type == "boolean":
        return forms.ChoiceField(choices=YES_NO, widget=forms.RadioSelect, **common)
    if item.type in {"decimal", "quantity"}:
        unit = (item.unit or {}).get("display") or (item.unit or {}).get("code") or ""
        if unit:
            common["label"] = f"{label} ({unit})"
        return forms.CharField(max_length=30, widget=forms.TextInput(attrs={"inputmode": "decimal",
                                                                            "class": "form-control"}), **common)
    if item.type == "integer":
        return forms.CharField(max_length=12, widget=forms.TextInput(attrs={"inputmode": "numeric",
                                                                            "class": "form-control"}), **common)
    if item.type == "date":
        return forms.CharField(max_length=10, widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
                               **common)
    if item.type == "string":
        return forms.CharField(max_length=item.max_length or 300, widget=forms.TextInput(attrs={"class": "form-control"}),
                               **common)
    if item.type == "text":
        return forms.CharField(max_length=item.max_length or engine.MAX_TEXT,
                               widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}), **common)
    choices = [(o.key, o.display) for o in item.options]
    if item.type == "choice" and item.repeats:
        return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **common)
    if item.type == "choice":
        return forms.ChoiceField(choices=[("", "—"), *choices], widget=forms.Select(attrs={"class": "form-select"}),
                                 **common)
    # open-choice: free text with the coded answers as suggestions
    return forms.CharField(max_length=item.max_length or 300,
                           widget=forms.TextInput(attrs={"class": "form-control", "list": f"dl-{item.link_id}"}),
                           **common)


class OrganForm(forms.Form):
    """Bound to POST data (the enabled items follow the posted values) or to stored answers."""

    def __init__(self, definition: FormDefinition, data=None, *, answers: dict[str, Any] | None = None):
        super().__init__(data)
        self.definition = definition
        self.items = definition.by_link_id
        if data is not None:
            self.raw = self._raw_from(data)
            typed = {}
            for link_id, raw in self.raw.items():
                try:
                    value = engine.clean_value(self.items[link_id], raw)
                except ValueError:
                    continue
                if value is not None:
                    typed[link_id] = value
            self.enabled = engine.enabled_link_ids(definition, typed)
        else:
            answers = answers or {}
            self.enabled = engine.enabled_link_ids(definition, answers)
        # Every item is in the form; the disabled ones are rendered hidden and `disabled` (not submitted) and
        # shown again in the browser when an answer enables them (see views.organ_part and app.js).
        for item in definition.walk():
            if item.answers:
                field = _field(item)
                if item.link_id not in self.enabled:
                    field.widget.attrs["disabled"] = True
                self.fields[field_name(item.link_id)] = field
                if data is None and item.link_id in (answers or {}):
                    self.initial[field_name(item.link_id)] = _initial(item, answers[item.link_id])
                elif data is None and item.initial:
                    first = next(iter(item.initial[0].values()))
                    self.initial[field_name(item.link_id)] = str(first) if isinstance(first, bool) else first

    def _raw_from(self, data) -> dict[str, Any]:
        raw = {}
        for item in self.definition.walk():
            if not item.answers:
                continue
            name = field_name(item.link_id)
            if item.type == "choice" and item.repeats:
                values = data.getlist(name) if hasattr(data, "getlist") else data.get(name) or []
                if values:
                    raw[item.link_id] = list(values)
            elif data.get(name) not in (None, ""):
                raw[item.link_id] = data.get(name)
        return raw

    def clean(self):
        for link_id, raw in self.raw.items():
            if link_id not in self.enabled:
                continue
            try:
                engine.clean_value(self.items[link_id], raw)
            except ValueError as exc:
                self.add_error(field_name(link_id), str(exc))
        return super().clean()

    def answers_input(self) -> dict[str, Any]:
        """Raw answers of the enabled items, for the service (which validates them again)."""
        return {k: v for k, v in self.raw.items() if k in self.enabled}

    def add_service_error(self, name: str, messages: list[str]) -> None:
        if name in self.fields:
            self.add_error(name, messages)
        else:
            self.add_error(None, messages)

    # --- rendering ---

    def layout(self) -> list[dict]:
        """Nested blocks for the template, in the definition's order, each with its `enabled` state."""
        def block(item: Item) -> dict:
            enabled = item.link_id in self.enabled
            if item.type == "group":
                return {"group": item, "enabled": enabled, "children": [block(c) for c in item.children]}
            if item.type == "display":
                return {"display": item, "enabled": enabled}
            return {"field": self[field_name(item.link_id)], "item": item, "enabled": enabled}
        return [block(i) for i in self.definition.items]

    def datalists(self) -> list[tuple[str, list[str]]]:
        return [(f"dl-{item.link_id}", [o.display for o in item.options])
                for item in self.definition.walk() if item.type == "open-choice"]
