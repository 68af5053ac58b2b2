"""Who is at the other end of an MLLP connection, and whether it may speak for a registered sender.

A connection is described by a `Channel`: the peer's IP address and, over TLS, the client certificate it presented
(already verified against `MLLP_TLS_CLIENT_CA` by the TLS handshake: `ssl.CERT_REQUIRED`). A message naming a
sender (MSH-3/MSH-4) is accepted only when `refusal(sender, channel)` is None:

* over TLS, the certificate must match what the sender is configured with: its SHA-256 fingerprint and/or its
  expected subject attributes (e.g. `CN=dpi.chu-exemple.fr,O=CHU Exemple`); a sender with neither cannot be
  spoken for over TLS — any certificate of the CA would otherwise be every hospital;
* over plain TCP (loopback, or `MLLP_ALLOW_PLAIN` on a private network), a sender configured with a certificate
  is refused: it is known to connect over TLS;
* when the sender has an allow-list of source networks, the peer address must be in one of them.

Also here: the server's TLS context and the rule deciding when plain MLLP may listen."""

import hashlib
import ipaddress
import re
import ssl
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509

FINGERPRINT_RE = re.compile(r"^[0-9a-f]{64}$")
# Subject attributes a sender's expected subject may name (RFC 4514 short names), as read from the certificate.
SUBJECT_ATTRIBUTES = {"CN", "O", "OU", "C", "L", "ST", "STREET", "DC", "UID"}


class ChannelConfigError(ValueError):
    """The listener's TLS or plain-mode configuration is refused: French reason."""


@dataclass(frozen=True)
class Channel:
    """The connection a message came by. `tls` False: plain TCP (no certificate)."""

    address: str
    tls: bool = False
    fingerprint: str = ""  # SHA-256 of the client certificate (DER), lowercase hex
    subject: tuple = field(default=())  # ((short name, value), …) of the client certificate

    @classmethod
    def from_peer(cls, peername, ssl_object: ssl.SSLObject | None = None) -> "Channel":
        address = peername[0] if isinstance(peername, tuple) and peername else str(peername or "")
        if ssl_object is None:
            return cls(address=normalize_address(address))
        der = ssl_object.getpeercert(binary_form=True) or b""
        return cls(address=normalize_address(address), tls=True, fingerprint=hashlib.sha256(der).hexdigest(),
                   subject=certificate_subject(der) if der else ())

    def describe(self) -> str:
        """For logs: the transport and the certificate's fingerprint prefix (no personal data in certificates of
        interface engines, but the fingerprint is enough to find it)."""
        return f"TLS, certificat {self.fingerprint[:16]}…" if self.tls else "TCP en clair"


def normalize_address(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ip)


def certificate_subject(der: bytes) -> tuple:
    certificate = x509.load_der_x509_certificate(der)
    return tuple((attribute.rfc4514_attribute_name.upper(), str(attribute.value))
                 for attribute in certificate.subject)


# --- The sender's configuration: parsing and normalising (model validation, command options) ------------------------


def normalize_fingerprint(value: str) -> str:
    """`AB:CD:…` (as printed by `openssl x509 -fingerprint -sha256`), with or without its `sha256 Fingerprint=`
    prefix, spaces or colons → 64 lowercase hex digits. Empty stays empty. Raises ValueError."""
    text = (value or "").strip()
    if "=" in text:
        text = text.split("=", 1)[1]
    text = re.sub(r"[\s:]", "", text).lower()
    if text and not FINGERPRINT_RE.match(text):
        raise ValueError("Empreinte SHA-256 invalide : 64 chiffres hexadécimaux attendus (deux-points permis).")
    return text


def parse_subject(value: str) -> tuple:
    """`CN=…,O=…` (RFC 4514; `\\,` for a comma inside a value) → ((short name, value), …). Raises ValueError."""
    text = (value or "").strip()
    if not text:
        return ()
    try:
        name = x509.Name.from_rfc4514_string(text)
    except ValueError:
        raise ValueError("Sujet de certificat illisible : attendu p. ex. « CN=dpi.chu-exemple.fr,O=CHU Exemple » "
                         "(RFC 4514).") from None
    pairs = tuple((a.rfc4514_attribute_name.upper(), str(a.value)) for a in name)
    unknown = sorted({key for key, _ in pairs} - SUBJECT_ATTRIBUTES)
    if unknown:
        raise ValueError(f"Attribut de sujet non pris en charge : {', '.join(unknown)} (CN, O, OU, C, L, ST, STREET, DC, UID).")
    return pairs


