"""The charter of use in the admin, for the DSRC (and the system administrator), audited like every admin change
(RoleAdmin). A published version is read-only: a change of the text is a new version, so that the version a
request accepted keeps meaning what it said."""

from django.contrib import admin
from django.db.models import Max

from oncodcc.core.admin import RoleAdmin

from .models import Charter, Role


@admin.register(Charter)
class CharterAdmin(RoleAdmin):
    manager_roles = {Role.ADMIN_DSRC, Role.SYSADMIN}
    list_display = ("version", "published_at", "created_at")
    fields = ("version", "text", "published_at")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_published:
            return ("version", "text", "published_at")
        return ("version",)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or not obj.is_published)

    def save_model(self, request, obj, form, change):
        if obj.version is None:
            obj.version = (Charter.objects.aggregate(last=Max("version"))["last"] or 0) + 1
        super().save_model(request, obj, form, change)
