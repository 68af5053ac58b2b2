"""The calendar pages: the month view, the subscription page (the user's secret feed address) and the feed."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from . import calendar_feeds, calendars, ics
from .models import CalendarFeed

MONTH_YEARS = (1990, 2200)


@require_GET
def month(request):
    first = None
    raw = request.GET.get("mois", "")
    if raw:
        try:
            first = date.fromisoformat(f"{raw}-01")
        except ValueError:
            first = None
        if first is None or not MONTH_YEARS[0] <= first.year <= MONTH_YEARS[1]:
            first = None
            messages.warning(request, "Mois invalide : affichage du mois en cours.")
    show_all = request.GET.get("toutes") == "1"
    page = calendars.month(user=request.user, first=first, show_all=show_all)
    return render(request, "notifications/month.html", {"month": page})


# The new address travels from the POST to the page that shows it in the session (database-backed, server side),
# and is taken out as soon as it is shown: a reload neither shows it again nor issues another one.
NEW_TOKEN_SESSION_KEY = "notifications.new_calendar_token"  # noqa: S105 (a session key name, not a secret)


@require_http_methods(["GET", "POST"])
def subscription(request):
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "issue":
            request.session[NEW_TOKEN_SESSION_KEY] = calendar_feeds.issue(actor=request.user)
        elif action == "revoke":
            if calendar_feeds.revoke(actor=request.user):
                messages.success(request, "Adresse révoquée : les agendas abonnés ne reçoivent plus vos séances.")
        else:
            messages.error(request, "Action inconnue.")
        return redirect("notifications:subscription")
    token = request.session.pop(NEW_TOKEN_SESSION_KEY, None)
    feed = CalendarFeed.objects.filter(user=request.user).first()
    address = request.build_absolute_uri(reverse("notifications:feed", args=[token])) if token and feed else None
    return render(request, "notifications/subscription.html", {"feed": feed, "address": address})


@login_not_required
@require_GET
def feed(request, token: str):
    """The iCalendar feed: reached by calendar applications without a session, the secret address is the key."""
    user = calendar_feeds.resolve(token)
    if user is None:
        raise Http404("Adresse de calendrier inconnue ou révoquée.")
    body = ics.render(calendars.feed_meetings(user), name="OncoDCC — mes séances de RCP")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="oncodcc-rcp.ics"'
    response["Cache-Control"] = "private, max-age=900"
    response["X-Robots-Tag"] = "noindex"
    return response
