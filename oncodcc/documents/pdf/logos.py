"""Logo checks: the admin form refuses a bad upload with a French message, and the renderer checks the stored
bytes again before embedding them (a logo that cannot be read is left out, the PDF still renders)."""

import base64
import io

from lxml import etree

from oncodcc.documents.models import LOGO_CONTENT_TYPES, LOGO_MAX_BYTES

MAX_PIXELS = 25_000_000  # decompression bombs


class LogoError(ValueError):
    """The message is shown to the administrator as is."""


def sniff(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<?xml") or head.startswith(b"<svg") or head.startswith(b"<!--") or b"<svg" in head:
        return "image/svg+xml"
    return None


def check_logo(data: bytes) -> str:
    """The content type of a valid logo (PNG, JPEG or SVG, ≤ 1 Mo, readable), or LogoError."""
    if not data:
        raise LogoError("Le fichier du logo est vide.")
    if len(data) > LOGO_MAX_BYTES:
        raise LogoError(f"Le logo pèse {len(data) / 1024 / 1024:.1f} Mo : 1 Mo au plus.")
    content_type = sniff(data)
    if content_type is None:
        raise LogoError("Format de logo non pris en charge : PNG, JPEG ou SVG uniquement.")
    if content_type == "image/svg+xml":
        _check_svg(data)
    else:
        _check_raster(data, LOGO_CONTENT_TYPES[content_type])
    return content_type


def _check_raster(data: bytes, expected: str) -> None:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != expected:
                raise LogoError("Le contenu du logo ne correspond pas à son format (PNG ou JPEG attendu).")
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise LogoError("Le logo est trop grand (plus de 25 millions de pixels).")
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()  # verify() does not decode: a truncated file fails here
    except LogoError:
        raise
    except Exception as exc:  # Pillow raises many types for damaged files
        raise LogoError("Le logo est illisible ou endommagé : enregistrez-le à nouveau en PNG, JPEG ou SVG.") from exc


def _check_svg(data: bytes) -> None:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise LogoError("Le logo SVG est illisible (XML mal formé).") from exc
    if etree.QName(root).localname != "svg":
        raise LogoError("Le fichier n'est pas une image SVG.")
    if any(etree.QName(el).localname == "script" for el in root.iter() if isinstance(el.tag, str)):
        raise LogoError("Un logo SVG ne doit pas contenir de script.")


def data_uri(data: bytes | memoryview | None) -> str | None:
    """A data: URI for a stored logo, or None when it is missing or unreadable."""
    if not data:
        return None
    data = bytes(data)
    try:
        content_type = check_logo(data)
    except LogoError:
        return None
    return f"data:{content_type};base64,{base64.b64encode(data).decode('ascii')}"
