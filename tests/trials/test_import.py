"""`dcc trials import`: CSV and FHIR Bundle, round trips through the export, updates by id, errors that name the
row and the column, nothing half-written."""

import json

import pytest
from django.core.management import CommandError, call_command

from oncodcc.audit.models import AuditEvent
from oncodcc.trials import exporting, importing
from oncodcc.trials.models import Trial
from tests import factories as f

HEADER = ("eu_ct_number,nct_id,national_id,title,acronym,phase,sponsor,status,organs,topographies,morphologies,"
          "stages,lines,biomarkers,min_age,max_age,max_performance_status,other_criteria,sites\n")
ROW_HER2 = ('2024-510001-11-00,NCT06000001,,Trastuzumab déruxtécan dans le cancer du sein HER2-faible,DESTINY-LOW,'
            'III,Promoteur Démo,open,76752008,C50,8500|8520,IV,2+,her2_statut=low,18,,1,'
            '"Pas de métastase cérébrale évolutive",750712184;Dr Anne Martin;arc.sein@chu-demo.fr|130000011;;\n')
ROW_EGFR = ('2023-500002-22-00,,,Osimertinib adjuvant EGFR muté,ADJ-EGFR,II,Promoteur Démo,ouvert,MED-255,C34,,'
            'IB|II|IIIA,1,egfr=mute,18,80,,,750712184\n')


@pytest.fixture
def hospitals(db):
    return (f.OrganisationFactory(name="CHU de Démo", finess="750712184"),
            f.OrganisationFactory(name="CH de la Côte", finess="130000011"))


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def snapshot():
    return [(t.identifier, t.title, t.acronym, t.phase, t.status, t.organs, t.topographies, t.morphologies, t.stages,
             t.lines, t.biomarkers, t.min_age, t.max_age, t.max_performance_status, t.other_criteria,
             sorted((s.organisation.finess, s.investigator, s.contact) for s in t.sites.all()))
            for t in Trial.objects.order_by("eu_ct_number")]


def test_csv_import_then_reimport_updates_without_duplicates(hospitals, tmp_path, capsys):
    call_command("trials", "import", write(tmp_path, "essais.csv", HEADER + ROW_HER2 + ROW_EGFR))
    assert "2 créé(s), 0 mis à jour" in capsys.readouterr().out
    her2 = Trial.objects.get(nct_id="NCT06000001")
    assert her2.biomarkers == ["her2_statut=low"] and her2.morphologies == ["8500", "8520"]
    assert her2.max_performance_status == 1 and her2.max_age is None
    assert {s.organisation.finess: s.investigator for s in her2.sites.all()} == {
        "750712184": "Dr Anne Martin", "130000011": ""}
    # The same trial found by its NCT id alone, now closed and opened at one hospital only.
    closed = HEADER.replace(",sites", ",sites") + ROW_HER2.replace("2024-510001-11-00", "").replace(
        ",open,", ",closed,").replace("|130000011;;", "")
    call_command("trials", "import", write(tmp_path, "maj.csv", closed))
    assert "0 créé(s), 1 mis à jour" in capsys.readouterr().out
    her2.refresh_from_db()
    assert Trial.objects.count() == 2 and her2.status == Trial.Status.CLOSED
    assert her2.eu_ct_number == "" and list(her2.sites.values_list("organisation__finess", flat=True)) == ["750712184"]
    assert AuditEvent.objects.filter(action="trial.import").count() == 2


def test_csv_round_trip_through_the_export(hospitals, tmp_path):
    importing.apply(importing.parse_csv(HEADER + ROW_HER2 + ROW_EGFR))
    before = snapshot()
    exported = exporting.to_csv(Trial.objects.all())
    Trial.objects.all().delete()
    importing.apply(importing.parse_csv(exported))
    assert snapshot() == before


def test_fhir_bundle_round_trip_and_validation(hospitals, tmp_path, capsys):
    from fhir.resources.R4B.bundle import Bundle

    importing.apply(importing.parse_csv(HEADER + ROW_HER2 + ROW_EGFR))
    before = snapshot()
    bundle = exporting.to_bundle(Trial.objects.order_by("pk"))
    Bundle.model_validate(bundle)  # every ResearchStudy valid FHIR R4
    Trial.objects.all().delete()
    call_command("trials", "import", write(tmp_path, "essais.json", json.dumps(bundle)))
    assert "2 créé(s)" in capsys.readouterr().out
    assert snapshot() == before
    call_command("trials", "import", write(tmp_path, "essais.json", json.dumps(bundle)))
    assert "0 créé(s), 2 mis à jour" in capsys.readouterr().out


def test_an_unknown_fhir_status_closes_the_trial(hospitals):
    importing.apply(importing.parse_csv(HEADER + ROW_EGFR))
    bundle = exporting.to_bundle(Trial.objects.all())
    bundle["entry"][0]["resource"]["status"] = "completed"
    importing.apply(importing.parse_bundle(bundle))
    assert Trial.objects.get().status == Trial.Status.CLOSED


@pytest.mark.parametrize(("cell_from", "cell_to", "message"), [
    (",III,", ",III,", None),
    ("her2_statut=low", "her2=faible", "ligne 2, colonne biomarkers : condition « her2=faible » : « her2 »"),
    ("her2_statut=low", "her2_statut~low", "ligne 2, colonne biomarkers : condition « her2_statut~low » illisible"),
    (",76752008,", ",99999,", "ligne 2, colonne organs : Code(s) d'organe inconnu(s) : 99999."),
    (",18,,1,", ",dix-huit,,1,", "ligne 2, colonne min_age : « dix-huit » n'est pas un nombre entier."),
    (",2+,", ",3e,", "ligne 2, colonne lines : Ligne(s) inconnue(s) : 3e"),
    (",open,", ",recrute,", "ligne 2, colonne status : « recrute »"),
    ("|130000011;;", "|999999999;;", "ligne 2, colonne sites : FINESS inconnu(s) de l'annuaire : 999999999."),
    ("2024-510001-11-00,NCT06000001", ",", "ligne 2, colonne eu_ct_number : Indiquez au moins un identifiant"),
])
def test_errors_name_the_row_and_the_column_and_nothing_is_written(hospitals, tmp_path, capsys, cell_from, cell_to,
                                                                   message):
    text = HEADER + ROW_HER2.replace(cell_from, cell_to) + ROW_EGFR
    if message is None:
        text = HEADER + ROW_HER2 + ROW_HER2.replace("NCT06000001", "NCT06000009")  # the same EU CT number twice
        message = "ligne 3, colonne eu_ct_number : « 2024-510001-11-00 » déjà présent (ligne 2)."
    with pytest.raises(CommandError, match="rien n'a été importé"):
        call_command("trials", "import", write(tmp_path, "faux.csv", text))
    assert message in capsys.readouterr().err
    assert not Trial.objects.exists()


def test_a_bad_header_is_refused(db):
    with pytest.raises(importing.ImportFailed) as exc:
        importing.parse_csv("titre,status\nx,open\n")
    assert exc.value.errors == [
        "en-tête : colonne obligatoire « title » absente.",
        f"en-tête : colonne « titre » inconnue (colonnes : {', '.join(importing.COLUMNS)}).",
    ]
