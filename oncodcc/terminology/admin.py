from django.contrib import admin

from oncodcc.core.admin import RoleAdmin

from .models import Concept, ValueSet


class ConceptInline(admin.TabularInline):
    model = Concept
    fields = ("code", "display", "system")
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0


@admin.register(ValueSet)
class ValueSetAdmin(RoleAdmin):
    list_display = ("name", "oid", "version", "loaded_at")
    search_fields = ("name", "oid")
    readonly_fields = ("name", "oid", "version", "source", "sha256", "loaded_at")
    inlines = [ConceptInline]

    def has_add_permission(self, request):
        return False  # loaded by `dcc terminology load`

    def has_change_permission(self, request, obj=None):
        return False
