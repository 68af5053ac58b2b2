"""Who reviews which accounts (the yearly access review, oncodcc.accounts.review): a 3C administrator the
accounts of their 3C; a DSRC administrator those of every 3C of their DSRC and of the DSRC itself; the system
administrator every structure. `account.review` takes the organisation (3C or DSRC) under review, or None for
"reviews some structure" (the menu link)."""

from django.db.models import Q, QuerySet

from oncodcc.core.policy import is_signed_in, register
from oncodcc.directory.models import Organisation

from .models import Role

REVIEW = "account.review"


def reviewable_organisations(user) -> QuerySet[Organisation]:
    if not is_signed_in(user):
        return Organisation.objects.none()
    structures = Organisation.objects.filter(kind__in=[Organisation.Kind.CCC, Organisation.Kind.DSRC])
    if user.is_superuser or user.role == Role.SYSADMIN:
        return structures
    if user.role == Role.ADMIN_DSRC and user.organisation_id:
        return structures.filter(Q(pk=user.organisation_id) | Q(parent_id=user.organisation_id))
    if user.role == Role.ADMIN_3C and user.organisation_id:
        return structures.filter(pk=user.organisation_id, kind=Organisation.Kind.CCC)
    return Organisation.objects.none()


@register(REVIEW, "Revue annuelle des accès d'une structure (3C, DSRC)")
def can_review(user, organisation=None) -> bool:
    organisations = reviewable_organisations(user)
    if organisation is None:
        return organisations.exists()
    return organisations.filter(pk=getattr(organisation, "pk", organisation)).exists()
