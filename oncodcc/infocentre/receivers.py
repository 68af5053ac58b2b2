"""The infocentre listens to the apps below it: validations (rcp, careplans) and postponed cases keep the rollup
counters and the fiches' search documents, and each login notes the day. The receivers run inside the sender's
transaction."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import timezone

from oncodcc.careplans.signals import care_plan_validated
from oncodcc.rcp.signals import case_postponed, fiche_validated

from . import rollups, search_index


@receiver(fiche_validated, dispatch_uid="infocentre.fiche_validated")
def _fiche_validated(sender, fiche, **kwargs):
    rollups.on_fiche_validated(fiche=fiche)
    search_index.index_fiche(fiche=fiche)


@receiver(case_postponed, dispatch_uid="infocentre.case_postponed")
def _case_postponed(sender, registration, new, **kwargs):
    rollups.on_case_postponed(registration=registration)


@receiver(care_plan_validated, dispatch_uid="infocentre.care_plan_validated")
def _care_plan_validated(sender, plan, **kwargs):
    rollups.on_care_plan_validated(plan=plan)


@receiver(user_logged_in, dispatch_uid="infocentre.sign_in_day")
def _signed_in(sender, request, user, **kwargs):
    rollups.note_sign_in(user=user, instant=timezone.now())
