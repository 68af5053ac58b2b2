import datetime
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from oncodcc.imaging.models import ImageSource
from oncodcc.patients.models import PatientIdentifier
from tests import factories as f

from . import dicom, orthanc

PACS_USER = "pacs"
PACS_PASSWORD = "Pacs-De-Test-2026"  # a throw-away Orthanc's account
ISSUER = "1.2.250.1.999.4242"
IPP = "IPP-000123"
INS = "2850775123456"  # synthetic
INS_OID = "1.2.250.1.213.1.4.10"  # the test INS-NIR
VIEWER = "https://viewer.example.test/viewer?StudyInstanceUIDs={study_uid}"


@pytest.fixture(autouse=True)
def _empty_cache():
    # PACS answers are cached: each test starts with none.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="module")
def pacs(tmp_path_factory):
    """Orthanc with DICOMweb, loaded with the patient's two studies and two that are not theirs."""
    if not orthanc.available():
        pytest.skip(orthanc.MISSING)
    server = orthanc.start(tmp_path_factory.mktemp("orthanc"), user=PACS_USER, password=PACS_PASSWORD)
    studies = {}
    try:
        for key, patient_id, issuer, date, modality, description, series in (
            ("ct", IPP, ISSUER, datetime.date(2026, 10, 12), "CT", "TDM thoraco-abdomino-pelvienne", 2),
            ("mr", IPP, ISSUER, datetime.date(2026, 11, 3), "MR", "IRM mammaire bilatérale", 1),
            # Same IPP, another hospital's issuer: another patient.
            ("homonym", IPP, "1.2.250.1.999.9999", datetime.date(2026, 9, 1), "CR", "Radiographie de l'autre", 1),
            ("other", "IPP-999", ISSUER, datetime.date(2026, 8, 1), "US", "Échographie d'un autre patient", 1),
            # In the regional image network, by INS.
            ("ins", INS, INS_OID, datetime.date(2026, 7, 20), "PT", "TEP-TDM du réseau régional", 1),
        ):
            uid, instances = dicom.study(patient_id=patient_id, issuer=issuer, patient_name="PATIENT^SYNTHETIQUE",
                                         study_date=date, modality=modality, description=description,
                                         series=series)
            for instance in instances:
                server.upload(instance)
            studies[key] = uid
        server.studies = studies
        yield server
    finally:
        server.stop()


@pytest.fixture
def hospital(db):
    return f.OrganisationFactory(name="Centre hospitalier de Démo", oid=ISSUER)


@pytest.fixture
def registration(board, hospital):
    registration = f.RegistrationFactory(meeting=f.MeetingFactory(board=board))
    PatientIdentifier.objects.create(patient=registration.patient, system=ISSUER, value=IPP, organisation=hospital)
    return registration


@pytest.fixture
def patient(registration):
    return registration.patient


def make_source(hospital, url: str, **fields) -> ImageSource:
    values = {"name": "PACS du CH de Démo", "viewer_url_template": VIEWER, "timeout": 3.0} | fields
    return ImageSource.objects.create(organisation=hospital, dicomweb_url=url, **values)


@pytest.fixture
def orthanc_source(pacs, hospital):
    return make_source(hospital, pacs.dicomweb_url, auth=ImageSource.Auth.BASIC, username=PACS_USER,
                       secret=PACS_PASSWORD)


class _TinyServer:
    """A local HTTP server answering QIDO-RS with a canned study after `delay` seconds; counts the requests."""

    def __init__(self, delay: float):
        tiny = self
        self.requests = 0
        self.delay = delay

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                tiny.requests += 1
                time.sleep(tiny.delay)
                body = json.dumps([{"0020000D": {"vr": "UI", "Value": ["1.2.3.4"]},
                                    "00080020": {"vr": "DA", "Value": ["20261201"]},
                                    "00081030": {"vr": "LO", "Value": ["TEP-TDM au FDG"]},
                                    "00080061": {"vr": "CS", "Value": ["PT", "CT"]},
                                    "00201206": {"vr": "IS", "Value": [0]}}]).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/dicom+json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up (timeout): nothing to answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/dicom-web"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tiny_pacs():
    servers = []

    def start(delay: float = 0.0) -> _TinyServer:
        servers.append(_TinyServer(delay))
        return servers[-1]

    yield start
    for server in servers:
        server.close()
