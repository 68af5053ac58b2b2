"""A real PACS for the imaging tests: Orthanc with its DICOMweb plugin, started on a free localhost port with a
throw-away storage and configuration, loaded with synthetic DICOM instances made with pydicom."""

import io
import json
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests

ORTHANC = shutil.which("Orthanc") or ("/usr/sbin/Orthanc" if Path("/usr/sbin/Orthanc").exists() else None)
# Where the Debian package `orthanc-dicomweb` puts its plugin.
DICOMWEB_PLUGIN = Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so")
MISSING = ("Orthanc et son greffon DICOMweb ne sont pas installés (paquets Debian orthanc et orthanc-dicomweb : "
           "scripts/setup.sh --test les installe)")


def available() -> bool:
    return ORTHANC is not None and DICOMWEB_PLUGIN.exists()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Orthanc:
    process: subprocess.Popen
    port: int
    user: str
    password: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def dicomweb_url(self) -> str:
        return f"{self.url}/dicom-web"

    def upload(self, dataset) -> None:
        buffer = io.BytesIO()
        dataset.save_as(buffer, enforce_file_format=True)
        response = requests.post(f"{self.url}/instances", data=buffer.getvalue(),
                                 auth=(self.user, self.password), timeout=10)
        response.raise_for_status()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(workdir: Path, *, user: str, password: str) -> Orthanc:
    """Orthanc with HTTP basic authentication (one registered user), its DICOM server off."""
    port = free_port()
    storage = workdir / "storage"
    storage.mkdir(parents=True)
    config = {
        "Name": "PACS de test OncoDCC",
        "StorageDirectory": str(storage),
        "IndexDirectory": str(storage),
        "HttpPort": port,
        "DicomServerEnabled": False,
        "DicomPort": free_port(),
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": True,
        "RegisteredUsers": {user: password},
        "Plugins": [str(DICOMWEB_PLUGIN)],
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "EnableWado": True},
        "ConcurrentJobs": 1,
        "HttpThreadsCount": 4,
    }
    config_path = workdir / "orthanc.json"
    config_path.write_text(json.dumps(config), encoding="utf-8")
    log = (workdir / "orthanc.log").open("wb")
    process = subprocess.Popen([ORTHANC, str(config_path)], stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    orthanc = Orthanc(process, port, user, password)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Orthanc s'est arrêté au démarrage : {(workdir / 'orthanc.log').read_text()[-2000:]}")
        try:
            if requests.get(f"{orthanc.url}/system", auth=(user, password), timeout=1).ok:
                return orthanc
        except requests.RequestException:
            pass
        time.sleep(0.2)
    orthanc.stop()
    raise RuntimeError("Orthanc n'a pas répondu dans les 30 secondes")
