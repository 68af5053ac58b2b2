"""Published organ forms in the admin: read-only versions, and the import of a new version (JSON file)."""

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import path

from oncodcc.core.admin import RoleAdmin

from .definition import DefinitionError
from .models import Questionnaire
from .services import import_json

MAX_UPLOAD = 2 * 1024 * 1024


class ImportForm(forms.Form):
    file = forms.FileField(label="Fichier JSON (FHIR Questionnaire)",
                           help_text="Une nouvelle version d'un formulaire : url identique, version supérieure.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError("Fichier trop volumineux (2 Mo au plus).")
        try:
            return upload.read().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError("Le fichier doit être encodé en UTF-8.") from exc


@admin.register(Questionnaire)
class QuestionnaireAdmin(RoleAdmin):
    list_display = ("title", "version", "url", "status", "published_at")
    list_filter = ("status",)
    search_fields = ("title", "name", "url")
    readonly_fields = ("url", "version", "name", "title", "status", "organs", "published_at", "sha256", "definition")
    change_list_template = "admin/questionnaires/questionnaire/change_list.html"

    def has_add_permission(self, request):
        return False  # a version is published by import, never typed in

    def has_change_permission(self, request, obj=None):
        return False  # immutable

    def get_urls(self):
        return [path("importer/", self.admin_site.admin_view(self.import_view), name="questionnaires_import"),
                *super().get_urls()]

    def import_view(self, request):
        if not self._allowed(request):
            return redirect("admin:index")
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                with transaction.atomic():
                    result = import_json(form.cleaned_data["file"], source=request.FILES["file"].name)
                    if result.outcome == "published":  # a new form version: an admin change, in the audit chain
                        url, version = result.canonical.rsplit("|", 1)
                        self.record_admin_event(request, Questionnaire.objects.get(url=url, version=version), "add",
                                                {"fields": ["definition"], "canonical": result.canonical})
            except DefinitionError as exc:
                form.add_error("file", str(exc))
            else:
                if result.outcome == "published":
                    messages.success(request, f"Version publiée : {result.canonical}.")
                else:
                    messages.info(request, f"Cette version est déjà publiée à l'identique : {result.canonical}.")
                return redirect("admin:questionnaires_questionnaire_changelist")
        context = {**self.admin_site.each_context(request), "form": form, "title": "Importer une version de formulaire",
                   "opts": self.model._meta}
        return render(request, "admin/questionnaires/questionnaire/import.html", context)
