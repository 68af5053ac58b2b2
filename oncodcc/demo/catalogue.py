"""What the demo region is made of: organisations, specialties, the 8 boards and, per board, plausible tumours
(CIM-10 topography + CIM-O-3 morphology, checked against the terminology files by the tests) and the
successive steps of a case (question, summary, proposals). Everything here is invented."""

from dataclasses import dataclass, field
from datetime import time

from oncodcc.terminology import valuesets as vs

# --- organisations ---
DEMO_DSRC_ID = "DEMO-ONCODCC-DSRC"  # marks the demo region (national_id of its DSRC)
DEMO_OID_ARC = "1.2.250.1.999"  # OIDs of demo organisations: NOT a registered arc, demo only
DSRC = {"name": "Onco Démo — DSRC de la région de démonstration", "short_name": "Onco Démo",
        "address": "12 allée des Platanes, 99000 Valmont (adresse fictive)", "phone": "01 99 00 00 00"}
TERRITORIES = [
    {"territory": {"name": "Territoire Nord — Valmont-Rivebelle", "code": "DEMO-NORD"},
     "ccc": {"name": "3C Nord — Valmont et Rivebelle", "short_name": "3C Nord", "national_id": "DEMO-3C-NORD"},
     "department": "31",
     "hospitals": [
         ("Centre hospitalier universitaire de Valmont", "CHU Valmont", "Hôpital Pasteur"),
         ("Centre hospitalier de Rivebelle", "CH Rivebelle", "Site des Tilleuls"),
         ("Clinique du Parc de Valmont", "Clinique du Parc", "Site principal"),
     ]},
    {"territory": {"name": "Territoire Sud — Castelnau-Orb", "code": "DEMO-SUD"},
     "ccc": {"name": "3C Sud — Castelnau et Sainte-Colombe", "short_name": "3C Sud", "national_id": "DEMO-3C-SUD"},
     "department": "34",
     "hospitals": [
         ("Centre hospitalier de Castelnau-la-Garde", "CH Castelnau", "Hôpital Saint-Roch"),
         ("Institut régional du cancer de Sainte-Colombe", "IRC Sainte-Colombe", "Site Marie-Curie"),
         ("Polyclinique de Montferrier-sur-Orb", "Polyclinique Montferrier", "Site des Berges"),
     ]},
]

# --- specialties (G15_10/SMxx) ---
ONCO = "G15_10/SM36"  # oncologie médicale
RADIOTHERAPY = "G15_10/SM37"
PATHOLOGY = "G15_10/SM01"
SURGERY_DIG = "G15_10/SM14"
SURGERY_THO = "G15_10/SM11"
RADIOLOGY = "G15_10/SM44"
PNEUMO = "G15_10/SM41"
GASTRO = "G15_10/SM24"
GYNAECO = "G15_10/SM20"
UROLOGY = "G15_10/SM12"
HAEMATO = "G15_10/SM21"
ONCO_HAEMATO = "G15_10/SM23"
DERMATO = "G15_10/SM15"
ENT = "G15_10/SM34"
NEUROSURGERY = "G15_10/SM31"
NUCLEAR = "G15_10/SM28"
GERIATRICS = "G15_10/SM18"
GP = "G15_10/SM54"

# 60 practitioners: how many of each specialty.
PRACTITIONERS = [
    (ONCO, 8), (RADIOTHERAPY, 5), (PATHOLOGY, 5), (RADIOLOGY, 5), (SURGERY_DIG, 3), (SURGERY_THO, 2),
    (PNEUMO, 3), (GASTRO, 3), (GYNAECO, 4), (UROLOGY, 3), (HAEMATO, 2), (ONCO_HAEMATO, 2), (DERMATO, 1),
    (ENT, 3), (NEUROSURGERY, 1), (NUCLEAR, 3), (GERIATRICS, 1), (GP, 6),
]

# Birthplaces (INSEE COG): communes of the south-west, Corsica (2A/2B: the NIR key rule), abroad (99xxx).
BIRTHPLACES = [
    ("31555", 12), ("34172", 8), ("30189", 4), ("66136", 4), ("11069", 3), ("81004", 3), ("82121", 2),
    ("65440", 2), ("12202", 2), ("46042", 1), ("09122", 1), ("32013", 1), ("33063", 3), ("75112", 4),
    ("69381", 2), ("13201", 2), ("59350", 1), ("67482", 1), ("2A004", 1), ("2B033", 1),
    ("99350", 2), ("99352", 2), ("99139", 2), ("99134", 1), ("99127", 1),
]

