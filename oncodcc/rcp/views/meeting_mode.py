"""SCAFFOLD: replaced by the real views."""
from django.http import Http404


def case(request, *args, **kwargs):
    raise Http404


def start(request, *args, **kwargs):
    raise Http404
