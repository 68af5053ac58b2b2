"""Document headers in the admin: a 3C administrator manages their 3C's header and its hospitals' headers, a DSRC
administrator those of the region's 3Cs, the system administrator all. "Prévisualiser" renders a sample page."""

import base64
import shutil
import subprocess
import tempfile
from pathlib import Path

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from oncodcc.accounts.models import Role
from oncodcc.core.admin import RoleAdmin
from oncodcc.directory.models import Organisation

from .models import LOGO_MAX_BYTES, DocumentHeader
from .pdf.logos import LogoError, check_logo

HEADER_KINDS = [Organisation.Kind.CCC, Organisation.Kind.LEGAL_ENTITY, Organisation.Kind.SITE]


def scoped_organisations(user):
    """The organisations whose header the user may manage."""
    queryset = Organisation.objects.filter(kind__in=HEADER_KINDS)
    if user.is_superuser or user.role == Role.SYSADMIN:
        return queryset
    if user.role == Role.ADMIN_3C and user.organisation_id:
        cccs = Q(pk=user.organisation_id)
        ccc_ids = [user.organisation_id]
    elif user.role == Role.ADMIN_DSRC and user.organisation_id:
        cccs = Q(parent_id=user.organisation_id, kind=Organisation.Kind.CCC)
        ccc_ids = list(Organisation.objects.filter(cccs).values_list("pk", flat=True))
    else:
        return queryset.none()
    hospitals = Q(parent_id__in=ccc_ids) | Q(boards__managing_3c_id__in=ccc_ids)
    return queryset.filter(cccs | hospitals).distinct()


class DocumentHeaderForm(forms.ModelForm):
    logo_file = forms.FileField(
        label="Logo", required=False,
        help_text="PNG, JPEG ou SVG, 1 Mo au plus. Laisser vide pour garder le logo actuel.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/svg+xml"}),
    )
    remove_logo = forms.BooleanField(label="Supprimer le logo", required=False)

    class Meta:
        model = DocumentHeader
        fields = ["organisation", "display_name", "address_lines", "phone", "show_finess", "free_text"]
        widgets = {"address_lines": forms.Textarea(attrs={"rows": 3}), "free_text": forms.Textarea(attrs={"rows": 3})}

    def clean_logo_file(self):
        upload = self.cleaned_data.get("logo_file")
        if not upload:
            return None
        if upload.size is not None and upload.size > LOGO_MAX_BYTES:
            raise forms.ValidationError(
                f"Le logo pèse {upload.size / 1024 / 1024:.1f} Mo : 1 Mo au plus.", code="too_large")
        data = upload.read(LOGO_MAX_BYTES + 1)
        try:
            content_type = check_logo(data)
        except LogoError as exc:
            raise forms.ValidationError(str(exc), code="invalid_logo") from exc
        return data, content_type

    def save(self, commit=True):
        header = super().save(commit=False)
        logo = self.cleaned_data.get("logo_file")
        if logo:
            header.logo, header.logo_content_type = logo
        elif self.cleaned_data.get("remove_logo"):
            header.logo, header.logo_content_type = None, ""
        if commit:
            header.save()
        return header


