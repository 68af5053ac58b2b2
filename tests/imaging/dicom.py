"""Synthetic DICOM instances (pydicom): a tiny image per series, the patient identified by an IPP and its issuer."""

import datetime

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid


def instance(*, patient_id: str, issuer: str, patient_name: str, study_uid: str, series_uid: str,
             study_date: datetime.date, modality: str, description: str, accession: str = "") -> Dataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.PatientName = patient_name
    ds.PatientID = patient_id
    ds.IssuerOfPatientID = issuer
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = series_uid
    ds.StudyDate = study_date.strftime("%Y%m%d")
    ds.StudyTime = "101500"
    ds.StudyDescription = description
    ds.AccessionNumber = accession
    ds.Modality = modality
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = ds.Columns = 8
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PixelData = bytes(range(64))
    return ds


def study(*, patient_id: str, issuer: str, patient_name: str, study_date: datetime.date, modality: str,
          description: str, series: int = 1) -> tuple[str, list[Dataset]]:
    """A study of `series` series, one instance each; returns its UID and the instances."""
    study_uid = generate_uid()
    return study_uid, [
        instance(patient_id=patient_id, issuer=issuer, patient_name=patient_name, study_uid=study_uid,
                 series_uid=generate_uid(), study_date=study_date, modality=modality, description=description)
        for _ in range(series)
    ]