COMPOUND_FIRST_NAMES = {
    "F": ["Marie-Claude", "Anne-Sophie", "Marie-Hélène", "Marie-Thérèse", "Anne-Laure", "Marie-Ève", "Rose-Marie"],
    "M": ["Jean-Pierre", "Jean-Luc", "Pierre-Yves", "Jean-François", "Jean-Noël", "Marc-Antoine", "Jean-Éric"],
}


@dataclass(frozen=True)
class TumourKind:
    topography: str  # CIM-10 (JDV_Tumeur_CISIS)
    morphologies: tuple[str, ...]  # CIM-O-3 (JDV_Morphologie_CISIS), the first is the most frequent
    weight: int = 1
    sided: bool = False  # paired organ: laterality right/left
    staging: str = "tnm"  # "tnm" or "other" (haematology: Ann Arbor, ISS…)
    site: str = ""  # words for the summaries
    steps: tuple["Step", ...] = ()  # when the board's generic steps do not fit this tumour


@dataclass(frozen=True)
class Proposal:
    treatments: tuple[tuple[str, str], ...] = ()  # (JDV_TypeTraitement_FRCP code, detail)
    alternative: tuple[str, str] | None = None
    surveillance: bool = False
    further_test: str = ""
    comment: str = ""
    weight: int = 1
    only: tuple[str, ...] = ()  # topography prefixes this proposal fits (empty: any)


@dataclass(frozen=True)
class Step:
    question: str
    summary: str  # format keys: patient, site, morpho, side, size, who, stage, tnm
    proposals: tuple[Proposal, ...]
    phase: str = vs.PHASE_INITIAL
    motive_diagnostic: bool = False
    pathological: bool = False  # pT/pN after surgery


@dataclass(frozen=True)
class BoardSpec:
    key: str
    name: str
    territory: int
    organ_system: str
    organs: tuple[str, ...]
    members: tuple[str, ...]  # specialties of the permanent members, the coordinator's first
    requesters: tuple[str, ...]  # specialties of the doctors who register cases
    weekday: int
    interval: int
    start: time
    tumours: tuple[TumourKind, ...]
    steps: tuple[Step, ...]
    nature: str = vs.NATURE_ORGAN
    care_types: tuple[str, ...] = ()
    sex_female: float = 0.5
    screening: float = 0.0  # share of cases discovered by organised screening
    guideline: str = ""
    older: bool = False
    youngest: int = 1995  # latest birth year of the board's patients
    place: str = ""
    weight: float = 1.0
    extra: dict = field(default_factory=dict)


SURG, RT, CHEMO, TARGETED, HORMONE, IMMUNO = "387713003", "C15313", "C15632", "C93352", "C547", "C15262"
BRACHY, IR, ACTIVE_SURV, GRAFT, SUPPORT, PALLIATIVE = "C15195", "C63334", "MED-227", "MED-126", "C15747", "C15252"
TUE, WED, THU, MON = 1, 2, 3, 0

T_OPTIONS = {"c": ["cT1b", "cT1c", "cT2", "cT2", "cT3", "cT4a"], "p": ["pT1a", "pT1b", "pT1c", "pT2", "pT2", "pT3"]}
N_OPTIONS = {"c": ["cN0", "cN0", "cN0", "cN1", "cN2"], "p": ["pN0", "pN0", "pN0(sn)", "pN1a", "pN2"]}
M_OPTIONS = ["cM0", "cM0", "cM0", "cM0", "cM0", "cM1"]
OTHER_STAGES = ["Ann Arbor stade IIA", "Ann Arbor stade IIIA", "Ann Arbor stade IVB", "ISS 2 (R-ISS II)",
                "Risque intermédiaire (ELN 2022)", "Binet A"]

