"""dcc documents export --out DIR [--kind frcp|pps|ppac] [--since DATE] | render [--pending] |
send [--document ID] [--to FINESS] [--since AAAA-MM-JJ] (the diffusion outbox, oncodcc.diffusion)"""

import csv
from datetime import date, datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.documents import services, store
from oncodcc.documents.models import Document, Rendering
from oncodcc.rcp.models import PARIS

MANIFEST_COLUMNS = ["patient_id", "kind", "set_id", "version", "status", "status_code", "created_at", "format",
                    "file", "sha256", "size"]


class Command(BaseCommand):
    help = "Documents : export (archive et migration) ou génération des rendus en attente."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="Écrit les rendus (PDF, CDA) et un manifeste CSV.")
        export.add_argument("--out", required=True)
        export.add_argument("--kind", choices=Document.Kind.values)
        export.add_argument("--since", help="AAAA-MM-JJ : documents créés depuis cette date (heure de Paris).")
        render = sub.add_parser("render", help="Met en file les rendus en attente ou en échec.")
        render.add_argument("--now", action="store_true", help="Les produire ici, sans passer par le worker.")
        send = sub.add_parser("send", help="Met en file d'envoi (diffusion) des documents existants, selon les "
                                           "règles de destinataires : un document, ou ceux d'une période.")
        send.add_argument("--document", type=int, help="Numéro du document.")
        send.add_argument("--to", metavar="FINESS",
                          help="Seulement au DPI de cet établissement (p. ex. à son raccordement).")
        send.add_argument("--since", help="AAAA-MM-JJ : documents créés depuis cette date (heure de Paris).")

    def handle(self, *args, action, **options):
        return getattr(self, f"_{action}")(**options)

    def _send(self, document=None, to=None, since=None, **options):
        from oncodcc.diffusion.onboarding import SendError, send_existing

        try:
            result = send_existing(document_id=document, finess=to, since=_since(since) if since else None)
        except SendError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        self.stdout.write(f"{result.documents} document(s) examiné(s) : {result.created} envoi(s) mis en file, "
                          f"{result.requeued} remis en file.")

    def _export(self, out, kind=None, since=None, **options):
        from pathlib import Path

        documents = Document.objects.prefetch_related("renderings").order_by("created_at", "pk")
        if kind:
            documents = documents.filter(kind=kind)
        if since:
            documents = documents.filter(created_at__gte=_since(since))
        root = Path(out)
        root.mkdir(parents=True, exist_ok=True)
        written = missing = 0
        patients: set[int] = set()
        with (root / "manifest.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, delimiter=";")
            writer.writerow(MANIFEST_COLUMNS)
            for document in documents.iterator(chunk_size=500):
                for rendering in document.renderings.all():
                    if rendering.state != Rendering.State.READY:
                        missing += 1
                        continue
                    relative = Path(document.kind) / str(document.patient_id) / (
                        f"{document.set_id}-v{document.version_number}.{rendering.extension}")
                    (root / relative).parent.mkdir(parents=True, exist_ok=True)
                    (root / relative).write_bytes(store.get(rendering.sha256, rendering.extension))
                    writer.writerow([document.patient_id, document.kind, document.set_id, document.version_number,
                                     document.status, document.status_code,
                                     timezone.localtime(document.created_at, PARIS).isoformat(), rendering.format,
                                     relative.as_posix(), rendering.sha256, rendering.size])
                    written += 1
                    patients.add(document.patient_id)
        audit.record(actor=None, action=Action.DOCUMENT_EXPORT,
                     details={"files": written, "patients": len(patients), "kind": kind or "all", "since": since or ""})
        self.stdout.write(f"{written} fichier(s) écrit(s) dans {root} (manifeste : manifest.csv)"
                          + (f" ; {missing} rendu(s) non disponible(s) ignoré(s)." if missing else "."))

    def _render(self, now=False, **options):
        # The failures first, with their reason (document number, kind and format only: no identity in the output).
        for rendering in (Rendering.objects.filter(state=Rendering.State.FAILED).select_related("document")
                          .order_by("document_id", "format")):
            given_up = " ; abandonné" if rendering.attempts >= services.MAX_ATTEMPTS else ""
            self.stdout.write(
                f"Échec : document {rendering.document_id} ({rendering.document.get_kind_display()}, "
                f"{rendering.get_format_display()}), {rendering.attempts} essai(s){given_up} : {rendering.error}")
        pending = Document.objects.filter(renderings__state__in=[Rendering.State.PENDING, Rendering.State.FAILED],
                                          renderings__attempts__lt=services.MAX_ATTEMPTS).distinct()
        count = 0
        for document in pending:
            if now:
                services.render(document.pk)
            else:
                services.enqueue(document.pk)
            count += 1
        self.stdout.write(f"{count} document(s) {'générés' if now else 'mis en file'}.")


def _since(value: str) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(value), time.min, tzinfo=PARIS)
    except ValueError as exc:
        raise CommandError("--since attend une date AAAA-MM-JJ.") from exc
