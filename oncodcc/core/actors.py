"""Actors that are not people: a hospital's HL7 sender, a FHIR API client, a contextual launch.

They write and read through the same services as users and leave audit events under their own name
("HL7 CHU-X/DPI", "client API infocentre"), but they never pass the user access rules (`is_authenticated` is
False): each channel authorises them itself (registered sender, scopes bound to an organisation)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class SystemActor:
    label: str
    role: str  # "hl7" | "api_client" | "launch"
    organisation: object = None  # directory.Organisation the channel speaks for (None: regional, the DSRC)
    pk: None = None
    practitioner_id: None = None
    is_authenticated: bool = False
    is_active: bool = True

    def __str__(self) -> str:
        return self.label