BLADDER_STEPS = (
    Step("Tumeur de vessie infiltrante : quelle stratégie ?",
         "{patient}, {who}. Hématurie macroscopique. Résection transurétrale : {morpho} infiltrant le muscle. "
         "Scanner : {stage}.",
         (Proposal(((CHEMO, "Chimiothérapie néoadjuvante dd-MVAC, 4 cycles"), (SURG, "Cystectomie totale")),
                   weight=3),
          Proposal(((RT, "Radiochimiothérapie (traitement trimodal conservateur)"),), weight=1))),
    Step("Traitement adjuvant après cystectomie ?",
         "{patient}. Cystectomie : {morpho}, {tnm}, marges saines. {who}.",
         (Proposal(surveillance=True, comment="Scanner tous les 6 mois.", weight=2),
          Proposal(((IMMUNO, "Nivolumab adjuvant 1 an"),), weight=1)),
         pathological=True),
    Step("Progression métastatique : que proposer ?",
         "{patient}. Antécédent de {morpho} ({tnm}). Métastases pulmonaires au scanner. {who}.",
         (Proposal(((TARGETED, "Enfortumab védotin"), (IMMUNO, "Pembrolizumab")),),),
         phase=vs.PHASE_RELAPSE, pathological=True),
)
KIDNEY_STEPS = (
    Step("Masse rénale : quelle prise en charge ?",
         "{patient}, {who}. Masse tissulaire du {site} {side} de {size} mm, découverte fortuite à l'échographie. "
         "Biopsie : {morpho}. {stage}.",
         (Proposal(((SURG, "Néphrectomie partielle robot-assistée"),), weight=3),
          Proposal(((IR, "Radiofréquence percutanée"),), weight=1))),
    Step("Surveillance après néphrectomie ?",
         "{patient}. Néphrectomie partielle : {morpho}, {tnm}, marges saines. {who}.",
         (Proposal(surveillance=True, comment="Scanner à 6 mois puis annuel.", weight=3),),
         pathological=True),
    Step("Métastases : quel traitement systémique ?",
         "{patient}. Antécédent de {morpho} du {site} ({tnm}). Métastases pulmonaires. {who}.",
         (Proposal(((IMMUNO, "Nivolumab-ipilimumab"),), weight=1),
          Proposal(((TARGETED, "Pembrolizumab-axitinib"),), weight=1)),
         phase=vs.PHASE_RELAPSE, pathological=True),
)

