"""Accounts in the admin, without privilege escalation.

- The system administrator (role SYSADMIN, or a superuser) manages every account and alone sets the superuser and
  staff flags, the administrator roles above 3C, the DPO and accounts without a 3C.
- A DSRC administrator manages the accounts attached to the 3Cs of their DSRC: doctors, secretaries, coordinators
  and the 3C administrators. A 3C administrator manages the doctors, secretaries and coordinators of their 3C.
- Everyone may edit their own name, e-mail and password, never their own role, flags, attachment or practitioner.
- Any other account (the system administrator's, another administrator's at the same or a higher level) is
  refused (403), its set-password form included. Every change is an event of the audit chain (RoleAdmin).
- "Réinitialiser le second facteur" (an action on accounts, within the same rights) deletes the TOTP device and
  the recovery codes: the user enrols again at their next sign-in. The devices themselves are not in the admin:
  their secret keys are nobody's to read.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static import admin as otp_static_admin
from django_otp.plugins.otp_totp import admin as otp_totp_admin
from django_otp.plugins.otp_totp.models import TOTPDevice

from oncodcc.core.admin import MANAGERS, RoleAdmin, is_manager
from oncodcc.core.policy import has_permission, register
from oncodcc.core.templatetags.french import pluriel
from oncodcc.directory.models import Organisation

from . import charter_admin, otp  # noqa: F401 (charter_admin registers the charter's admin)
from .models import ADMIN_ROLES, Role, User

# The admin is for 3C/DSRC and system administrators (directory, boards, accounts) only.
admin.site.has_permission = lambda request: is_manager(request.user)
# Rights come from roles, not from groups.
admin.site.unregister(Group)
# django-otp's device admins show the secret keys (and QR codes) of every account: imported here, before the
# autodiscovery would, to take them out. Devices are handled by enrolment and by the reset action below.
admin.site.unregister(otp_totp_admin.TOTPDevice)
admin.site.unregister(otp_static_admin.StaticDevice)

BASE_ROLES = (Role.DOCTOR, Role.SECRETARY, Role.COORDINATOR)
# Fields nobody changes on their own account.
OWN_LOCKED = ("role", "is_superuser", "is_staff", "is_active", "organisation", "practitioner")
TOP_ONLY = ("is_superuser", "is_staff")


def is_top(user) -> bool:
    return is_manager(user) and (user.is_superuser or user.role == Role.SYSADMIN)


def assignable_roles(actor) -> tuple[str, ...]:
    if is_top(actor):
        return tuple(Role.values)
    if actor.role == Role.ADMIN_DSRC:
        return (*BASE_ROLES, Role.ADMIN_3C)
    if actor.role == Role.ADMIN_3C:
        return BASE_ROLES
    return ()


def assignable_organisations(actor):
    """The attachments a scoped administrator may give (None: any)."""
    if is_top(actor):
        return None
    if actor.role == Role.ADMIN_DSRC and actor.organisation_id:
        return Organisation.objects.filter(kind=Organisation.Kind.CCC, parent_id=actor.organisation_id)
    if actor.role == Role.ADMIN_3C and actor.organisation_id:
        return Organisation.objects.filter(pk=actor.organisation_id, kind=Organisation.Kind.CCC)
    return Organisation.objects.none()


def managed_accounts(actor) -> Q | None:
    """The accounts `actor` manages, as a filter (None: all). Must agree with `may_hold`."""
    if is_top(actor):
        return None
    organisations = assignable_organisations(actor)
    return Q(is_superuser=False, role__in=assignable_roles(actor), organisation__in=organisations) & (
        Q(is_staff=False) | Q(role__in=ADMIN_ROLES))


def may_hold(actor, *, role, is_superuser: bool, is_staff: bool, organisation) -> bool:
    """May `actor` manage an account in this state (before a change, and as it will be after it)?"""
    if is_top(actor):
        return True
    if is_superuser or role not in assignable_roles(actor) or (is_staff and role not in ADMIN_ROLES):
        return False
    return organisation is not None and assignable_organisations(actor).filter(pk=organisation.pk).exists()


@register("account.manage", "Gérer un compte (rôle, rattachement, mot de passe)")
def may_manage(actor, account) -> bool:
    return account is not None and may_hold(actor, role=account.role, is_superuser=account.is_superuser, is_staff=account.is_staff,
                    organisation=account.organisation)


@admin.register(User)
class DccUserAdmin(RoleAdmin, UserAdmin):
    manager_roles = MANAGERS  # each within the scope above

    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        ("OncoDCC", {"fields": ("role", "practitioner", "organisation", "charter_version")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (*UserAdmin.add_fieldsets, ("OncoDCC", {"fields": ("role", "practitioner", "organisation")}))
    list_display = ("username", "last_name", "first_name", "role", "organisation", "is_active", "second_factor")
    actions = ["reset_second_factor"]
    list_filter = ("role", "is_active", "organisation")
    autocomplete_fields = ("practitioner", "organisation")
    search_fields = ("username", "last_name", "first_name", "email")
    filter_horizontal = ()

    # --- which accounts --------------------------------------------------------------------------------------
    def get_queryset(self, request):
        scope = managed_accounts(request.user)
        queryset = super().get_queryset(request).annotate(has_second_factor=Exists(
            TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)))
        return queryset if scope is None else queryset.filter(scope | Q(pk=request.user.pk))

    def get_object(self, request, object_id, from_field=None):
        # Looked up outside the scope, so that an account one may not manage is refused (403), not "not found".
        try:
            return User.objects.get(pk=int(object_id))
        except (ValueError, User.DoesNotExist):
            return None

    def _may_edit(self, request, obj) -> bool:
        return obj is None or obj.pk == request.user.pk or may_manage(request.user, obj)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._may_edit(request, obj)

    def has_change_permission(self, request, obj=None):
        # Also guards the set-password form (/admin/accounts/user/<id>/password/).
        return super().has_change_permission(request, obj) and self._may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.pk != request.user.pk)

    # --- which fields and values -------------------------------------------------------------------------------
    def get_readonly_fields(self, request, obj=None):
        readonly = [*super().get_readonly_fields(request, obj), "last_login", "date_joined", "charter_version"]
        if not is_top(request.user):
            readonly += TOP_ONLY
        if obj is not None and obj.pk == request.user.pk:
            readonly += OWN_LOCKED
        return tuple(dict.fromkeys(readonly))

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role":
            allowed = assignable_roles(request.user)
            kwargs["choices"] = [(value, label) for value, label in Role.choices if value in allowed]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organisation":
            organisations = assignable_organisations(request.user)
            if organisations is not None:
                kwargs["queryset"] = organisations
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)
        actor = request.user

        class ScopedForm(form_class):
            def clean(self):
                data = super().clean()
                state = {name: data[name] if name in self.fields and name in data else getattr(self.instance, name)
                         for name in ("role", "is_superuser", "is_staff", "organisation")}
                if not is_top(actor) and self.instance.pk != actor.pk:
                    state["is_staff"] = state["role"] in ADMIN_ROLES  # derived: scoped admins never set the flag
                if self.instance.pk != actor.pk and not may_hold(actor, **state):
                    raise forms.ValidationError(
                        "Ce rôle ou ce rattachement dépasse vos droits : vous gérez les comptes de votre périmètre "
                        "seulement, à un niveau inférieur au vôtre.")
                return data

        return ScopedForm

    def save_model(self, request, obj, form, change):
        actor = request.user
        if obj.pk != actor.pk:
            if not is_top(actor):
                obj.is_staff = obj.role in ADMIN_ROLES
            if not may_manage(actor, obj):  # the form refused it already: never reached through the admin
                raise PermissionDenied
        super().save_model(request, obj, form, change)

    # --- the second factor ----------------------------------------------------------------------------------------
    @admin.display(description="Second facteur", boolean=True, ordering="has_second_factor")
    def second_factor(self, obj) -> bool:
        return getattr(obj, "has_second_factor", False)

    @admin.action(description="Réinitialiser le second facteur")
    def reset_second_factor(self, request, queryset):
        """All the selected accounts or none: one outside the actor's rights refuses the whole action."""
        accounts = list(queryset.order_by("username"))
        refused = [account.username for account in accounts
                   if not has_permission(request.user, "account.manage", account)]
        if refused:
            self.message_user(request, "Réinitialisation refusée : ces comptes dépassent vos droits : "
                                       f"{', '.join(refused)}. Aucun second facteur n'a été réinitialisé.",
                              level=messages.ERROR)
            return
        with transaction.atomic():
            for account in accounts:
                otp.reset(actor=request.user, user=account, via="admin")
        count = len(accounts)
        self.message_user(request, f"Second facteur réinitialisé pour {count} compte{pluriel(count)} : "
                                   "l'enrôlement sera redemandé à la prochaine connexion.", level=messages.SUCCESS)

    # --- the set-password form: one transaction with its audit event --------------------------------------------
    def user_change_password(self, request, id, form_url=""):
        request.audit_password_change = True
        with transaction.atomic():
            return super().user_change_password(request, id, form_url)

    def log_change(self, request, obj, message):
        if getattr(request, "audit_password_change", False):
            entry = admin.ModelAdmin.log_change(self, request, obj, message)
            self.record_admin_event(request, obj, "change", {"fields": ["password"]})
            return entry
        return super().log_change(request, obj, message)
