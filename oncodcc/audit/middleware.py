from . import context


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ctx = context.RequestContext(
            ip_address=request.META.get("REMOTE_ADDR", "")[:45],
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
            channel="web",
        )
        token = context.set_current(ctx)
        try:
            return self.get_response(request)
        finally:
            context.reset(token)
