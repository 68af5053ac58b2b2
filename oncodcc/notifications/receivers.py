"""What the notifications app hears from the RCP (its signals): the RCP never imports this app."""

from django.dispatch import receiver

from oncodcc.rcp.signals import fiche_validated

from . import fiche_validated as fiche_emails


@receiver(fiche_validated, dispatch_uid="notifications.fiche_validated")
def _queue_fiche_emails(sender, fiche, **kwargs):
    # Inside the validation's transaction: the emails exist if and only if the validation commits.
    fiche_emails.queue_for(fiche, actor=fiche.validated_by)
