"""`dcc notifications send-reminders [--dry-run | --enqueue]` | `send [--enqueue]` | `retry ID… | --all-errors` | `list [--state STATE]`: the meeting
reminders and the notification outbox from the command line (no addresses, no patient data printed)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.formats import date_format

from oncodcc.notifications import outbox, reminders, tasks, worker
from oncodcc.notifications.models import Notification


class Command(BaseCommand):
    help = "Notifications : rappels de séance, envoi des courriels en attente, liste."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        remind = sub.add_parser("send-reminders", help="Met en file les rappels des séances proches (une fois par "
                                                       "membre et par séance) et les envoie.")
        mode = remind.add_mutually_exclusive_group()
        mode.add_argument("--dry-run", action="store_true", help="Affiche les rappels dus sans rien écrire.")
        mode.add_argument("--enqueue", action="store_true",
                          help="Confier les rappels au worker : une tâche quotidienne (sauf si elle attend déjà).")
        send = sub.add_parser("send", help="Envoie maintenant les courriels dus (sans attendre le worker).")
        send.add_argument("--enqueue", action="store_true", help="Confier l'envoi au worker (tâche en file).")
        retry = sub.add_parser("retry", help="Remet en file des notifications en erreur ou abandonnées.")
        retry.add_argument("ids", nargs="*", type=int, metavar="ID")
        retry.add_argument("--all-errors", action="store_true", help="Toutes celles en erreur ou abandonnées.")
        listing = sub.add_parser("list", help="Liste les notifications (les 200 plus récentes).")
        listing.add_argument("--state", choices=Notification.State.values, help="Seulement dans cet état.")

    def handle(self, *args, action, **options):
        return getattr(self, f"_{action.replace('-', '_')}")(**options)

    def _send_reminders(self, dry_run=False, enqueue=False, **options):
        if enqueue:
            queued = tasks.schedule_reminders()
            self.stdout.write("Tâche des rappels mise en file (exécutée par `dcc db_worker`)." if queued
                              else "La tâche des rappels attend déjà dans la file : rien à ajouter.")
            return
        if dry_run:
            due = reminders.planned()
            by_meeting: dict[int, list] = {}
            for reminder in due:
                by_meeting.setdefault(reminder.meeting.pk, []).append(reminder)
            for items in by_meeting.values():
                meeting = items[0].meeting
                listed = sum(r.with_cases for r in items)
                self.stdout.write(f"{meeting.board.name} — {date_format(meeting.local_start, 'l j F Y à H:i')} : "
                                  f"{len(items)} rappel(s), dont {listed} avec la liste des dossiers")
            self.stdout.write(f"{len(due)} rappel(s) à envoyer (simulation : rien n'a été écrit).")
            return
        created = reminders.queue_due()
        counts = worker.send_due()
        self.stdout.write(f"{len(created)} rappel(s) mis en file ; envoyés : {counts.get('sent', 0)}, "
                          f"en erreur : {counts.get('error', 0)}, abandonnés : {counts.get('dead', 0)}.")

    def _send(self, enqueue=False, **options):
        if enqueue:
            tasks.enqueue_send()
            self.stdout.write("Envoi confié au worker (`dcc db_worker`).")
            return
        counts = worker.send_due()
        self.stdout.write(f"Envoyés : {counts.get('sent', 0)}, en erreur : {counts.get('error', 0)}, "
                          f"abandonnés : {counts.get('dead', 0)}.")

    def _retry(self, ids=(), all_errors=False, **options):
        if not ids and not all_errors:
            raise CommandError("Précisez un ou plusieurs numéros, ou --all-errors.", returncode=1)
        rows = Notification.objects.filter(state__in=(Notification.State.ERROR, Notification.State.DEAD))
        if not all_errors:
            rows = Notification.objects.filter(pk__in=ids)
            missing = set(ids) - set(rows.values_list("pk", flat=True))
            if missing:
                raise CommandError(f"Notification(s) introuvable(s) : {', '.join(map(str, sorted(missing)))}.",
                                   returncode=1)
        count = 0
        for notification in rows:
            outbox.requeue(notification)
            count += 1
        if count:
            tasks.enqueue_send()
        self.stdout.write(f"{count} notification(s) remise(s) en file.")

    def _list(self, state=None, **options):
        rows = Notification.objects.order_by("-created_at", "-pk")
        if state:
            rows = rows.filter(state=state)
        rows = list(rows[:200])
        if not rows:
            self.stdout.write("Aucune notification.")
        for n in rows:
            when = timezone.localtime(n.created_at).strftime("%Y-%m-%d %H:%M")
            self.stdout.write(f"{n.pk}\t{when}\t{n.get_kind_display()}\t{n.get_state_display()}\t"
                              f"{n.attempts} essai(s)\t{n.last_error}")
