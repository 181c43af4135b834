"""allauth adapters: Kesher users are created by an administrator, never by open sign-up; a
Google / Microsoft / OpenID Connect sign-in only reaches an existing, active user (REQ OR-5)."""

from __future__ import annotations

import logging

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.base import AuthProcess
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from kesher.org.models import User
from kesher.org.sso import is_app_enabled, sign_in_connect_by_email

__all__ = ["AccountAdapter", "ProviderNotSwitchedOn", "SocialAccountAdapter"]

logger = logging.getLogger("kesher.sign_in")


class ProviderNotSwitchedOn(SocialApp.DoesNotExist, Http404):
    """A provider with no (switched-on) app: a 404 page for its URLs, and still the
    ``SocialApp.DoesNotExist`` allauth's own code expects."""


class AccountAdapter(DefaultAccountAdapter):
    """Password sign-in for users an administrator created; nobody signs up (REQ OR-5)."""

    def is_open_for_signup(self, request):
        return False


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Google / Microsoft sign-in only connects to an existing, active Kesher user (REQ OR-5)."""

    def is_open_for_signup(self, request, sociallogin):
        return False

    def list_apps(self, request, provider=None, client_id=None):
        # A provider an administrator switched off keeps its credentials but shows no button,
        # and its sign-in and callback URLs answer 404 (allauth finds no app).
        apps = super().list_apps(request, provider=provider, client_id=client_id)
        return [app for app in apps if is_app_enabled(app)]

    def get_app(self, request, provider, client_id=None):
        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist:
            # allauth's Google and Microsoft views let this escape as a server error.
            raise ProviderNotSwitchedOn from None

    def authenticate_by_email(self, sociallogin):
        """The one Kesher user whose email is an address the provider confirmed.

        Matches on ``User.email``, which only administrators set, and refuses when several
        users share the address instead of picking one of them.
        """
        for email in _confirmed_emails(sociallogin):
            if not self.can_authenticate_by_email(sociallogin, email):
                continue
            users = list(User.objects.filter(email__iexact=email).order_by("pk")[:2])
            if len(users) > 1:
                _refuse(
                    sociallogin,
                    _(
                        "Several Kesher users have the email address %(email)s, so it cannot "
                        "tell which one you are. Ask your administrator to correct it."
                    )
                    % {"email": email},
                )
            if users:
                return users[0], email
        return None

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ):
        # The page tells the user little; the log tells the administrator what the provider said.
        logger.warning(
            "%s sign-in failed (%s): %s", getattr(provider, "id", provider), error, exception
        )

    def pre_social_login(self, request, sociallogin):
        """Refuse unknown people and inactive users before allauth connects or signs in."""
        if sociallogin.state.get("process") == AuthProcess.CONNECT:
            return  # a signed-in user linking a provider account to themselves
        if not sociallogin.is_existing:
            emails = _confirmed_emails(sociallogin)
            if not emails:
                _refuse(
                    sociallogin,
                    _(
                        "%(provider)s did not confirm your email address, so Kesher cannot tell "
                        "which user you are."
                    )
                    % {"provider": sociallogin.provider.name},
                )
            _refuse(
                sociallogin,
                _(
                    "No Kesher user has the email address %(email)s. Ask your administrator to "
                    "add you, or sign in with your username and password."
                )
                % {"email": emails[0]},
            )
        user = sociallogin.user
        if not user.is_active:
            _refuse(
                sociallogin,
                _("Your Kesher user is deactivated. Ask your administrator to reactivate it."),
            )
        if sociallogin.account.pk is None:
            # Found by email, not by an earlier connection: allauth connects the provider account
            # now (SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT); record it.
            email = next(
                (e for e in _confirmed_emails(sociallogin) if e.lower() == user.email.lower()),
                user.email,
            )
            sign_in_connect_by_email(
                user=user, email=email, provider_name=sociallogin.provider.name
            )


def _confirmed_emails(sociallogin) -> list[str]:
    return [address.email for address in sociallogin.email_addresses if address.verified]


def _refuse(sociallogin, message: str):
    """Back to the sign-in page with ``message``; logged, since refusals may be attacks."""
    request = context.request
    logger.warning(
        "Refused %s sign-in (uid %s): %s",
        sociallogin.provider.id,
        sociallogin.account.uid,
        message,
    )
    messages.error(request, message)
    raise ImmediateHttpResponse(redirect("account_login"))
