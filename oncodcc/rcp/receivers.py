"""Receivers of the RCP app for changes made elsewhere: a practitioner removed from an organisation (through
either side of `Practitioner.organisations`, admin or code) loses that organisation's boards
(services.membership). They run inside the m2m change's transaction."""

from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from oncodcc.directory.models import Organisation, Practitioner

from .services.membership import leave_organisations

VIA = "structures d'exercice du professionnel modifiées"


@receiver(m2m_changed, sender=Practitioner.organisations.through, dispatch_uid="rcp.leave_organisation")
def on_organisations_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action == "pre_clear":
        # clear() sends no pk_set: remember who was linked before.
        if reverse:
            instance._dcc_cleared = set(instance.practitioners.values_list("pk", flat=True))
        else:
            instance._dcc_cleared = set(instance.organisations.values_list("pk", flat=True))
        return
    if action == "post_clear":
        pk_set = getattr(instance, "_dcc_cleared", set())
    elif action != "post_remove":
        return
    if not pk_set:
        return
    if reverse:  # organisation.practitioners.remove(...): instance is the organisation
        organisation: Organisation = instance
        for practitioner in Practitioner.objects.filter(pk__in=pk_set):
            leave_organisations(practitioner=practitioner, organisation_ids=[organisation.pk], via=VIA)
    else:
        leave_organisations(practitioner=instance, organisation_ids=pk_set, via=VIA)
