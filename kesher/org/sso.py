"""Sign-in through Google, Microsoft and a generic OpenID Connect provider (REQ OR-5).

An administrator switches a provider on by entering the client id and secret that the provider's
console issued for Kesher; they are stored as allauth ``SocialApp`` rows, which allauth's views
read. A provider without a row, or with ``settings["enabled"] = False``, shows no button and its
sign-in URLs answer 404 (``SocialAccountAdapter.list_apps``).

A provider sign-in never creates a user: it connects to the one existing Kesher user whose email
(as entered by an administrator) the provider confirms (``SocialAccountAdapter``).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialApp
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.platform.records.audit import register_fact
from kesher.platform.records.services import write_audit

__all__ = [
    "PROVIDERS",
    "ProviderKind",
    "is_app_enabled",
    "provider_app",
    "provider_callback_path",
    "sign_in_connect_by_email",
    "sign_in_provider_save",
]

# Microsoft's multi-tenant endpoints accept accounts from any directory (or personal accounts),
# whose administrators may put any address in "mail"; only a single directory's addresses can be
# trusted as belonging to this organization's people.
MICROSOFT_SHARED_TENANTS = {"common", "organizations", "consumers"}
_TENANT_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,99}$")
_MASK = "••••"
# A user's audit entries say when a sign-in provider confirmed his address.
SIGN_IN_PROVIDER = register_fact("sign_in_provider", gettext_lazy("sign-in provider"))


@dataclass(frozen=True)
class ProviderKind:
    """One provider Kesher's "Sign-in providers" screen offers."""

    key: str  # the screen's URL key
    provider: str  # allauth's provider id
    provider_id: str  # SocialApp.provider_id: the sub-provider of OpenID Connect, else ""
    label: Promise
    console: Promise  # where the administrator gets a client id and secret


PROVIDERS: dict[str, ProviderKind] = {
    kind.key: kind
    for kind in (
        ProviderKind(
            "google",
            "google",
            "",
            gettext_lazy("Google"),
            gettext_lazy("Google Cloud console → APIs & Services → Credentials → OAuth client ID"),
        ),
        ProviderKind(
            "microsoft",
            "microsoft",
            "",
            gettext_lazy("Microsoft"),
            gettext_lazy("Microsoft Entra admin center → App registrations"),
        ),
        ProviderKind(
            "oidc",
            "openid_connect",
            "sso",
            gettext_lazy("Other (OpenID Connect)"),
            gettext_lazy("Your identity provider's list of applications (Okta, Keycloak, …)"),
        ),
    )
}


def provider_app(kind: ProviderKind) -> SocialApp | None:
    """The provider's stored configuration, if an administrator made one."""
    return (
        SocialApp.objects.filter(provider=kind.provider, provider_id=kind.provider_id)
        .order_by("pk")
        .first()
    )


def is_app_enabled(app: SocialApp) -> bool:
    # Rows made in /django-admin/ have no "enabled" key: they count as switched on.
    return bool(app.settings.get("enabled", True))


def provider_callback_path(kind: ProviderKind) -> str:
    """The redirect URI path the administrator registers at the provider."""
    if kind.provider_id:
        return reverse(f"{kind.provider}_callback", kwargs={"provider_id": kind.provider_id})
    return reverse(f"{kind.provider}_callback")


def _clean_tenant(tenant: str) -> str:
    tenant = tenant.strip()
    if not tenant:
        raise ValidationError({"tenant": [_("Enter your organization's directory (tenant).")]})
    if tenant.lower() in MICROSOFT_SHARED_TENANTS:
        raise ValidationError(
            {
                "tenant": [
                    _(
                        "Enter your organization's own directory (tenant) ID or domain: with "
                        '"%(tenant)s" any Microsoft account could claim your users\' addresses.'
                    )
                    % {"tenant": tenant}
                ]
            }
        )
    if not _TENANT_PATTERN.match(tenant):
        raise ValidationError(
            {"tenant": [_("A directory (tenant) is an ID or a domain name, e.g. contoso.com.")]}
        )
    return tenant


