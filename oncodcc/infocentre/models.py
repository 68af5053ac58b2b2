"""The infocentre's own tables: rollup counters (per day × board × kind) maintained by the services that write,
the patients discussed per board and year, the days each account signed in, and the activity a 3C declares for
the RCP reports made in other tools. No patient identity: a patient is an id, counted, never shown."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    MEETING_HELD = "meeting_held", _("séances tenues")
    FICHE = "fiche", _("fiches RCP validées (première validation)")
    FICHE_CORRECTION = "fiche_correction", _("corrections de fiches RCP validées")
    PPS = "pps", _("PPS validés (première validation)")
    PPS_UPDATE = "pps_update", _("mises à jour de PPS validées")
    PPAC = "ppac", _("PPAC validés (première validation)")
    POSTPONED = "postponed", _("dossiers reportés à une autre séance")


class DailyActivity(models.Model):
    """One counter: how many `kind` events happened on `day` (Europe/Paris) for `board` (none for a care plan
    without a fiche RCP). Written by the receivers of the validation signals; rebuilt by `dcc stats refresh`."""

    day = models.DateField(_("jour"))
    board = models.ForeignKey("rcp.Board", verbose_name=_("RCP"), null=True, blank=True, on_delete=models.CASCADE,
                              related_name="+")
    kind = models.CharField(_("nature"), max_length=20, choices=Kind.choices)
    count = models.PositiveIntegerField(_("nombre"), default=0)

    class Meta:
        verbose_name = _("compteur d'activité journalier")
        verbose_name_plural = _("compteurs d'activité journaliers")
        constraints = [
            models.UniqueConstraint(fields=["day", "board", "kind"], condition=models.Q(board__isnull=False),
                                    name="daily_activity_unique_board"),
            models.UniqueConstraint(fields=["day", "kind"], condition=models.Q(board__isnull=True),
                                    name="daily_activity_unique_regional"),
        ]
        indexes = [models.Index(fields=["kind", "day"], name="daily_activity_kind_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.board_id or '-'} {self.kind} {self.count}"


class DiscussedPatient(models.Model):
    """A patient whose case got a validated fiche RCP (first validation) in `year` on `board`: counts the
    distinct patients discussed without scanning the fiches."""

    year = models.PositiveSmallIntegerField(_("année"))
    board = models.ForeignKey("rcp.Board", on_delete=models.CASCADE, related_name="+")
    patient_id = models.BigIntegerField(_("patient (id)"))

    class Meta:
        verbose_name = _("patient discuté")
        verbose_name_plural = _("patients discutés")
        constraints = [models.UniqueConstraint(fields=["year", "board", "patient_id"],
                                               name="discussed_patient_unique")]

    def __str__(self) -> str:
        return f"{self.year} {self.board_id} {self.patient_id}"


class SignInDay(models.Model):
    """A day on which an account signed in (filled at each login; backfilled from the audit trail's
    `auth.login` events by `dcc stats refresh`). `last_login` only keeps the last one."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("jour"))

    class Meta:
        verbose_name = _("jour de connexion")
        verbose_name_plural = _("jours de connexion")
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="sign_in_day_unique")]
        indexes = [models.Index(fields=["day"], name="sign_in_day_day")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day}"


class DeclaredActivity(models.Model):
    """RCP reports a 3C made in another tool, for one board and one month, so that the region's census is
    complete (the share of fiches produced in OncoDCC)."""

    board = models.ForeignKey("rcp.Board", verbose_name=_("RCP"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("mois"), help_text=_("Le premier jour du mois."))
    reports = models.PositiveIntegerField(_("comptes rendus de RCP faits hors OncoDCC"))
    tool = models.CharField(_("outil utilisé"), max_length=100, blank=True)
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("déclaré par"),
                                    on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField(_("déclaré le"), auto_now=True)

    class Meta:
        verbose_name = _("activité déclarée hors OncoDCC")
        verbose_name_plural = _("activités déclarées hors OncoDCC")
        ordering = ["-month", "board__name"]
        constraints = [models.UniqueConstraint(fields=["board", "month"], name="declared_activity_unique_month")]

    def __str__(self) -> str:
        return f"{self.board} {self.month:%m/%Y} : {self.reports}"


class FicheSearchDocument(models.Model):
    """The searchable text of a validated fiche RCP (question, case summary, proposal, comments, organ-form
    answers), rewritten in the validation's transaction. On PostgreSQL the table also has a stored generated column
    `search_vector` = `to_tsvector('french', infocentre_unaccent(body))` with a GIN index (migration 0002; unknown
    to the ORM, computed by the database); SQLite through the FTS5 table `infocentre_fiche_fts`
    (rowid = fiche id), written beside it. Only the latest validated version of each fiche set has one."""

    fiche = models.OneToOneField("rcp.Fiche", primary_key=True, on_delete=models.CASCADE, related_name="+")
    set_id = models.UUIDField(db_index=True)
    body = models.TextField()
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("texte indexé d'une fiche RCP")
        verbose_name_plural = _("textes indexés des fiches RCP")

    def __str__(self) -> str:
        return f"fiche {self.fiche_id}"


class SavedSearch(models.Model):
    """A named search over the fiches, kept for its owner only: the query string of the search page."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("nom"), max_length=100)
    query = models.CharField(_("critères"), max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("recherche enregistrée")
        verbose_name_plural = _("recherches enregistrées")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="saved_search_unique_name")]

    def __str__(self) -> str:
        return self.name
