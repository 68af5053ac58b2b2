"""Fictitious trials of the demo registry (ids in ranges no real registry uses: EU CT 2099-…, NCT99…), opened in
the demo hospitals. Loading twice changes nothing (update by EU CT number)."""

from dataclasses import dataclass

from django.db import transaction
from faker import Faker

from oncodcc.directory.models import Organisation
from oncodcc.trials.models import Trial, TrialSite

BREAST, LUNG, COLON, PROSTATE, OVARY = "76752008", "MED-255", "MED-251", "41216001", "15497006"
PANCREAS, LIVER, OESOPHAGUS, STOMACH, BLADDER = "15776009", "303270005", "32849002", "69695003", "89837001"
KIDNEY, SKIN, CNS, HAEMATO, HEAD_NECK = "64033007", "39937001", "21483005", "57171008", "119253004"
ENDOMETRIUM, CERVIX, SOFT_TISSUE, THYROID = "23952005", "71252005", "87784001", "69748006"
SPONSORS = ("Groupe coopérateur fictif UNICANCER-Démo", "CHU de démonstration (promotion institutionnelle)",
            "Laboratoire Démopharma", "Intergroupe francophone fictif")


@dataclass(frozen=True)
class DemoTrial:
    acronym: str
    title: str
    phase: str
    organs: tuple[str, ...]
    topographies: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    lines: tuple[str, ...] = ()
    biomarkers: tuple[str, ...] = ()
    min_age: int | None = 18
    max_age: int | None = None
    ps: int | None = 1
    other: str = ""
    status: str = Trial.Status.OPEN
    morphologies: tuple[str, ...] = ()


