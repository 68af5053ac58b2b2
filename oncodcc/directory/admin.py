from django.contrib import admin

from oncodcc.core.admin import RoleAdmin

from .models import Organisation, Practitioner, Territory


@admin.register(Organisation)
class OrganisationAdmin(RoleAdmin):
    list_display = ("name", "kind", "finess", "parent", "territory", "active")
    list_filter = ("kind", "active", "territory")
    search_fields = ("name", "short_name", "finess")
    autocomplete_fields = ("parent",)


@admin.register(Practitioner)
class PractitionerAdmin(RoleAdmin):
    list_display = ("last_name", "first_name", "rpps", "specialty", "active")
    list_filter = ("active", "specialty")
    search_fields = ("last_name", "first_name", "rpps")
    filter_horizontal = ("organisations",)


@admin.register(Territory)
class TerritoryAdmin(RoleAdmin):
    list_display = ("name", "code", "dsrc", "active")
    list_filter = ("active",)
    search_fields = ("name", "code")
