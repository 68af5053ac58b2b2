from django import forms
from django.contrib import admin

from oncodcc.core.admin import RoleAdmin

from .models import Trial, TrialSite

LIST_FIELDS = ("organs", "topographies", "morphologies", "stages", "lines", "biomarkers")
IDENTITY_FIELDS = ("eu_ct_number", "nct_id", "national_id", "title", "acronym", "phase", "sponsor", "status")
BOUND_FIELDS = ("min_age", "max_age", "max_performance_status")


class PipeListField(forms.CharField):
    """A list edited as one line, values separated by `|` (as in the CSV import)."""

    def prepare_value(self, value):
        return " | ".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [part.strip() for part in text.split("|") if part.strip()]


def _pipe_list(name: str) -> PipeListField:
    field = Trial._meta.get_field(name)
    return PipeListField(label=field.verbose_name, help_text=field.help_text, required=False,
                         widget=forms.TextInput(attrs={"size": 80}))


class TrialForm(forms.ModelForm):
    organs = _pipe_list("organs")
    topographies = _pipe_list("topographies")
    morphologies = _pipe_list("morphologies")
    stages = _pipe_list("stages")
    lines = _pipe_list("lines")
    biomarkers = _pipe_list("biomarkers")

    class Meta:
        model = Trial
        fields = (*IDENTITY_FIELDS, *LIST_FIELDS, *BOUND_FIELDS, "other_criteria")


class TrialSiteInline(admin.TabularInline):
    """Reached only through TrialAdmin, whose role check decides (as for the boards' members)."""

    model = TrialSite
    extra = 1
    autocomplete_fields = ("organisation",)

    def has_add_permission(self, request, obj=None):
        return True

    def has_change_permission(self, request, obj=None):
        return True

    def has_delete_permission(self, request, obj=None):
        return True

    def has_view_permission(self, request, obj=None):
        return True


@admin.register(Trial)
class TrialAdmin(RoleAdmin):
    form = TrialForm
    inlines = [TrialSiteInline]
    list_display = ("acronym", "title", "phase", "status", "eu_ct_number", "nct_id", "updated_at")
    list_filter = ("status", "phase")
    search_fields = ("acronym", "title", "eu_ct_number", "nct_id", "national_id", "sponsor")
    fieldsets = (
        (None, {"fields": IDENTITY_FIELDS}),
        ("Critères structurés (vérifiés par la pré-sélection)", {"fields": (*LIST_FIELDS, *BOUND_FIELDS)}),
        ("Autres critères", {"fields": ("other_criteria",)}),
    )
