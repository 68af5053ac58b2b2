"""The fiche RCP as a PDF/A-3b report: content and order, PDF/A marker, long texts, French names, headers per
organisation, logos (missing, corrupt, refused), header admin rights."""

import io
import re
import shutil
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from oncodcc.documents.admin import DocumentHeaderForm
from oncodcc.documents.models import DocumentHeader
from oncodcc.documents.pdf import render_fiche_pdf, write_fiche_pdf
from oncodcc.rcp.services import fiches
from tests import factories as f

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


def run(*args: str, data: bytes) -> str:
    result = subprocess.run([*args, "-", "-"] if args[0] == "pdftotext" else [*args, "-"],
                            input=data, capture_output=True, check=True, timeout=60)
    return result.stdout.decode()


def text_of(data: bytes) -> str:
    return run("pdftotext", "-layout", "-enc", "UTF-8", data=data)


def pages_of(data: bytes) -> int:
    return int(re.search(r"^Pages:\s+(\d+)", run("pdfinfo", data=data), re.M).group(1))


def png_bytes(size=(40, 20)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (18, 60, 105)).save(out, format="PNG")
    return out.getvalue()


def images_in(data: bytes) -> int:
    listing = run("pdfimages", "-list", data=data).splitlines()
    return max(0, len(listing) - 2)


@pytest.fixture
def make_fiche(held_meeting, registration, coordinator):
    def make(**overrides):
        fiche = f.complete_fiche(registration, created_by=coordinator, **overrides)
        fiches.validate(actor=coordinator, fiche=fiche, expected_version=fiche.lock_version)
        fiche.refresh_from_db()
        return fiche
    return make


def test_complete_fiche_renders_proposal_first(make_fiche):
    fiche = make_fiche(guideline_name="Référentiel régional sein 2026")
    data = render_fiche_pdf(fiche)
    assert data.startswith(b"%PDF")
    assert pages_of(data) >= 1
    text = text_of(data)
    for expected in ("Proposition de la RCP", "Radiothérapie adjuvante", "Hormonothérapie 5 ans",
                     fiche.patient.display_name, fiche.signer_name, "page 1 / ", "Quorum atteint",
                     "C50.4", "8500/3", "pT1c pN0 cM0", "Traitement adjuvant ?", "Référentiel régional sein 2026",
                     f"version {fiche.version_number}"):
        assert expected in text, expected
    assert text.index("Proposition de la RCP") < text.index("Séance") < text.index("Le cas présenté")
    assert text.index("Le cas présenté") < text.index("Synthèse du cas présenté") < text.index("Validation et document")


def test_pdfa_3b_marker_in_xmp_metadata(make_fiche):
    data = render_fiche_pdf(make_fiche())
    xmp = run("pdfinfo", "-meta", data=data)
    assert re.search(r'pdfaid:part(="|>)3', xmp)
    assert re.search(r'pdfaid:conformance(="|>)B', xmp)
    assert "Page size:       595.276 x 841.89 pts (A4)" in run("pdfinfo", data=data)


def test_alternatives_are_separated(make_fiche):
    fiche = make_fiche()
    fiche.treatments.filter(sequence=2).update(is_alternative=True)
    text = text_of(render_fiche_pdf(fiche))
    assert text.index("Radiothérapie adjuvante") < text.index("Alternative(s)") < text.index("Hormonothérapie 5 ans")


def test_very_long_case_summary_spans_several_pages(make_fiche):
    paragraph = ("Patiente suivie depuis 2019 pour un carcinome canalaire infiltrant ; bilan d'extension négatif, "
                 "examen clinique et imagerie détaillés, antécédents familiaux, traitements antérieurs. ") * 6
    summary = "\n\n".join(f"§{i} {paragraph}" for i in range(60)) + "\n\nFIN DE LA SYNTHÈSE"
    fiche = make_fiche(case_summary=summary)
    data = render_fiche_pdf(fiche)
    pages = pages_of(data)
    assert pages >= 8
    text = text_of(data)
    assert "FIN DE LA SYNTHÈSE" in text and f"page {pages} / {pages}" in text
    assert text.count("Fiche RCP —") >= pages  # footer on every page


def test_french_names_render_with_dejavu(make_fiche, registration):
    patient = registration.patient
    patient.birth_name = "L'Hÿver-Cœurœ d’Æsçà"
    patient.first_birth_given_name = "Anaïs-Éléonore"
    patient.used_given_name = ""
    patient.save()
    fiche = make_fiche(comments="Noël, Zoë, Ægidius, François, Jérôme, Hélène, Maëlys ; « guillemets » — tiret.")
    data = render_fiche_pdf(fiche)
    text = text_of(data)
    assert patient.display_name in text
    assert "Anaïs-Éléonore" in text and "Maëlys" in text and "« guillemets »" in text
    fonts = run("pdffonts", data=data).splitlines()[2:]
    assert fonts and all("DejaVu" in line for line in fonts), fonts


