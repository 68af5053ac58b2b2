"""SCAFFOLD: replaced by the real views."""
from django.http import Http404


def fiche_correct(request, *args, **kwargs):
    raise Http404


def fiche_detail(request, *args, **kwargs):
    raise Http404


def fiche_edit(request, *args, **kwargs):
    raise Http404


def fiche_print(request, *args, **kwargs):
    raise Http404


def fiche_start(request, *args, **kwargs):
    raise Http404


def fiche_validate(request, *args, **kwargs):
    raise Http404