TRIALS = (
    DemoTrial("DEMO-HER2LOW", "Anticorps conjugué anti-HER2 versus chimiothérapie dans le cancer du sein "
              "métastatique HER2-faible", "III", (BREAST,), ("C50",), ("IV",), ("2+",), ("her2_statut=low",),
              other="FEVG ≥ 50 % ; pas de métastase cérébrale évolutive."),
    DemoTrial("DEMO-HER2NEO", "Désescalade de la chimiothérapie néoadjuvante du cancer du sein HER2-positif",
              "II", (BREAST,), ("C50",), ("IIA", "IIB", "IIIA"), ("1",), ("her2_statut=positif",), ps=1),
    DemoTrial("DEMO-RH-CDK", "Inhibiteur de CDK4/6 adjuvant prolongé, cancer du sein RH+ à haut risque", "III",
              (BREAST,), ("C50",), ("IIB", "IIIA", "IIIB", "IIIC"), ("1",), ("re_statut=pos", "her2_statut!=positif")),
    DemoTrial("DEMO-TNBC-IO", "Immunothérapie périopératoire du cancer du sein triple négatif", "III", (BREAST,),
              ("C50",), ("IIA", "IIB", "IIIA", "IIIB"), ("1",), ("re_statut=neg", "her2_statut=negatif")),
    DemoTrial("DEMO-SENIOR-SEIN", "Radiothérapie partielle accélérée après 70 ans", "III", (BREAST,), ("C50",),
              ("IA", "IB"), ("1",), (), min_age=70, ps=2),
    DemoTrial("DEMO-EGFR-ADJ", "Inhibiteur d'EGFR de 3e génération adjuvant, CBNPC EGFR muté réséqué", "III",
              (LUNG,), ("C34",), ("IB", "IIA", "IIB", "IIIA"), ("1",), ("egfr=mute",), morphologies=("8140",)),
    DemoTrial("DEMO-EGFR-RESIST", "Bispécifique EGFR-MET après progression sous osimertinib", "II", (LUNG,),
              ("C34",), ("IV", "IVA", "IVB"), ("2+",), ("egfr=mute",)),
    DemoTrial("DEMO-ALK-CNS", "Inhibiteur d'ALK de nouvelle génération, métastases cérébrales", "II", (LUNG,),
              ("C34",), ("IVA", "IVB"), (), ("alk=rearrange",), ps=2),
    DemoTrial("DEMO-PDL1-HIGH", "Immunothérapie seule versus association, CBNPC PD-L1 ≥ 50 %", "III", (LUNG,),
              ("C34",), ("IV", "IVA", "IVB"), ("1",), ("pdl1_tps>=50", "egfr!=mute", "alk!=rearrange")),
    DemoTrial("DEMO-MESO", "Chimio-immunothérapie du mésothéliome pleural", "II", (LUNG,), ("C45",), (), ("1",),
              (), status=Trial.Status.SUSPENDED),
    DemoTrial("DEMO-MSI-COLON", "Immunothérapie néoadjuvante des cancers du côlon dMMR/MSI localisés", "II",
              (COLON,), ("C18",), ("IIA", "IIB", "IIC", "IIIA", "IIIB", "IIIC"), ("1",), ("mmr_statut=dmmr",)),
    DemoTrial("DEMO-MSI-META", "Double immunothérapie, cancer colorectal métastatique MSI", "III", (COLON,),
              ("C18", "C19", "C20"), ("IV", "IVA", "IVB", "IVC"), (), ("mmr_statut=dmmr",)),
    DemoTrial("DEMO-RAS-WT", "Anti-EGFR de maintenance, cancer colorectal RAS sauvage", "II", (COLON,),
              ("C18", "C19", "C20"), ("IV", "IVA", "IVB", "IVC"), ("1",), ("ras_statut=sauvage", "braf_v600e!=mute")),
    DemoTrial("DEMO-BRAF-CRC", "Thérapie ciblée BRAF + anti-EGFR en 2e ligne, cancer colorectal BRAF V600E",
              "II", (COLON,), ("C18", "C19", "C20"), ("IV", "IVA", "IVB", "IVC"), ("2+",), ("braf_v600e=mute",)),
    DemoTrial("DEMO-RECTUM-TNT", "Traitement néoadjuvant total et préservation d'organe, cancer du rectum", "III",
              (COLON,), ("C20",), ("IIA", "IIB", "IIIA", "IIIB", "IIIC"), ("1",), ()),
    DemoTrial("DEMO-PROSTATE-HRR", "Inhibiteur de PARP et hormonothérapie de nouvelle génération, prostate "
              "métastatique HRR muté", "III", (PROSTATE,), ("C61",), ("metastatique",), (),
              ("hrr_statut=brca1,brca2,autre_hrr",)),
    DemoTrial("DEMO-PROSTATE-RT", "Radiothérapie stéréotaxique des cancers de prostate de risque intermédiaire",
              "III", (PROSTATE,), ("C61",), ("intermediaire_favorable", "intermediaire_defavorable"), ("1",), (),
              max_age=80),
    DemoTrial("DEMO-OVAIRE-HRD", "Maintenance par inhibiteur de PARP, cancer de l'ovaire HRD positif", "III",
              (OVARY,), ("C56",), (), ("1",), ("hrd_statut=positif",)),
    DemoTrial("DEMO-ENDO-MMR", "Immunothérapie adjuvante des cancers de l'endomètre dMMR", "III", (ENDOMETRIUM,),
              ("C54",), (), ("1",), ("mmr_statut=dmmr",)),
    DemoTrial("DEMO-COL-CHIMIORT", "Immunothérapie concomitante à la chimioradiothérapie, col utérin", "III",
              (CERVIX,), ("C53",), (), ("1",), ()),
    DemoTrial("DEMO-PANCREAS-BRCA", "Maintenance par inhibiteur de PARP, adénocarcinome pancréatique BRCA/PALB2",
              "II", (PANCREAS,), ("C25",), ("metastatique",), (), ("brca_palb2_germinal=brca1,brca2,palb2",)),
    DemoTrial("DEMO-PANCREAS-NEO", "Chimiothérapie néoadjuvante des adénocarcinomes pancréatiques résécables",
              "III", (PANCREAS,), ("C25",), ("resecable", "borderline"), ("1",), ()),
    DemoTrial("DEMO-CHC-BCLC", "Immunothérapie et anti-angiogénique, carcinome hépatocellulaire BCLC B/C", "III",
              (LIVER,), ("C22",), ("B", "C"), ("1",), ()),
    DemoTrial("DEMO-GASTRO-HER2", "Anti-HER2 et immunothérapie, adénocarcinome gastrique HER2-positif", "III",
              (OESOPHAGUS, STOMACH), ("C15", "C16"), (), ("1",), ("her2_statut=positif",)),
    DemoTrial("DEMO-VESSIE-FGFR", "Inhibiteur de FGFR, carcinome urothélial métastatique FGFR3 altéré", "II",
              (BLADDER, KIDNEY), ("C67", "C65", "C66"), ("urothelial_m1",), ("2+",), ("fgfr3=alteration",)),
    DemoTrial("DEMO-REIN-ADJ", "Immunothérapie adjuvante du cancer du rein à cellules claires", "III", (KIDNEY,),
              ("C64",), ("rein_m0",), ("1",), (), morphologies=("8310",)),
    DemoTrial("DEMO-MELANOME-BRAF", "Thérapie ciblée néoadjuvante, mélanome stade III BRAF V600", "II", (SKIN,),
              ("C43",), ("III", "IIIA", "IIIB", "IIIC"), ("1",), ("braf=v600e,v600_autre",)),
    DemoTrial("DEMO-GBM-SENIOR", "Radiothérapie hypofractionnée et témozolomide, glioblastome après 65 ans",
              "III", (CNS,), ("C71",), (), ("1",), ("mgmt=methyle",), min_age=65, ps=2),
    DemoTrial("DEMO-IDH-GLIOME", "Inhibiteur d'IDH, gliome de bas grade IDH muté", "III", (CNS,), ("C71",), (),
              (), ("idh=mute",), min_age=12),
    DemoTrial("DEMO-LAM-FLT3", "Inhibiteur de FLT3 en induction, leucémie aiguë myéloïde FLT3 muté", "III",
              (HAEMATO,), ("C92",), (), ("1",), ("flt3=itd,tkd",), max_age=75, ps=2),
    DemoTrial("DEMO-VADS-CPS", "Immunothérapie périopératoire, carcinome épidermoïde ORL CPS ≥ 1", "III",
              (HEAD_NECK,), ("C01", "C02", "C09", "C10", "C13", "C32"), ("III", "IVA"), ("1",), ("pdl1_cps>=1",)),
    DemoTrial("DEMO-SARCOME-MDM2", "Inhibiteur de MDM2, liposarcome dédifférencié", "II", (SOFT_TISSUE,), ("C49",),
              ("localement_avance", "metastatique"), ("2+",), ("mdm2=amplifie",), status=Trial.Status.CLOSED),
    DemoTrial("DEMO-THYROIDE-RET", "Inhibiteur sélectif de RET, cancer médullaire de la thyroïde", "II",
              (THYROID,), ("C73",), (), (), ("ret_statut=germinal,somatique,fusion",), min_age=12),
)


