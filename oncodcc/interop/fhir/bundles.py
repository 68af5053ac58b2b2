"""Search results as a FHIR `searchset` Bundle, with self/first/previous/next links for `_count`/`_offset` paging."""

import uuid

from django.http import HttpRequest
from django.urls import reverse

from .outcomes import instant
from .params import Search


def base_url(request: HttpRequest) -> str:
    """The service base, e.g. `https://dcc.example.fr/fhir/`."""
    return request.build_absolute_uri(reverse("fhir:metadata")).removesuffix("metadata")


def searchset(request: HttpRequest, resource_type: str, search: Search, resources: list[dict], total: int | None,
              *, more: bool | None = None) -> dict:
    """`total` None: not counted (a broad search stops once its page is full; `Bundle.total` is optional), then
    `more` says whether a next page exists."""
    base = base_url(request)
    endpoint = f"{base}{resource_type}"
    links = [{"relation": "self", "url": f"{endpoint}?{search.query_string(offset=search.offset)}"}]
    if search.count:
        links.append({"relation": "first", "url": f"{endpoint}?{search.query_string(offset=0)}"})
        if search.offset:
            previous = max(0, search.offset - search.count)
            links.append({"relation": "previous", "url": f"{endpoint}?{search.query_string(offset=previous)}"})
        if more if total is None else search.offset + search.count < total:
            links.append({"relation": "next",
                          "url": f"{endpoint}?{search.query_string(offset=search.offset + search.count)}"})
    bundle = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": instant()},
        "type": "searchset",
        **({} if total is None else {"total": total}),
        "link": links,
    }
    if resources:
        bundle["entry"] = [
            {"fullUrl": f"{endpoint}/{resource['id']}", "resource": resource, "search": {"mode": "match"}}
            for resource in resources
        ]
    return bundle
