"""Test-client sessions and the second factor.

`Client.force_login` bypasses authentication by design: no password, no code; it stands for "this user has signed
in". Since a sign-in now has two steps (password, then a TOTP or recovery code), the suite's `force_login` stands
for both and marks the session strongly authenticated as the code page does (`strong_auth.mark`) — installed for
every test by tests/conftest.py. The second factor itself is tested through the real pages
(tests/accounts/test_second_factor.py, tests/e2e); tests that need a session at the password step only use
`force_login_password_only`."""

from django.test.client import ClientMixin

from oncodcc.accounts import strong_auth

_django_force_login = ClientMixin.force_login


def force_login_strong(self, user, backend=None):
    _django_force_login(self, user, backend)
    session = self.session
    session[strong_auth.SESSION_KEY] = strong_auth.TOTP
    session.save()


def force_login_password_only(client, user, backend=None):
    """The session as the password step leaves it: the second factor still to come."""
    _django_force_login(client, user, backend)
