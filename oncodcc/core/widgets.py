"""Form widgets shared by the apps."""

from django import forms


class Picker(forms.Select):
    """A drop-down that becomes a searchable list in the browser (Tom Select, served locally): type a few letters
    of a name, a specialty or an organisation instead of scrolling through a region's practitioners. Without
    JavaScript it stays the plain <select>; the page includes `{{ form.media }}` to load the enhancement."""

    class Media:
        css = {"all": ["vendor/tom-select/tom-select.bootstrap5.min.css"]}
        js = ["vendor/tom-select/tom-select.complete.min.js", "oncodcc/pickers.js"]

    def __init__(self, attrs=None, choices=()):
        super().__init__({"class": "form-select", "data-picker": "", **(attrs or {})}, choices)
