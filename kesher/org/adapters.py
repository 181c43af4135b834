"""allauth adapters: Kesher users are created by an administrator, never by open sign-up."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return False


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Google / Microsoft sign-in only connects to an existing, active Kesher user (REQ OR-5)."""

    def is_open_for_signup(self, request, sociallogin):
        return False
