"""Pydantic schemas of the API. Texts are checked at the edge: no control characters, bounded lengths."""

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from ninja import Field, Schema
from pydantic import AfterValidator

from oncodcc.core.text import has_control_chars
from oncodcc.rcp.services.fiches import MAX_TEXT


def _clean_text(value: str) -> str:
    if has_control_chars(value):
        raise ValueError("Ce texte contient des caractères de contrôle non autorisés.")
    return value


def Text(max_length: int) -> Any:  # a type factory, named like a type
    return Annotated[str, Field(max_length=max_length), AfterValidator(_clean_text)]


Code = Text(20)


class ErrorOut(Schema):
    detail: str


class FieldErrorsOut(Schema):
    detail: str
    errors: dict[str, list[str]] = Field(description="Messages par champ (tumours, treatments, further_tests : "
                                                     "messages sur les listes).")


class RequestErrorOut(Schema):
    detail: list[dict[str, Any]]


class ChangeOut(Schema):
    yours: Any = Field(description="La valeur envoyée.")
    current: Any = Field(description="La valeur enregistrée entre-temps par quelqu'un d'autre.")


class ConflictOut(Schema):
    detail: str
    current_version: int = Field(description="lock_version à renvoyer pour écraser en connaissance de cause.")
    changes: dict[str, ChangeOut]


class TumourIn(Schema):
    topography: Text(10) = Field("", description="Code CIM-10 (JDV_Tumeur_CISIS).")
    laterality: Code = Field("", description="Code JDV_ModificateurTopographique_CISIS.")
    morphology: Text(10) = Field("", description="Code CIM-O-3 (JDV_Morphologie_CISIS).")
    diagnosis_date: date | None = None
    tnm_t: Text(10) = ""
    tnm_n: Text(10) = ""
    tnm_m: Text(10) = ""
    tnm_edition: Text(60) = ""
    other_stage: Text(200) = ""
    comment: Text(500) = ""


class TreatmentIn(Schema):
    code: Code = Field(description="Code JDV_TypeTraitement_FRCP_CISIS.")
    is_alternative: bool = False
    detail: Text(500) = ""


class FurtherTestIn(Schema):
    description: Text(300)
    earliest: date | None = None
    latest: date | None = None


class FicheFields(Schema):
    """The fiche's own items (CI-SIS FRCP 2022.01). In a PUT, an item left out keeps its value."""

    nature: Code = Field("", description="JDV_NatureDiscussion_CISIS.")
    organ_system: Code = Field("", description="JDV_RCP_Appareil_CISIS.")
    organs: list[Code] = Field(default_factory=list, max_length=100, description="JDV_RCP_Organe_CISIS.")
    care_types: list[Code] = Field(default_factory=list, max_length=100, description="JDV_TraitementSoins_FRCP_CISIS.")
    is_recourse: bool = False
    is_paediatric: bool = False
    motive_diagnostic: bool = False
    motive_treatment: bool = False
    motive_recourse: bool = False
    motive_paediatric: bool = False
    case_status: Code = Field("", description="JDV_StatutCasPresente_CISIS.")
    screening: bool | None = None
    screening_date: date | None = None
    who_performance: Code = Field("", description="JDV_OMSEchPerf_CISIS.")
    phase: Code = Field("", description="JDV_PhaseCancer_CISIS.")
    progression: bool | None = None
    progression_type: Code = Field("", description="JDV_ProgressionCancer_CISIS.")
    case_summary: Text(MAX_TEXT) = ""
    question: Text(MAX_TEXT) = ""
    complete_file: bool = False
    surveillance_only: bool = False
    recourse_referral: bool = False
    recourse_referral_detail: Text(300) = ""
    proposal_comment: Text(MAX_TEXT) = ""
    guideline_name: Text(300) = ""
    guideline_version: Text(50) = ""
    guideline_date: date | None = None
    trial_proposed: bool | None = None
    trial_detail: Text(300) = ""
    proposed_trial_id: int | None = Field(None, ge=1, le=2**31 - 1,
                                          description="Essai du registre régional proposé (id de /fhir/ResearchStudy).")
    comments: Text(MAX_TEXT) = ""


class FicheIn(FicheFields):
    lock_version: int = Field(ge=0, le=2**31 - 1, description="La lock_version lue (verrouillage optimiste).")
    tumours: list[TumourIn] | None = Field(None, max_length=50, description="Absent : inchangé.")
    treatments: list[TreatmentIn] | None = Field(None, max_length=50, description="Dans l'ordre ; absent : inchangé.")
    further_tests: list[FurtherTestIn] | None = Field(None, max_length=50, description="Absent : inchangé.")


class TumourOut(TumourIn):
    topography_label: str
    morphology_label: str
    laterality_label: str


class TreatmentOut(TreatmentIn):
    sequence: int
    label: str


class FurtherTestOut(FurtherTestIn):
    pass


class ParticipantOut(Schema):
    name: str
    rpps: str = ""
    specialty: str = ""
    is_doctor: bool = True
    member: bool = False


class FicheOut(FicheFields):
    id: int
    set_id: UUID
    version_number: int
    status: str = Field(description="draft, validated ou superseded.")
    lock_version: int
    patient_id: int
    registration_id: int
    meeting_id: int
    board: str
    meeting_starts_at: datetime
    quorum_status: str
    participants: list[ParticipantOut]
    validated_at: datetime | None
    signer_name: str
    correction_reason: str
    tumours: list[TumourOut]
    treatments: list[TreatmentOut]
    further_tests: list[FurtherTestOut]