def _is_local_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _clean_server_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if not url:
        raise ValidationError({"server_url": [_("Enter the provider's issuer URL.")]})
    try:
        URLValidator(schemes=["https", "http"])(url)
    except ValidationError:
        raise ValidationError({"server_url": [_("Enter a valid URL.")]}) from None
    parts = urlsplit(url)
    # Client secrets and identity tokens must not cross the network in clear text; plain HTTP
    # is allowed only to this machine (a provider under development, or the test suite's).
    if parts.scheme != "https" and not _is_local_host(parts.hostname or ""):
        raise ValidationError({"server_url": [_("The issuer URL must start with https://.")]})
    return url


@transaction.atomic
def sign_in_provider_save(
    *,
    actor,
    key: str,
    enabled: bool,
    client_id: str,
    secret: str = "",
    tenant: str = "",
    server_url: str = "",
    name: str = "",
) -> SocialApp:
    """Store a provider's client id and secret and switch it on or off (REQ OR-5).

    An empty ``secret`` keeps the saved one. Microsoft needs the organization's own directory
    (tenant): its addresses are then trusted as confirmed. OpenID Connect needs the issuer URL
    and the name its button shows. The change is audited; the secret never appears in the audit.
    """
    kind = PROVIDERS.get(key)
    if kind is None:
        raise ValidationError({"provider": [_("Unknown sign-in provider.")]})
    # Lock the row (read, then written): two saves of one provider apply one after the other.
    app = (
        SocialApp.objects.select_for_update()
        .filter(provider=kind.provider, provider_id=kind.provider_id)
        .order_by("pk")
        .first()
    )
    errors: dict[str, list[str]] = {}
    client_id = client_id.strip()
    secret = secret.strip()
    if not client_id:
        errors["client_id"] = [_("Enter the client ID the provider issued.")]
    if not secret and not (app and app.secret):
        errors["secret"] = [_("Enter the client secret the provider issued.")]
    settings = dict(app.settings) if app else {}
    settings["enabled"] = bool(enabled)
    label = str(kind.label)
    if kind.key == "oidc":
        label = name.strip()[:40]
        if not label:
            errors["name"] = [_("Enter the name its button shows, e.g. Okta.")]
    try:
        if kind.key == "microsoft":
            settings["tenant"] = _clean_tenant(tenant)
            # allauth marks Microsoft addresses unverified; inside one directory they are the
            # organization's own (see MICROSOFT_SHARED_TENANTS).
            settings["verified_email"] = True
        elif kind.key == "oidc":
            settings["server_url"] = _clean_server_url(server_url)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)

    before = _audited_state(app)
    old_secret = app.secret if app else ""
    created = app is None
    if created:
        app = SocialApp(provider=kind.provider, provider_id=kind.provider_id)
    app.name = label
    app.client_id = client_id
    if secret:
        app.secret = secret
    app.settings = settings
    app.save()
    changes = {
        field: [before.get(field), value]
        for field, value in _audited_state(app).items()
        if before.get(field) != value
    }
    if secret != old_secret and secret:
        changes["secret"] = [_MASK if old_secret else None, _MASK]
    if changes:
        write_audit(app, actor=actor, action="create" if created else "update", changes=changes)
    return app


def _audited_state(app: SocialApp | None) -> dict:
    if app is None:
        return {}
    return {
        "name": app.name,
        "client_id": app.client_id,
        "enabled": is_app_enabled(app),
        "tenant": app.settings.get("tenant"),
        "server_url": app.settings.get("server_url"),
    }


@transaction.atomic
def sign_in_connect_by_email(*, user, email: str, provider_name: str) -> None:
    """Record that a provider confirmed the address an administrator gave ``user``, before
    allauth connects the provider account to the user (REQ OR-5).

    The address becomes a verified allauth ``EmailAddress``: otherwise allauth would take the
    connection for a possible takeover and wipe the user's password.
    """
    email = email.lower()
    address = EmailAddress.objects.filter(user=user, email=email).first()
    if address is None:
        has_primary = EmailAddress.objects.filter(user=user, primary=True).exists()
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=not has_primary)
    elif not address.verified:
        address.verified = True
        address.save(update_fields=["verified"])
    write_audit(
        user,
        actor=user,
        action="update",
        changes={SIGN_IN_PROVIDER: [None, f"{provider_name} ({email})"]},
    )