def parse_networks(value: str) -> list:
    """CIDRs separated by spaces, commas or line breaks (`10.2.0.0/16`, `192.0.2.7`, `2001:db8::/32`)."""
    networks = []
    for item in re.split(r"[\s,;]+", (value or "").strip()):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"Réseau invalide : {item} (notation CIDR attendue, p. ex. 10.2.0.0/16).") from None
    return networks


def format_networks(networks) -> str:
    return "\n".join(str(network) for network in networks)


# --- The decision ---------------------------------------------------------------------------------------------------


def refusal(sender, channel: Channel | None) -> str | None:
    """Why `channel` may not speak for `sender` (French), or None. `channel` None: not a network connection (a
    replay by an administrator, the recovery of a message received earlier): nothing to check."""
    if channel is None:
        return None
    name = f"{sender.application}/{sender.facility}"
    has_certificate = bool(sender.cert_fingerprint or sender.cert_subject)
    if channel.tls:
        if not has_certificate:
            return (f"Émetteur non authentifié : aucun certificat n'est configuré pour {name} "
                    "(empreinte ou sujet, à renseigner par l'administrateur).")
        if sender.cert_fingerprint and channel.fingerprint != sender.cert_fingerprint:
            return f"Émetteur non authentifié : le certificat client ne correspond pas à l'émetteur {name}."
        if sender.cert_subject and not subject_matches(parse_subject(sender.cert_subject), channel.subject):
            return f"Émetteur non authentifié : le sujet du certificat client ne correspond pas à l'émetteur {name}."
    elif has_certificate:
        return f"Émetteur non authentifié : {name} doit se connecter en TLS avec son certificat client."
    networks = parse_networks(sender.allowed_networks)
    if networks and not address_in(channel.address, networks):
        return f"Émetteur non authentifié : adresse réseau non autorisée pour l'émetteur {name}."
    return None


def subject_matches(expected: tuple, actual: tuple) -> bool:
    """Every expected attribute is in the certificate's subject with exactly that value."""
    return bool(expected) and all(pair in actual for pair in expected)


def address_in(address: str, networks: list) -> bool:
    try:
        ip = ipaddress.ip_address(normalize_address(address))
    except ValueError:
        return False
    return any(ip.version == network.version and ip in network for network in networks)


# --- The listener's side --------------------------------------------------------------------------------------------


def server_context(cert: str, key: str, client_ca: str) -> ssl.SSLContext:
    """TLS ≥ 1.2, our certificate and key, and a client certificate REQUIRED, verified against `client_ca`."""
    missing = [option for option, value in (("--tls-cert (MLLP_TLS_CERT)", cert), ("--tls-key (MLLP_TLS_KEY)", key),
                                            ("--tls-client-ca (MLLP_TLS_CLIENT_CA)", client_ca)) if not value]
    if missing:
        raise ChannelConfigError("MLLP sur TLS : il manque " + ", ".join(missing)
                                 + " (certificat du serveur, sa clé et l'autorité des certificats clients).")
    for path in (cert, key, client_ca):
        if not Path(path).is_file():
            raise ChannelConfigError(f"MLLP sur TLS : fichier introuvable ou illisible : {path}.")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
        context.load_verify_locations(cafile=client_ca)
    except (ssl.SSLError, OSError) as exc:
        raise ChannelConfigError(f"MLLP sur TLS : certificat, clé ou autorité inutilisable ({exc}).") from None
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_plain_allowed(host: str, allow_plain: bool) -> None:
    """Plain MLLP (no encryption, a sender recognised by MSH-3/MSH-4 and its address only) listens on the loopback
    interface, or elsewhere only when MLLP_ALLOW_PLAIN says so (a private network)."""
    if not is_loopback(host) and not allow_plain:
        raise ChannelConfigError(
            f"MLLP en clair refusé sur {host or 'toutes les interfaces'} : sans TLS, le listener n'écoute que sur "
            "la boucle locale (127.0.0.1). Configurez TLS (--tls-cert, --tls-key, --tls-client-ca ou MLLP_TLS_*) "
            "ou, pour un réseau privé uniquement, MLLP_ALLOW_PLAIN=1.")