def _ids(number: int) -> tuple[str, str]:
    return f"2099-5{number:05d}-10-00", f"NCT99{number:06d}"


@transaction.atomic
def load_demo_trials(hospitals: list[Organisation]) -> int:
    """The demo trials, each opened in two or three demo hospitals (chosen by its rank: deterministic)."""
    fake = Faker("fr_FR")
    for number, demo in enumerate(TRIALS, start=1):
        eu_ct, nct = _ids(number)
        trial, _created = Trial.objects.update_or_create(eu_ct_number=eu_ct, defaults=dict(
            nct_id=nct, title=demo.title, acronym=demo.acronym, phase=demo.phase,
            sponsor=SPONSORS[number % len(SPONSORS)], status=demo.status, organs=list(demo.organs),
            topographies=list(demo.topographies), morphologies=list(demo.morphologies), stages=list(demo.stages),
            lines=list(demo.lines), biomarkers=list(demo.biomarkers), min_age=demo.min_age, max_age=demo.max_age,
            max_performance_status=demo.ps, other_criteria=demo.other))
        trial.full_clean()
        if not hospitals:
            continue
        start, third = (number * 5) % len(hospitals), max(len(hospitals) // 3, 1)
        opened = {hospitals[(start + k * third) % len(hospitals)] for k in range(2 + number % 2)}
        for hospital in sorted(opened, key=lambda h: h.pk):
            fake.seed_instance(number * 1000 + hospital.pk)
            TrialSite.objects.update_or_create(trial=trial, organisation=hospital, defaults={
                "investigator": f"Dr {fake.first_name()} {fake.last_name().upper()}",
                "contact": f"ARC : {fake.phone_number()}"})
    return len(TRIALS)
