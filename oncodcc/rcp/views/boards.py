"""SCAFFOLD: replaced by the real views."""
from django.http import Http404


def board_detail(request, *args, **kwargs):
    raise Http404


def board_list(request, *args, **kwargs):
    raise Http404
