"""`dcc outbox list [--state STATE]` | `retry ID… | --all-errors` | `send [--enqueue]` | `stats`: the diffusion
outbox from the command line (no clinical content: document kind, date, recipient, state, error)."""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from oncodcc.diffusion import outbox, worker
from oncodcc.diffusion.models import Delivery
from oncodcc.diffusion.tasks import enqueue_send


class Command(BaseCommand):
    help = "File d'envoi des documents (diffusion) : liste, renvoi, envoi immédiat, statistiques."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="Liste les envois (les 200 plus récents).")
        listing.add_argument("--state", choices=Delivery.State.values, help="Seulement dans cet état.")
        retry = sub.add_parser("retry", help="Remet en file des envois en erreur ou abandonnés.")
        retry.add_argument("ids", nargs="*", type=int, metavar="ID")
        retry.add_argument("--all-errors", action="store_true", help="Tous les envois en erreur ou abandonnés.")
        send = sub.add_parser("send", help="Envoie maintenant les envois dus (sans attendre le worker).")
        send.add_argument("--enqueue", action="store_true", help="Confier l'envoi au worker (tâche en file).")
        sub.add_parser("stats", help="Envois par canal, par établissement et par état.")

    def handle(self, *args, action, **options):
        return getattr(self, f"_{action}")(**options)

    def _list(self, state=None, **options):
        deliveries = Delivery.objects.select_related("document").order_by("-created_at", "-pk")
        if state:
            deliveries = deliveries.filter(state=state)
        rows = list(deliveries[:200])
        if not rows:
            self.stdout.write("Aucun envoi.")
        for d in rows:
            when = d.next_attempt_at.strftime(" — nouvel essai %d/%m %H:%M") if d.retry_scheduled else ""
            self.stdout.write(f"{d.pk}\t{d.document.get_kind_display()} v{d.document.version_number}\t"
                              f"{d.document.created_at:%Y-%m-%d}\t{d.get_channel_display()}\t{d.recipient_label}\t"
                              f"{d.get_action_display()}\t{d.get_state_display()}{when}\t{d.attempts} essai(s)\t"
                              f"{d.last_error}")

    def _retry(self, ids=(), all_errors=False, **options):
        if not ids and not all_errors:
            raise CommandError("Précisez un ou plusieurs numéros d'envoi, ou --all-errors.", returncode=1)
        deliveries = Delivery.objects.filter(state__in=(Delivery.State.ERROR, Delivery.State.DEAD))
        if not all_errors:
            deliveries = Delivery.objects.filter(pk__in=ids)
            missing = set(ids) - set(deliveries.values_list("pk", flat=True))
            if missing:
                raise CommandError(f"Envoi(s) introuvable(s) : {', '.join(map(str, sorted(missing)))}.",
                                   returncode=1)
        count = 0
        for delivery in deliveries:
            outbox.requeue(delivery)
            count += 1
        if count:
            enqueue_send()
        self.stdout.write(f"{count} envoi(s) remis en file.")

    def _send(self, enqueue=False, **options):
        if enqueue:
            enqueue_send()
            self.stdout.write("Envoi confié au worker.")
            return
        counts = worker.send_due()
        labels = dict(Delivery.State.choices)
        summary = ", ".join(f"{labels.get(k, k)} : {v}" for k, v in sorted(counts.items())) or "rien à envoyer"
        self.stdout.write(f"Envois : {summary}.")

    def _stats(self, **options):
        rows = (Delivery.objects.values("channel", "receiver__organisation__name", "state")
                .annotate(n=Count("pk")).order_by("channel", "receiver__organisation__name", "state"))
        channels, states = dict(Delivery.Channel.choices), dict(Delivery.State.choices)
        self.stdout.write("canal\tétablissement\tétat\tnombre")
        for row in rows:
            self.stdout.write(f"{channels[row['channel']]}\t{row['receiver__organisation__name'] or '-'}\t"
                              f"{states[row['state']]}\t{row['n']}")