BOARDS: tuple[BoardSpec, ...] = (
    BoardSpec(
        key="sein", name="RCP Sein", territory=0, organ_system="76752008", organs=("76752008",),
        members=(GYNAECO, ONCO, ONCO, GYNAECO, RADIOTHERAPY, PATHOLOGY, RADIOLOGY, NUCLEAR),
        requesters=(GYNAECO, ONCO), weekday=TUE, interval=1, start=time(17, 0), sex_female=0.99, screening=0.45,
        guideline="Référentiel régional Onco Démo — cancers du sein", weight=1.6,
        place="Salle de staff Curie, CHU de Valmont",
        tumours=(
            TumourKind("C50.4", ("8500/3", "8520/3"), 5, sided=True, site="quadrant supéro-externe du sein"),
            TumourKind("C50.2", ("8500/3", "8522/3"), 2, sided=True, site="quadrant supéro-interne du sein"),
            TumourKind("C50.5", ("8500/3", "8520/3"), 2, sided=True, site="quadrant inféro-externe du sein"),
            TumourKind("C50.1", ("8500/3",), 1, sided=True, site="région centrale du sein"),
            TumourKind("C50.8", ("8522/3", "8500/3"), 1, sided=True, site="jonction des quadrants du sein"),
        ),
        steps=(
            Step("Quelle stratégie thérapeutique initiale ?",
                 "{patient}, {who}. {discovery} : nodule du {site} {side} de {size} mm (ACR 5). Microbiopsie : "
                 "{morpho}, grade II, {breast_biology}. Bilan d'extension sans "
                 "anomalie. {stage}.",
                 (Proposal(((SURG, "Tumorectomie avec biopsie du ganglion sentinelle"),), weight=4),
                  Proposal(((CHEMO, "Chimiothérapie néoadjuvante (EC puis paclitaxel)"),
                            (SURG, "Chirurgie à l'issue de la chimiothérapie")), weight=1),
                  Proposal(further_test="IRM mammaire bilatérale avant décision chirurgicale",
                           comment="Dossier à représenter avec l'IRM.", weight=1)),
                 motive_diagnostic=False),
            Step("Traitement adjuvant après la chirurgie ?",
                 "{patient}. Tumorectomie et ganglion sentinelle : {morpho} de {size} mm, {tnm}, marges saines, "
                 "pas d'embole. {who}.",
                 (Proposal(((RT, "Radiothérapie du sein, 40 Gy en 15 fractions"),
                            (HORMONE, "Hormonothérapie adjuvante 5 ans (inhibiteur de l'aromatase)")), weight=4),
                  Proposal(((CHEMO, "Chimiothérapie adjuvante, 4 cycles"), (RT, "Radiothérapie du sein"),
                            (HORMONE, "Hormonothérapie 5 ans")), weight=2)),
                 pathological=True),
            Step("Évolution sous hormonothérapie : quelle prise en charge ?",
                 "{patient}. Suivi après traitement d'un {morpho} du sein {side} ({tnm}). Mammographie et "
                 "échographie annuelles sans anomalie. Tolérance correcte de l'hormonothérapie. {who}.",
                 (Proposal(surveillance=True, comment="Poursuite de l'hormonothérapie, surveillance clinique et "
                                                      "mammographique annuelle.", weight=3),
                  Proposal(((TARGETED, "Inhibiteur de CDK4/6 associé à l'hormonothérapie"),),
                           comment="Rechute métastatique osseuse.", weight=1)),
                 pathological=True),
        ),
    ),
    BoardSpec(
        key="digestif", name="RCP Digestif — côlon, rectum, anus", territory=0, organ_system="86762007",
        organs=("MED-251",), members=(SURGERY_DIG, GASTRO, ONCO, SURGERY_DIG, GASTRO, RADIOTHERAPY, PATHOLOGY, RADIOLOGY),
        requesters=(SURGERY_DIG, GASTRO), weekday=THU, interval=1, start=time(17, 0), sex_female=0.45,
        screening=0.35, guideline="Thésaurus national de cancérologie digestive (TNCD), démo", weight=1.4,
        place="Salle de réunion du pôle digestif, CHU de Valmont",
        tumours=(
            TumourKind("C18.7", ("8140/3", "8480/3"), 4, site="côlon sigmoïde"),
            TumourKind("C18.0", ("8140/3", "8480/3"), 2, site="cæcum"),
            TumourKind("C18.2", ("8140/3",), 2, site="côlon ascendant"),
            TumourKind("C19", ("8140/3",), 1, site="rectosigmoïde"),
            TumourKind("C20", ("8140/3", "8480/3"), 3, site="moyen rectum"),
        ),
        steps=(
            Step("Stratégie thérapeutique initiale ?",
                 "{patient}, {who}. {discovery}. Coloscopie : lésion bourgeonnante du {site}. Biopsies : {morpho}. "
                 "Scanner thoraco-abdomino-pelvien : {stage}. ACE normal.",
                 (Proposal(((SURG, "Résection carcinologique par cœlioscopie"),), weight=4, only=("C18", "C19")),
                  Proposal(((RT, "Radiochimiothérapie préopératoire (capécitabine)"),
                            (SURG, "Exérèse totale du mésorectum à 8 semaines")), weight=4, only=("C20",)),
                  Proposal(further_test="IRM pelvienne et écho-endoscopie", comment="À représenter avec le bilan.",
                           weight=1)),
                 motive_diagnostic=False),
            Step("Chimiothérapie adjuvante ?",
                 "{patient}. Résection du {site} : {morpho}, {tnm}, 2/18 ganglions envahis, R0, statut MMR "
                 "conservé (pMMR). Suites simples. {who}.",
                 (Proposal(((CHEMO, "Chimiothérapie adjuvante CAPOX, 3 mois"),), weight=3),
                  Proposal(((CHEMO, "Chimiothérapie adjuvante FOLFOX, 6 mois"),), weight=1),
                  Proposal(surveillance=True, comment="Surveillance selon le TNCD (ACE, scanner, coloscopie à 1 an).",
                           weight=2)),
                 pathological=True),
            Step("Métastases hépatiques : quelle stratégie ?",
                 "{patient}. Antécédent de {morpho} du {site} ({tnm}). Scanner de surveillance : 2 nodules "
                 "hépatiques du segment VI, RAS muté. {who}.",
                 (Proposal(((CHEMO, "FOLFIRI + bévacizumab, réévaluation après 4 cures"),),
                           alternative=(SURG, "Hépatectomie à discuter si réponse"), weight=2),
                  Proposal(((IR, "Radiofréquence percutanée des nodules hépatiques"),), weight=1)),
                 phase=vs.PHASE_RELAPSE, pathological=True),
        ),
    ),
    BoardSpec(
        key="thorax", name="RCP Thorax", territory=0, organ_system="312419003", organs=("MED-255",),
        members=(PNEUMO, PNEUMO, SURGERY_THO, ONCO, RADIOTHERAPY, PATHOLOGY, RADIOLOGY, NUCLEAR),
        requesters=(PNEUMO, SURGERY_THO), weekday=THU, interval=2, start=time(17, 0), sex_female=0.35,
        guideline="Référentiels Auvergne-Rhône-Alpes en oncologie thoracique (démo)",
        place="Salle de staff de pneumologie, CH de Rivebelle",
        tumours=(
            TumourKind("C34.1", ("8140/3", "8070/3", "8046/3"), 4, sided=True, site="lobe supérieur"),
            TumourKind("C34.3", ("8140/3", "8070/3"), 2, sided=True, site="lobe inférieur"),
            TumourKind("C34.2", ("8140/3",), 1, site="lobe moyen"),
            TumourKind("C34.9", ("8140/3", "8070/3"), 1, sided=True, site="poumon"),
        ),
        steps=(
            Step("Nodule pulmonaire suspect : stratégie diagnostique et thérapeutique ?",
                 "{patient}, tabagisme sevré 30 PA, {who}. Nodule spiculé du {site} {side} de {size} mm, "
                 "hypermétabolique au TEP-TDM. Biopsie transthoracique : {morpho}, PD-L1 30 %. {stage}. EFR "
                 "compatibles avec une lobectomie.",
                 (Proposal(((SURG, "Lobectomie par vidéothoracoscopie avec curage ganglionnaire"),), weight=3),
                  Proposal(((RT, "Radiothérapie en conditions stéréotaxiques, 3 × 18 Gy"),), weight=1),
                  Proposal(((CHEMO, "Chimiothérapie à base de sels de platine"),
                            (IMMUNO, "Immunothérapie associée")), weight=1)),
                 motive_diagnostic=True),
            Step("Traitement adjuvant ?",
                 "{patient}. Lobectomie {side} : {morpho}, {tnm}, R0. Pas de mutation EGFR ni de réarrangement "
                 "ALK. {who}.",
                 (Proposal(((CHEMO, "Chimiothérapie adjuvante cisplatine-vinorelbine, 4 cycles"),), weight=2),
                  Proposal(((IMMUNO, "Immunothérapie adjuvante 1 an"),), weight=1),
                  Proposal(surveillance=True, comment="Scanner thoracique tous les 6 mois pendant 2 ans.", weight=2)),
                 pathological=True),
            Step("Progression : quelle ligne suivante ?",
                 "{patient}. {morpho} du {site} ({tnm}) traité. Scanner : apparition de nodules controlatéraux "
                 "et d'une lésion surrénalienne. {who}.",
                 (Proposal(((CHEMO, "Carboplatine-pémétrexed"), (IMMUNO, "Pembrolizumab")), weight=2),
                  Proposal(((PALLIATIVE, "Soins de support exclusifs, équipe mobile de soins palliatifs"),),
                           weight=1)),
                 phase=vs.PHASE_RELAPSE, pathological=True),
        ),
    ),
    BoardSpec(
        key="urologie", name="RCP Urologie", territory=1, organ_system="122489005",
        organs=("41216001", "89837001", "64033007"),
        members=(UROLOGY, UROLOGY, ONCO, RADIOTHERAPY, PATHOLOGY, RADIOLOGY, NUCLEAR),
        requesters=(UROLOGY,), weekday=TUE, interval=2, start=time(17, 0), sex_female=0.12, youngest=1975,
        guideline="Recommandations du CCAFU (démo)", place="Salle Necker, Institut régional du cancer de Sainte-Colombe",
        tumours=(
            TumourKind("C61", ("8140/3",), 6, site="prostate"),
            TumourKind("C67.2", ("8120/3", "8130/3"), 2, site="paroi latérale de la vessie", steps=BLADDER_STEPS),
            TumourKind("C64", ("8310/3", "8312/3"), 2, sided=True, site="rein", steps=KIDNEY_STEPS),
        ),
        steps=(
            Step("Quelle prise en charge initiale ?",
                 "{patient}, {who}. PSA 9,2 ng/mL. IRM : lésion PI-RADS 4 de la {site}. Biopsies : {morpho}, "
                 "score de Gleason 7 (3+4), 4/12 biopsies positives. {stage}.",
                 (Proposal(((SURG, "Prostatectomie totale robot-assistée"),), weight=3),
                  Proposal(((RT, "Radiothérapie externe prostatique"), (HORMONE, "Hormonothérapie courte 6 mois")),
                           weight=2),
                  Proposal(((ACTIVE_SURV, "Surveillance active : PSA tous les 6 mois, IRM et biopsies à 1 an"),),
                           weight=2))),
            Step("Traitement complémentaire ?",
                 "{patient}. Chirurgie : {morpho}, {tnm}, marges saines. PSA indosable à 3 mois. {who}.",
                 (Proposal(surveillance=True, comment="PSA tous les 6 mois.", weight=3),
                  Proposal(((RT, "Radiothérapie de rattrapage du lit de prostatectomie"),), weight=1)),
                 pathological=True),
            Step("Récidive biologique : que proposer ?",
                 "{patient}. Antécédent de {morpho} ({tnm}). PSA 1,8 ng/mL en ascension. TEP au PSMA : "
                 "fixation ganglionnaire iliaque isolée. {who}.",
                 (Proposal(((RT, "Radiothérapie pelvienne"), (HORMONE, "Hormonothérapie 2 ans")), weight=2),
                  Proposal(((HORMONE, "Hormonothérapie de nouvelle génération"),), weight=1)),
                 phase=vs.PHASE_RELAPSE, pathological=True),
        ),
    ),
    BoardSpec(
        key="gynecologie", name="RCP Gynécologie", territory=1, organ_system="53065001",
        organs=("71252005", "23952005", "15497006"),
        members=(GYNAECO, GYNAECO, ONCO, RADIOTHERAPY, PATHOLOGY, RADIOLOGY),
        requesters=(GYNAECO, ONCO), weekday=THU, interval=2, start=time(17, 0), sex_female=1.0, screening=0.2,
        guideline="Recommandations INCa cancers gynécologiques (démo)",
        place="Salle de staff de gynécologie, CH de Castelnau-la-Garde",
        tumours=(
            TumourKind("C54.1", ("8380/3",), 3, site="endomètre"),
            TumourKind("C53.9", ("8070/3", "8140/3"), 2, site="col utérin"),
            TumourKind("C56", ("8461/3", "8441/3"), 2, sided=True, site="ovaire"),
        ),
        steps=(
            Step("Stratégie initiale ?",
                 "{patient}, {who}. {discovery}. Lésion tumorale ({site}) de {size} mm à l'IRM. Biopsie : "
                 "{morpho}. {stage}.",
                 (Proposal(((SURG, "Hystérectomie totale avec annexectomie bilatérale et ganglion sentinelle"),),
                           only=("C54",)),
                  Proposal(((RT, "Radiochimiothérapie concomitante"), (BRACHY, "Curiethérapie utéro-vaginale")),
                           only=("C53",)),
                  Proposal(((CHEMO, "Chimiothérapie néoadjuvante carboplatine-paclitaxel, 3 cycles"),
                            (SURG, "Chirurgie d'intervalle")), only=("C56",)))),
            Step("Traitement adjuvant ?",
                 "{patient}. Chirurgie : {morpho}, {tnm}, ganglion sentinelle négatif. {who}.",
                 (Proposal(((BRACHY, "Curiethérapie vaginale adjuvante"),), weight=2, only=("C54",)),
                  Proposal(surveillance=True, comment="Surveillance clinique tous les 4 mois.", weight=2),
                  Proposal(((CHEMO, "Chimiothérapie adjuvante, 6 cycles"),), weight=2, only=("C56",))),
                 pathological=True),
            Step("Récidive : quelle stratégie ?",
                 "{patient}. Antécédent de {morpho} ({tnm}). Récidive péritonéale au scanner, CA-125 en hausse. "
                 "{who}.",
                 (Proposal(((CHEMO, "Chimiothérapie de deuxième ligne"), (TARGETED, "Entretien par inhibiteur de PARP")),
                           weight=2, only=("C56",)),
                  Proposal(((SUPPORT, "Soins de support, consultation douleur"),), weight=1)),
                 phase=vs.PHASE_RELAPSE, pathological=True),
        ),
    ),
    BoardSpec(
        key="hematologie", name="RCP Hématologie", territory=1, organ_system="57171008",
        organs=("C3211", "C9357", "C3242", "C3171"),
        members=(HAEMATO, ONCO_HAEMATO, HAEMATO, ONCO_HAEMATO, PATHOLOGY, RADIOTHERAPY, NUCLEAR),
        requesters=(HAEMATO, ONCO_HAEMATO), weekday=WED, interval=1, start=time(14, 0), sex_female=0.45,
        guideline="Référentiels LYSA / IFM (démo)", place="Salle de réunion d'hématologie, IRC Sainte-Colombe",
        tumours=(
            TumourKind("C83.3", ("9680/3",), 4, staging="other", site="ganglions cervicaux et médiastinaux"),
            TumourKind("C81.1", ("9663/3",), 2, staging="other", site="médiastin"),
            TumourKind("C90.0", ("9732/3",), 2, staging="other", site="moelle osseuse"),
            TumourKind("C82.9", ("9690/3",), 1, staging="other", site="ganglions axillaires"),
            TumourKind("C92.0", ("9861/3",), 1, staging="other", site="moelle osseuse"),
        ),
        steps=(
            Step("Traitement de première ligne ?",
                 "{patient}, {who}. Diagnostic récent : {morpho} (atteinte : {site}). {stage}. Bilan "
                 "préthérapeutique (échographie cardiaque, sérologies) réalisé.",
                 (Proposal(((CHEMO, "Immunochimiothérapie R-CHOP, 6 cycles"),), only=("C83", "C82")),
                  Proposal(((CHEMO, "Chimiothérapie ABVD, 4 cycles"), (RT, "Radiothérapie des sites atteints")),
                           only=("C81",)),
                  Proposal(((IMMUNO, "Daratumumab-lénalidomide-dexaméthasone"),), only=("C90",)),
                  Proposal(((CHEMO, "Chimiothérapie d'induction 7+3"), (GRAFT, "Allogreffe en première rémission")),
                           only=("C92",))),
                 motive_diagnostic=True),
            Step("Évaluation intermédiaire : poursuite du traitement ?",
                 "{patient}. {morpho}, {stage}. Évaluation après 3 cycles : très bonne réponse, tolérance "
                 "correcte. {who}.",
                 (Proposal(((CHEMO, "Poursuite du traitement jusqu'au terme prévu"),), weight=3),
                  Proposal(((RT, "Radiothérapie de consolidation des sites initialement volumineux"),),
                           only=("C83", "C81")),
                  Proposal(((GRAFT, "Autogreffe de cellules souches après intensification"),), only=("C90",)))),
            Step("Rechute : quelle stratégie ?",
                 "{patient}. Rechute de {morpho} 14 mois après la première ligne. {who}.",
                 (Proposal(((IMMUNO, "Cellules CAR-T (adressage au centre de référence)"),), only=("C83", "C90")),
                  Proposal(((CHEMO, "Chimiothérapie de rattrapage"), (GRAFT, "Autogreffe si chimiosensibilité")),
                           weight=2)),
                 phase=vs.PHASE_RELAPSE),
        ),
    ),
    BoardSpec(
        key="vads", name="RCP Voies aérodigestives supérieures (VADS)", territory=1, organ_system="119253004",
        organs=("4596009", "74262004", "54066008"),
        members=(ENT, ENT, ONCO, RADIOTHERAPY, PATHOLOGY, RADIOLOGY, DERMATO),
        requesters=(ENT,), weekday=THU, interval=2, start=time(17, 0), sex_female=0.25,
        guideline="Référentiels GORTEC / SFORL (démo)", place="Salle de staff ORL, CH de Castelnau-la-Garde",
        tumours=(
            TumourKind("C32.0", ("8070/3",), 3, site="glotte"),
            TumourKind("C02.9", ("8070/3", "8071/3"), 2, site="langue mobile"),
            TumourKind("C10.9", ("8070/3", "8083/3"), 2, site="oropharynx, p16 positif"),
            TumourKind("C13.9", ("8070/3",), 1, site="hypopharynx"),
        ),
        steps=(
            Step("Stratégie thérapeutique ?",
                 "{patient}, tabagisme actif, {who}. Panendoscopie : lésion ulcéro-bourgeonnante ({site}). "
                 "Biopsie : {morpho}. Scanner cervico-thoracique : {stage}.",
                 (Proposal(((SURG, "Chirurgie d'exérèse avec évidement ganglionnaire"),), weight=2),
                  Proposal(((RT, "Radiothérapie 70 Gy"), (CHEMO, "Cisplatine concomitant")), weight=2))),
            Step("Traitement adjuvant ?",
                 "{patient}. Chirurgie d'exérèse ({site}) : {morpho}, {tnm}, marges saines de 3 mm. {who}.",
                 (Proposal(((RT, "Radiothérapie adjuvante 66 Gy"),), weight=2),
                  Proposal(surveillance=True, comment="Surveillance ORL tous les 2 mois la première année.", weight=1)),
                 pathological=True),
            Step("Récidive locale : que proposer ?",
                 "{patient}. {morpho} ({site}) traité il y a 18 mois, {tnm}. Récidive locale confirmée. {who}.",
                 (Proposal(((SURG, "Chirurgie de rattrapage"),), weight=1),
                  Proposal(((IMMUNO, "Immunothérapie (pembrolizumab)"),), weight=1)),
                 phase=vs.PHASE_RELAPSE, pathological=True),
        ),
    ),
    BoardSpec(
        key="support", name="RCP Soins de support et oncogériatrie", territory=0, organ_system="", organs=(),
        nature=vs.NATURE_CROSS_CUTTING, care_types=("C15747", "ORG-130", "C3303", "C15252"),
        members=(ONCO, GERIATRICS, RADIOTHERAPY, RADIOLOGY, NEUROSURGERY, ONCO, NUCLEAR),
        requesters=(ONCO, GERIATRICS), weekday=MON, interval=2, start=time(13, 0), sex_female=0.5, older=True,
        youngest=1956,
        guideline="Référentiels interrégionaux en soins oncologiques de support (AFSOS, démo)", weight=0.7,
        place="Salle de l'unité de soins de support, CHU de Valmont",
        tumours=(
            TumourKind("C50.9", ("8500/3",), 2, sided=True, site="sein"),
            TumourKind("C34.9", ("8140/3",), 2, sided=True, site="poumon"),
            TumourKind("C61", ("8140/3",), 2, site="prostate"),
            TumourKind("C18.9", ("8140/3",), 1, site="côlon"),
            TumourKind("C25.0", ("8140/3",), 1, site="tête du pancréas"),
        ),
        steps=(
            Step("Évaluation oncogériatrique : le traitement proposé est-il envisageable ?",
                 "{patient}, {who}. {morpho} ({site}), {stage}. Score G8 à 11/17 : fragilité. Vit seul(e), aide "
                 "ménagère deux fois par semaine. Traitement proposé par la RCP d'organe : chimiothérapie.",
                 (Proposal(((SUPPORT, "Évaluation gériatrique approfondie, renutrition, kinésithérapie"),
                            (CHEMO, "Chimiothérapie à doses adaptées")), weight=2),
                  Proposal(((SUPPORT, "Soins de support exclusifs, réévaluation dans 1 mois"),), weight=1))),
            Step("Douleurs osseuses : quelle prise en charge antalgique ?",
                 "{patient}. {morpho} ({site}) avec métastases osseuses rachidiennes douloureuses (EVA 7/10) "
                 "malgré les morphiniques. IRM : pas de compression médullaire. {who}.",
                 (Proposal(((RT, "Radiothérapie antalgique 8 Gy en une fraction"),
                            (SUPPORT, "Adaptation des antalgiques, consultation douleur")), weight=2),
                  Proposal(((IR, "Cimentoplastie vertébrale"),), weight=1))),
            Step("Projet de soins : place des soins palliatifs ?",
                 "{patient}. {morpho} ({site}) en progression après deux lignes. {who}. Souhaite rester à domicile.",
                 (Proposal(((PALLIATIVE, "Équipe mobile de soins palliatifs, hospitalisation à domicile"),), weight=2),),
                 phase=vs.PHASE_RELAPSE),
        ),
    ),
)

TRIALS = ["Essai DEMO-SEIN-03 (phase III, désescalade)", "Essai DEMO-IMMUNO-07 (phase II)",
          "Essai DEMO-GERIA-01 (oncogériatrie)", "Essai DEMO-RT-12 (hypofractionnement)"]
