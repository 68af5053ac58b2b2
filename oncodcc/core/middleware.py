"""Views that refuse a method answer an empty 405 (`require_POST`…): browsers get the French error page instead."""

from . import views


class MethodNotAllowedPageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code != 405 or response.streaming or response.content:
            return response  # machine endpoints (FHIR, API, OAuth) answer their own 405 bodies
        page = views.method_not_allowed(request)
        if response.has_header("Allow"):
            page["Allow"] = response["Allow"]
        return page
