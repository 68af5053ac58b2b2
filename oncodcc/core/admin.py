"""Role-based rights in the Django admin (directory, boards, accounts), instead of per-user permissions:
the 3C administrator manages the boards of their 3C, the DSRC administrator those of the region's 3Cs,
the system administrator everything. The DPO and clinicians have no admin access."""

from django.contrib import admin

from oncodcc.accounts.models import Role

MANAGERS = {Role.ADMIN_3C, Role.ADMIN_DSRC, Role.SYSADMIN}


def is_manager(user) -> bool:
    return user.is_active and user.is_staff and (user.is_superuser or user.role in MANAGERS)


class RoleAdmin(admin.ModelAdmin):
    """Admin rights from the role. `manager_roles` narrows who may manage a model."""

    manager_roles = MANAGERS

    def _allowed(self, request) -> bool:
        user = request.user
        return is_manager(user) and (user.is_superuser or user.role in self.manager_roles)

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None):
        # Records are deactivated, not deleted (history, audit, fiches refer to them).
        return request.user.is_superuser


def organisation_scope(user) -> dict | None:
    """Filter kwargs on a 3C field for scoped administrators, or None for the whole region."""
    if user.is_superuser or user.role == Role.SYSADMIN:
        return None
    if user.role == Role.ADMIN_3C:
        return {"pk": user.organisation_id}
    if user.role == Role.ADMIN_DSRC:
        return {"parent_id": user.organisation_id}
    return {"pk__in": []}
