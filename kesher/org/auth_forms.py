"""Kesher's tweaks to allauth's sign-in forms (REQ OR-5): labels and hints that say what to type."""

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.mfa.base.forms import AuthenticateForm as AllauthMFAAuthenticateForm
from django.utils.translation import gettext_lazy as _

__all__ = ["LoginForm", "MFAAuthenticateForm"]


class LoginForm(AllauthLoginForm):
    """allauth's login form with username-or-email labelled as such (allauth's label is "Login",
    which reads oddly in Hebrew) and the autocomplete hint password managers expect."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        login = self.fields["login"]
        login.label = _("Username or email")
        login.widget.attrs.update({"autocomplete": "username", "autofocus": True})


class MFAAuthenticateForm(AllauthMFAAuthenticateForm):
    """The two-factor step of signing in, saying that a recovery code works too (REQ OR-5)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        code = self.fields["code"]
        code.help_text = _("Lost your phone? Enter one of your recovery codes instead.")
        # Authenticator and recovery codes are digits: a phone shows its number pad.
        code.widget.attrs.update({"inputmode": "numeric", "autofocus": True})
