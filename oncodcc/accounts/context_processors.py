from . import strong_auth


def second_factor(request):
    """`signed_in`: the user is signed in *and* past the second factor (the navigation is shown only then)."""
    user = getattr(request, "user", None)
    return {"signed_in": bool(user is not None and user.is_authenticated and strong_auth.is_strong(request))}
