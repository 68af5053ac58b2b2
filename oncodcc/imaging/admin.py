"""Image sources in the admin (the DSRC and system administrators configure the region's PACS): the password or
token is written, never shown back; each change is audited by RoleAdmin (field names, never the secret)."""

from django import forms
from django.contrib import admin

from oncodcc.accounts.models import Role
from oncodcc.core.admin import RoleAdmin

from .models import ImageSource

WRITE_ONLY_HELP = "Mot de passe (authentification Basic) ou jeton (Bearer). Jamais réaffiché : laisser vide pour " \
                   "conserver celui qui est enregistré."


class ImageSourceForm(forms.ModelForm):
    dicomweb_url = forms.URLField(
        label="Adresse DICOMweb (QIDO-RS, WADO-RS)", max_length=500, assume_scheme="https",
        help_text=ImageSource._meta.get_field("dicomweb_url").help_text)
    secret = forms.CharField(label="Mot de passe ou jeton", required=False, strip=False, help_text=WRITE_ONLY_HELP,
                             widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}))

    class Meta:
        model = ImageSource
        fields = ("organisation", "name", "dicomweb_url", "viewer_url_template", "issuer", "search_by_ins", "auth", "username",
                  "secret", "client_certificate", "client_key", "timeout", "active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Never sent to the browser, and left blank it is "unchanged" (not an audited change of the secret).
        self.initial["secret"] = ""

    def clean(self):
        cleaned = super().clean()
        auth = cleaned.get("auth")
        if auth in (ImageSource.Auth.BASIC, ImageSource.Auth.BEARER) and not cleaned.get("secret") \
                and not self.instance.secret:
            self.add_error("secret", "Cette authentification demande un mot de passe ou un jeton.")
        return cleaned

    def _post_clean(self):
        # A blank secret keeps the stored one (the form never shows it); a method without secret clears it.
        stored = self.instance.secret
        super()._post_clean()
        if not self.cleaned_data.get("secret"):
            self.instance.secret = stored
        if self.instance.auth in (ImageSource.Auth.NONE, ImageSource.Auth.CERT):
            self.instance.secret = ""


@admin.register(ImageSource)
class ImageSourceAdmin(RoleAdmin):
    form = ImageSourceForm
    manager_roles = {Role.ADMIN_DSRC, Role.SYSADMIN}
    list_display = ("name", "organisation", "dicomweb_url", "auth", "timeout", "active")
    list_filter = ("active", "auth")
    search_fields = ("name", "organisation__name", "organisation__finess", "dicomweb_url")
    autocomplete_fields = ("organisation",)
    fieldsets = (
        (None, {"fields": ("organisation", "name", "active")}),
        ("DICOMweb", {"fields": ("dicomweb_url", "issuer", "search_by_ins", "viewer_url_template", "timeout")}),
        ("Authentification", {"fields": ("auth", "username", "secret", "client_certificate", "client_key")}),
    )
