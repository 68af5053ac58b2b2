from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group

from oncodcc.core.admin import RoleAdmin, is_manager

from .models import Role, User

# The admin is for 3C/DSRC and system administrators (directory, boards, accounts) only.
admin.site.has_permission = lambda request: is_manager(request.user)
# Rights come from roles, not from groups.
admin.site.unregister(Group)


@admin.register(User)
class DccUserAdmin(RoleAdmin, UserAdmin):
    # Accounts are managed by the DSRC and the system administrators.
    manager_roles = {Role.ADMIN_DSRC, Role.SYSADMIN}

    fieldsets = (*UserAdmin.fieldsets, ("OncoDCC", {"fields": ("role", "practitioner", "organisation")}))
    add_fieldsets = (*UserAdmin.add_fieldsets, ("OncoDCC", {"fields": ("role", "practitioner", "organisation")}))
    list_display = ("username", "last_name", "first_name", "role", "organisation", "is_active")
    list_filter = ("role", "is_active", "organisation")
    autocomplete_fields = ("practitioner", "organisation")
    search_fields = ("username", "last_name", "first_name", "email")