def test_default_header_is_the_3c_name(make_fiche, board):
    text = text_of(render_fiche_pdf(make_fiche()))
    assert board.managing_3c.name in text.splitlines()[0] or board.managing_3c.name in text[:400]


def test_header_from_the_3c(make_fiche, board):
    DocumentHeader.objects.create(organisation=board.managing_3c, display_name="3C Val-de-Loire Sud",
                                  address_lines="2 boulevard Tonnellé\n37000 Tours", phone="02 47 00 00 00",
                                  free_text="Secrétariat des RCP : du lundi au vendredi, 9 h – 17 h")
    text = text_of(render_fiche_pdf(make_fiche()))
    for expected in ("3C Val-de-Loire Sud", "2 boulevard Tonnellé", "37000 Tours", "Tél. 02 47 00 00 00",
                     "Secrétariat des RCP", board.name):
        assert expected in text, expected


def test_header_from_the_first_hospital_then_the_3c(make_fiche, board):
    first = f.OrganisationFactory(name="Centre hospitalier de Blois", finess="410000087", address="Mail Pierre Charlot")
    second = f.OrganisationFactory(name="Clinique de l'Alliance")
    board.hospitals.add(first)
    board.hospitals.add(second)
    DocumentHeader.objects.create(organisation=board.managing_3c, display_name="En-tête du 3C")
    fiche = make_fiche()
    text = text_of(render_fiche_pdf(fiche))
    assert "En-tête du 3C" in text and "Centre hospitalier de Blois" not in text
    DocumentHeader.objects.create(organisation=first, show_finess=True)
    text = text_of(render_fiche_pdf(fiche))
    assert "Centre hospitalier de Blois" in text and "FINESS 410000087" in text and "Mail Pierre Charlot" in text
    assert "En-tête du 3C" not in text
    assert board.managing_3c.name in text  # 3C and board named on the right


def test_logo_present_missing_and_corrupt(make_fiche, board):
    fiche = make_fiche()
    header = DocumentHeader.objects.create(organisation=board.managing_3c)
    assert images_in(render_fiche_pdf(fiche)) == 0
    header.logo, header.logo_content_type = png_bytes(), "image/png"
    header.save()
    assert images_in(render_fiche_pdf(fiche)) >= 1
    header.logo = png_bytes()[:60]  # truncated in the database
    header.save()
    data = render_fiche_pdf(fiche)
    assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")
    assert images_in(data) == 0 and header.name in text_of(data)


def test_write_is_atomic(make_fiche, tmp_path, monkeypatch):
    fiche = make_fiche()
    target = write_fiche_pdf(fiche, tmp_path / "fiche.pdf")
    assert target.read_bytes().startswith(b"%PDF")

    def boom(fiche):
        raise RuntimeError("rendu impossible")

    monkeypatch.setattr("oncodcc.documents.pdf.renderer.render_fiche_pdf", boom)
    with pytest.raises(RuntimeError):
        write_fiche_pdf(fiche, tmp_path / "autre.pdf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fiche.pdf"]


def form_with(logo: bytes, name="logo.png", content_type="image/png", organisation=None):
    organisation = organisation or f.CccFactory()
    return DocumentHeaderForm(data={"organisation": organisation.pk, "show_finess": "on"},
                              files={"logo_file": SimpleUploadedFile(name, logo, content_type=content_type)})


@pytest.mark.django_db
def test_form_accepts_png_and_svg_and_refuses_bad_logos():
    form = form_with(png_bytes())
    assert form.is_valid(), form.errors
    header = form.save()
    assert header.logo_content_type == "image/png" and header.has_logo
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20"/></svg>'
    assert form_with(svg, "logo.svg", "image/svg+xml").is_valid()

    too_big = png_bytes() + b"\0" * (1024 * 1024)
    form = form_with(too_big)
    assert not form.is_valid() and "1 Mo au plus" in form.errors["logo_file"][0]
    form = form_with(png_bytes()[:50])
    assert not form.is_valid() and "illisible ou endommagé" in form.errors["logo_file"][0]
    form = form_with(b"GIF89a\x01\x00\x01\x00", "logo.gif", "image/gif")
    assert not form.is_valid() and "PNG, JPEG ou SVG" in form.errors["logo_file"][0]
    form = form_with(b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "x.svg",
                     "image/svg+xml")
    assert not form.is_valid() and "script" in form.errors["logo_file"][0]


