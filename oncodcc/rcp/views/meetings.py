"""SCAFFOLD: replaced by the real views."""
from django.http import Http404


def attendance(request, *args, **kwargs):
    raise Http404


def attendance_panel(request, *args, **kwargs):
    raise Http404


def calendar(request, *args, **kwargs):
    raise Http404


def meeting_create(request, *args, **kwargs):
    raise Http404


def meeting_detail(request, *args, **kwargs):
    raise Http404


def meeting_status(request, *args, **kwargs):
    raise Http404


def reorder(request, *args, **kwargs):
    raise Http404
