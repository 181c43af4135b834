"""The organization: users, the department tree, roles with record scopes, companies, API tokens.

REQ OR-1 (departments), OR-3 (permissions per role), OR-4 (several legal entities).
"""

import functools
import hashlib
import secrets
import zoneinfo

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kesher.platform import stamps
from kesher.platform.fields import CompanyNumberField, PhoneField
from kesher.platform.models import EntityQuerySet, KesherModel, StampedQuerySet

__all__ = [
    "ApiToken",
    "Company",
    "Department",
    "Region",
    "Role",
    "RolePermission",
    "Scope",
    "User",
]


class Scope(models.TextChoices):
    """How far a role's reach goes within one entity."""

    OWN = "own", _("Own records")
    DEPARTMENT = "department", _("Department's records")
    # The records of the user's regions (a rep of the North sees the North's customers), as an
    # entity's registration names its region (``Entity.region_field``; decision 0060).
    REGION = "region", _("Region's records")
    COMPANY = "company", _("Company's records")
    ALL = "all", _("All records")


class Company(KesherModel):
    """A legal entity of the organization; several share one Kesher and its customers (OR-4)."""

    name = models.CharField(_("name"), max_length=200)
    company_number = CompanyNumberField(_("company number"), unique=True, blank=False)
    phone = PhoneField(_("phone"))
    email = models.EmailField(_("email"), blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    vat_rate = models.DecimalField(_("VAT rate %"), max_digits=5, decimal_places=2, default=18)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")

    def __str__(self):
        return self.name


class Region(KesherModel):
    """A geographical area the organization sells in: Israel's districts by default, and abroad;
    customers, leads and users belong to one, and a role may reach a region's records
    (REQ SA-12, OR-3)."""

    name_he = models.CharField(_("Hebrew name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self):
        from kesher.platform.models import localized

        return localized(self, "name")


class Department(KesherModel):
    """A node of the department tree; ``path`` ("/1/4/") lets a subtree be read in one query."""

    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    manager = models.ForeignKey(
        "org.User",
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_departments",
        limit_choices_to={"is_active": True},
    )
    path = models.CharField(max_length=255, editable=False, db_index=True, default="/")

    class Meta:
        ordering = ["path"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self):
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2


class Role(KesherModel):
    """A named set of entity permissions, each with its record scope (OR-3, CX-9)."""

    key = models.SlugField(_("key"), max_length=40, unique=True)
    name_he = models.CharField(_("Hebrew name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    is_admin = models.BooleanField(
        _("administrator"), default=False, help_text=_("Administrators may do everything.")
    )
    mfa_required = models.BooleanField(
        _("requires two-factor sign-in"),
        default=False,
        help_text=_(
            "Users of this role must set up an authenticator app or a security key before they "
            "can use Kesher."
        ),
    )

    objects = StampedQuerySet.as_manager()

    class Meta:
        ordering = ["name_he"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")

    def __str__(self):
        from kesher.platform.models import localized

        return localized(self, "name")


class RolePermission(models.Model):
    """What one role may do with one entity, and over which records."""

    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="permissions")
    entity = models.CharField(_("entity"), max_length=40)
    can_view = models.BooleanField(_("view"), default=True)
    can_add = models.BooleanField(_("add"), default=False)
    can_change = models.BooleanField(_("change"), default=False)
    can_delete = models.BooleanField(_("delete"), default=False)
    scope = models.CharField(_("scope"), max_length=12, choices=Scope.choices, default=Scope.OWN)

    objects = StampedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["role", "entity"], name="role_entity_unique")
        ]

    def __str__(self):
        return f"{self.role.key}:{self.entity}"


# Every request reads its user's grants from a per-process cache (kesher/platform/access.py).
stamps.renew_on_change(stamps.ROLES, Role, RolePermission)


def validate_time_zone(value: str) -> None:
    """A time zone must be a real one (the IANA database's name): every date a user reads is
    shown in it."""
    if value not in _time_zones():
        raise ValidationError(_("Unknown time zone."), code="time_zone")


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


class KesherUserManager(UserManager.from_queryset(EntityQuerySet)):
    """Django's user manager with ``visible_to(user)`` like every registered entity."""

    use_in_migrations = True


class User(AbstractUser):
    """A person who signs in. Inactive users cannot sign in nor be chosen as owners."""

    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    role = models.ForeignKey(
        Role,
        verbose_name=_("role"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="users",
    )
    companies = models.ManyToManyField(
        Company, verbose_name=_("companies"), blank=True, related_name="users"
    )
    regions = models.ManyToManyField(
        Region,
        verbose_name=_("regions"),
        blank=True,
        related_name="users",
        help_text=_("The regions the user works in: a role with the region scope reaches them."),
    )
    language = models.CharField(
        _("language"), max_length=5, choices=[("he", "עברית"), ("en", "English")], default="he"
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Asia/Jerusalem",
        validators=[validate_time_zone],
        help_text=_("A name from the IANA time zone database, e.g. Asia/Jerusalem."),
    )
    phone = PhoneField(_("phone"))
    title = models.CharField(_("job title"), max_length=100, blank=True)

    objects = KesherUserManager()

    class Meta:
        ordering = ["first_name", "last_name", "username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    # The columns its name reads: a list showing it in a column loads only these.
    title_fields = ("first_name", "last_name", "username")

    def __str__(self):
        return self.get_full_name() or self.username


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def for_key(self, key: str):
        return self.filter(key_hash=_hash_key(key), revoked_at__isnull=True)


class ApiToken(models.Model):
    """A personal API key. Only its SHA-256 is stored: the key is shown once, when made."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def new_key() -> tuple[str, str]:
        key = secrets.token_urlsafe(32)
        return key, _hash_key(key)