@pytest.fixture
def admin_3c(board):
    return f.UserFactory(role="admin_3c", is_staff=True, organisation=board.managing_3c)


def test_3c_admin_manages_own_3c_and_hospital_headers_only(client, admin_3c, board):
    hospital = f.OrganisationFactory()
    board.hospitals.add(hospital)
    own = DocumentHeader.objects.create(organisation=board.managing_3c, display_name="Mon 3C")
    own_hospital = DocumentHeader.objects.create(organisation=hospital)
    other = DocumentHeader.objects.create(organisation=f.CccFactory(), display_name="Autre 3C")
    client.force_login(admin_3c)

    listing = client.get("/admin/documents/documentheader/").content.decode()
    assert "Mon 3C" in listing and "Autre 3C" not in listing
    assert client.get(f"/admin/documents/documentheader/{own.pk}/change/").status_code == 200
    assert client.get(f"/admin/documents/documentheader/{own_hospital.pk}/change/").status_code == 200
    assert client.get(f"/admin/documents/documentheader/{other.pk}/change/").status_code in {302, 403, 404}

    response = client.post(f"/admin/documents/documentheader/{own.pk}/change/", {
        "organisation": board.managing_3c.pk, "display_name": "Mon 3C modifié", "free_text": "Texte",
        "logo_file": SimpleUploadedFile("logo.png", png_bytes(), content_type="image/png"),
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    own.refresh_from_db()
    assert own.display_name == "Mon 3C modifié" and own.has_logo

    response = client.post(f"/admin/documents/documentheader/{other.pk}/change/", {
        "organisation": other.organisation_id, "display_name": "Piraté"})
    other.refresh_from_db()
    assert other.display_name == "Autre 3C"
    response = client.post("/admin/documents/documentheader/add/", {"organisation": other.organisation_id})
    assert response.status_code == 200 and DocumentHeader.objects.count() == 3  # not a choice for this admin

    preview = client.get(f"/admin/documents/documentheader/{own.pk}/apercu/")
    assert preview.status_code == 200 and preview["Content-Type"] in {"image/png", "application/pdf"}
    assert client.get(f"/admin/documents/documentheader/{other.pk}/apercu/").status_code == 404


def test_clinicians_have_no_header_admin(client, member_doctor):
    member_doctor.is_staff = True
    member_doctor.save()
    client.force_login(member_doctor)
    assert client.get("/admin/documents/documentheader/").status_code in {302, 403}


@pytest.mark.django_db
def test_sample_fiche_with_organ_items_logo_and_hospital_header():
    from bench import sample

    fiche = sample.build()
    data = render_fiche_pdf(fiche)
    text = text_of(data)
    assert pages_of(data) == 2  # (the SVG logo is drawn as vectors, not an image)
    for expected in ("CHRU de Tours", "FINESS 370000481", "3C Touraine — Val de Loire", "RCP Sénologie",
                     "formulaire v1.0.0", "Ki-67", "Alternative(s)", "Score génomique", "Essai NATALEE-2",
                     "page 2 / 2"):
        assert expected in text, expected


@pytest.mark.django_db
def test_live_preview_renders_the_header_being_typed(client):
    ccc = f.CccFactory(name="3C Littoral")
    other = f.CccFactory(name="3C Montagne")
    client.force_login(f.UserFactory(role="admin_3c", is_staff=True, organisation=ccc))
    url = "/admin/documents/documentheader/apercu-direct/"
    page = client.get("/admin/documents/documentheader/add/").content.decode()
    assert 'id="header-live-preview"' in page and url in page
    response = client.post(url, {"organisation": ccc.pk, "display_name": "Centre Hospitalier du Littoral",
                                 "address_lines": "1 rue de la Mer", "free_text": "Secrétariat RCP : poste 1234"})
    assert response.status_code == 200 and "data:image/png;base64," in response.content.decode()
    assert "Choisissez" in client.post(url, {"organisation": other.pk}).content.decode()  # out of scope
    bad = SimpleUploadedFile("logo.png", b"\x89PNG\r\n\x1a\nnot really", content_type="image/png")
    assert "errornote" in client.post(url, {"organisation": ccc.pk, "logo_file": bad}).content.decode()
    client.force_login(f.DoctorFactory(is_staff=True))
    assert client.post(url, {"organisation": ccc.pk}).status_code in (302, 403)
