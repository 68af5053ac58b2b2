from django.contrib import admin

from oncodcc.core.admin import RoleAdmin, organisation_scope
from oncodcc.directory.models import Organisation

from .models import Board, BoardMember, Meeting


class BoardMemberInline(admin.TabularInline):
    model = BoardMember
    autocomplete_fields = ("practitioner",)
    extra = 1

    def has_add_permission(self, request, obj=None):
        return True

    def has_change_permission(self, request, obj=None):
        return True

    def has_delete_permission(self, request, obj=None):
        return True

    def has_view_permission(self, request, obj=None):
        return True


def scoped_3c(request):
    scope = organisation_scope(request.user)
    queryset = Organisation.objects.filter(kind=Organisation.Kind.CCC)
    return queryset if scope is None else queryset.filter(**scope)


@admin.register(Board)
class BoardAdmin(RoleAdmin):
    list_display = ("name", "nature", "organ_system", "managing_3c", "frequency", "active")
    list_filter = ("nature", "managing_3c", "active", "is_recourse", "is_paediatric")
    search_fields = ("name",)
    filter_horizontal = ("hospitals", "secretaries")
    inlines = [BoardMemberInline]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(managing_3c__in=scoped_3c(request))

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "default_form_url":
            from django import forms

            from oncodcc.questionnaires.services import catalogue

            choices = [("", "— formulaire publié pour les organes de la RCP —"), *((q.url, q.title) for q in catalogue())]
            return forms.ChoiceField(choices=choices, required=False, label=db_field.verbose_name,
                                     help_text=db_field.help_text)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "managing_3c":
            kwargs["queryset"] = scoped_3c(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Meeting)
class MeetingAdmin(RoleAdmin):
    list_display = ("board", "starts_at", "status")
    list_filter = ("status", "board")
    date_hierarchy = "starts_at"
    readonly_fields = ("status",)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(board__managing_3c__in=scoped_3c(request)).select_related("board")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "board":
            kwargs["queryset"] = Board.objects.filter(managing_3c__in=scoped_3c(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
