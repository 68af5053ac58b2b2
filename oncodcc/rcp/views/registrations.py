"""SCAFFOLD: replaced by the real views."""
from django.http import Http404


def registration_create(request, *args, **kwargs):
    raise Http404


def registration_detail(request, *args, **kwargs):
    raise Http404


def registration_move(request, *args, **kwargs):
    raise Http404


def registration_reregister(request, *args, **kwargs):
    raise Http404


def registration_withdraw(request, *args, **kwargs):
    raise Http404
