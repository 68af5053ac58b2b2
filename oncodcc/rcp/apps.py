from django.apps import AppConfig


class RcpConfig(AppConfig):
    name = "oncodcc.rcp"
    label = "rcp"
    verbose_name = "Réunions de concertation pluridisciplinaire (RCP)"

    def ready(self) -> None:
        from oncodcc.terminology import valuesets
        from oncodcc.terminology.loader import register_coded_field

        # policy registers the board permissions and the RCP's relations to patients; receivers: a practitioner
        # leaving an organisation leaves its boards.
        from . import policy, receivers  # noqa: F401

        for label, field, value_set in (
            ("rcp.Tumour", "topography", valuesets.TOPOGRAPHY), ("rcp.Tumour", "morphology", valuesets.MORPHOLOGY),
            ("rcp.Tumour", "laterality", valuesets.LATERALITY),
            ("rcp.ProposedTreatment", "code", valuesets.TREATMENT_TYPE),
            ("rcp.Fiche", "phase", valuesets.PHASE), ("rcp.Fiche", "case_status", valuesets.CASE_STATUS),
            ("rcp.Fiche", "who_performance", valuesets.WHO_PERFORMANCE),
            ("rcp.Fiche", "quorum_status", valuesets.QUORUM_STATUS),
        ):
            register_coded_field(label, field, value_set)
