"""The notification outbox in the admin, read-only, for the DSRC and system administrators: who was sent what kind
of email, its state and last error. The body is not shown (a reminder lists cases, even masked)."""

from django.contrib import admin

from oncodcc.accounts.models import Role
from oncodcc.core.admin import RoleAdmin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(RoleAdmin):
    manager_roles = {Role.ADMIN_DSRC, Role.SYSADMIN}
    list_display = ("created_at", "kind", "to_address", "state", "attempts", "next_attempt_at", "short_error")
    list_filter = ("state", "kind")
    search_fields = ("to_address",)
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = ("kind", "to_address", "subject", "state", "attempts", "next_attempt_at", "sent_at", "last_error",
              "created_at")
    readonly_fields = fields

    @admin.display(description="erreur")
    def short_error(self, obj):
        return obj.last_error[:80] + ("…" if len(obj.last_error) > 80 else "")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
