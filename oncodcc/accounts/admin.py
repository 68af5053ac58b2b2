from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import User


def _administrators_only(request) -> bool:
    """The admin is for 3C/DSRC and system administrators (directory, boards, accounts) only."""
    user = request.user
    return user.is_active and user.is_staff and user.is_administrator


admin.site.has_permission = _administrators_only


@admin.register(User)
class DccUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("OncoDCC", {"fields": ("role", "practitioner", "organisation")}))
    add_fieldsets = (*UserAdmin.add_fieldsets, ("OncoDCC", {"fields": ("role", "practitioner", "organisation")}))
    list_display = ("username", "last_name", "first_name", "role", "organisation", "is_active")
    list_filter = ("role", "is_active", "organisation")
    autocomplete_fields = ("practitioner", "organisation")
    search_fields = ("username", "last_name", "first_name", "email")