@admin.register(DocumentHeader)
class DocumentHeaderAdmin(RoleAdmin):
    form = DocumentHeaderForm
    list_display = ("__str__", "organisation", "logo_info", "updated_at", "preview_link")
    search_fields = ("display_name", "organisation__name", "organisation__short_name")
    readonly_fields = ("logo_info", "preview_link", "updated_at")
    manager_roles = {Role.ADMIN_3C, Role.ADMIN_DSRC, Role.SYSADMIN}

    def get_fields(self, request, obj=None):
        fields = ["organisation", "display_name", "address_lines", "phone", "show_finess", "free_text", "logo_file"]
        if obj is not None:
            fields += ["logo_info", "remove_logo", "preview_link", "updated_at"]
        return fields

    def get_queryset(self, request):
        return (super().get_queryset(request).select_related("organisation")
                .filter(organisation__in=scoped_organisations(request.user)))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organisation":
            kwargs["queryset"] = scoped_organisations(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _in_scope(self, request, obj) -> bool:
        return obj is None or scoped_organisations(request.user).filter(pk=obj.organisation_id).exists()

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._in_scope(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._in_scope(request, obj)

    def has_delete_permission(self, request, obj=None):
        # A header is only layout: its administrators may delete it (the plain default header is used again).
        return self._allowed(request) and self._in_scope(request, obj)

    @admin.display(description="Logo")
    def logo_info(self, obj):
        if not obj.logo:
            return "—"
        return f"{obj.logo_content_type.split('/')[-1].split('+')[0].upper()}, {len(obj.logo) / 1024:.0f} ko"

    @admin.display(description="Aperçu")
    def preview_link(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        url = reverse("admin:documents_documentheader_preview", args=[obj.pk])
        return format_html('<a href="{}" target="_blank" rel="noopener">Prévisualiser</a>', url)

    change_form_template = "admin/documents/documentheader/change_form.html"

    def get_urls(self):
        custom = [path("<int:pk>/apercu/", self.admin_site.admin_view(self.preview_view),
                       name="documents_documentheader_preview"),
                  path("apercu-direct/", self.admin_site.admin_view(self.live_preview_view),
                       name="documents_documentheader_live_preview")]
        return custom + super().get_urls()

    def live_preview_view(self, request):
        """The header as it is being typed (htmx, unsaved): a PNG of a sample page, or a French message."""
        if request.method != "POST" or not self._allowed(request):
            raise PermissionDenied
        organisation = scoped_organisations(request.user).filter(pk=request.POST.get("organisation") or 0).first()
        if organisation is None:
            return HttpResponse('<p class="help">Choisissez l\'organisation pour voir l\'aperçu.</p>')
        existing = self.get_queryset(request).filter(pk=request.POST.get("header_pk") or 0).first()
        header = DocumentHeader(
            organisation=organisation,
            display_name=request.POST.get("display_name", "")[:200],
            address_lines=request.POST.get("address_lines", "")[:1000],
            phone=request.POST.get("phone", "")[:30],
            show_finess=request.POST.get("show_finess") in {"on", "true", "1"},
            free_text=request.POST.get("free_text", "")[:500],
        )
        upload = request.FILES.get("logo_file")
        if upload is not None:
            data = upload.read(LOGO_MAX_BYTES + 1)
            if len(data) > LOGO_MAX_BYTES:
                return HttpResponse('<p class="errornote">Le logo dépasse 1 Mo.</p>')
            try:
                header.logo_content_type = check_logo(data)
            except LogoError as exc:
                return HttpResponse(format_html('<p class="errornote">{}</p>', str(exc)))
            header.logo = data
        elif existing is not None and not request.POST.get("remove_logo"):
            header.logo, header.logo_content_type = existing.logo, existing.logo_content_type
        from .pdf.renderer import header_preview_pdf

        png = _first_page_png(header_preview_pdf(header), resolution=60)
        if png is None:
            return HttpResponse('<p class="help">Aperçu indisponible (poppler-utils absent).</p>')
        response = HttpResponse(format_html('<img class="header-live-preview" src="data:image/png;base64,{}" '
                                            'alt="Aperçu de la première page avec cet en-tête">',
                                            base64.b64encode(png).decode()))
        response["Cache-Control"] = "no-store"
        return response

    def preview_view(self, request, pk):
        header = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_view_permission(request, header):
            raise PermissionDenied
        from .pdf.renderer import header_preview_pdf

        pdf = header_preview_pdf(header)
        png = _first_page_png(pdf)
        if png is None:
            response = HttpResponse(pdf, content_type="application/pdf")
            response["Content-Disposition"] = 'inline; filename="apercu-en-tete.pdf"'
        else:
            response = HttpResponse(png, content_type="image/png")
        response["Cache-Control"] = "no-store"
        return response


def _first_page_png(pdf: bytes, resolution: int = 80) -> bytes | None:
    """The first page as PNG (poppler's pdftoppm), or None when poppler is not installed."""
    binary = shutil.which("pdftoppm")
    if binary is None:
        return None
    with tempfile.TemporaryDirectory(prefix="dcc-apercu-") as folder:
        source, target = Path(folder) / "apercu.pdf", Path(folder) / "apercu"
        source.write_bytes(pdf)
        result = subprocess.run(  # noqa: S603 (fixed arguments, no shell)
            [binary, "-png", "-r", str(resolution), "-f", "1", "-l", "1", "-singlefile", str(source), str(target)],
            capture_output=True, timeout=30, check=False,
        )
        png = target.with_suffix(".png")
        return png.read_bytes() if result.returncode == 0 and png.exists() else None
