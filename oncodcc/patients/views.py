"""SCAFFOLD: replaced by the real views."""
from django.http import Http404


def access_history(request, *args, **kwargs):
    raise Http404


def break_glass(request, *args, **kwargs):
    raise Http404


def break_glass_log(request, *args, **kwargs):
    raise Http404


def care_team_add(request, *args, **kwargs):
    raise Http404


def create(request, *args, **kwargs):
    raise Http404


def detail(request, *args, **kwargs):
    raise Http404


def edit(request, *args, **kwargs):
    raise Http404


def search(request, *args, **kwargs):
    raise Http404
