from django.contrib import admin
from django.urls import include, path

from oncodcc.core import views as core_views
from oncodcc.front import record
from oncodcc.patients import urls as patient_urls

# The record page belongs to `front` (it composes several apps) but keeps its name, patients:detail.
patient_patterns = [*patient_urls.urlpatterns, path("<int:pk>/", record.detail, name="detail")]

admin.site.site_header = "OncoDCC — administration"
admin.site.site_title = "OncoDCC"
admin.site.index_title = "Annuaire, RCP et comptes"

urlpatterns = [
    path("health", core_views.health, name="health"),
    path("", include("oncodcc.front.urls")),
    path("comptes/", include("oncodcc.accounts.urls")),
    path("compte/", include("oncodcc.accounts.request_urls")),
    path("patients/", include((patient_patterns, "patients"))),
    path("rcp/", include("oncodcc.rcp.urls")),
    path("calendrier/", include("oncodcc.notifications.urls")),
    path("api/", include("oncodcc.api.urls")),
    path("documents/", include("oncodcc.documents.urls")),
    path("fhir/", include("oncodcc.interop.fhir.urls")),
    path("", include("oncodcc.interop.smart.urls")),  # /.well-known/smart-configuration, OAuth2 token endpoint
    path("", include("oncodcc.interop.launch.urls")),  # /launch (contextual call from a hospital record)
    path("pps/", include("oncodcc.careplans.urls")),
    path("diffusion/", include("oncodcc.diffusion.urls")),
    path("imagerie/", include("oncodcc.imaging.urls")),
    path("statistiques/", include("oncodcc.infocentre.urls")),
    path("infocentre/", include("oncodcc.infocentre.urls_search")),
    path("admin/", admin.site.urls),
]

handler400 = "oncodcc.core.views.bad_request"
handler403 = "oncodcc.front.errors.forbidden"
handler404 = "oncodcc.core.views.not_found"
handler500 = "oncodcc.core.views.server_error"
