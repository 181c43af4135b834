"""Writes the demo organization and its customers, in one transaction.

The organization (companies, departments, users) goes through its services
(``record_create``, ``department_create``, ``user_create`` ...). The customers, hundreds of
them, go through ``bulk.bulk_record_create``, which gives each record what ``account_create``
would (validation, normalized phones and numbers, one "create" audit entry by the system,
search tokens, a "created" event) in batched inserts, so ``./bin/kesher start`` stays fast.
Then each user's working week (``story``: interactions, tasks, meetings, notifications,
approvals), through the activities', approvals' and automation's services. One transaction
means a failed load leaves nothing behind, and ``demo_loaded()`` is true only after a complete
one; the automation rules' runs the story started are done right after it commits.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from kesher.automation.worker import process_due
from kesher.customers.models import Account
from kesher.demo import names
from kesher.demo.billing import create_billing
from kesher.demo.bulk import bulk_link_contacts, bulk_record_create
from kesher.demo.catalogue import create_catalogue
from kesher.demo.collab import create_collab
from kesher.demo.customization import create_customization
from kesher.demo.documents import create_document_templates
from kesher.demo.field import create_field_day
from kesher.demo.marketing import create_marketing
from kesher.demo.objects import create_objects
from kesher.demo.organization import (
    COMPANIES,
    DEMO_ADMIN,
    DEMO_PASSWORD,
    DEPARTMENTS,
    SERVICE_MANAGER,
    USERS,
)
from kesher.demo.plan import DemoPlan, build_plan
from kesher.demo.portal import create_portal
from kesher.demo.projects import create_projects
from kesher.demo.purchasing import create_purchasing
from kesher.demo.quotes import create_quotes
from kesher.demo.reports import create_reports
from kesher.demo.rollout import create_rollout
from kesher.demo.sales import create_sales
from kesher.demo.service import create_service
from kesher.demo.stock import create_stock
from kesher.demo.story import SALES_REPS, SALES_TEAMS, create_story
from kesher.demo.telephony import create_telephony
from kesher.org.models import Company, Department, Region, Role, User
from kesher.org.services import (
    department_create,
    department_update,
    role_create,
    role_grants,
    role_set_grants,
    user_create,
)
from kesher.platform.models import Choice, Tag
from kesher.platform.records.services import record_create

__all__ = [
    "DEFAULT_SEED",
    "DEFAULT_SIZE",
    "DemoSummary",
    "database_has_records",
    "demo_loaded",
    "load_demo",
]

DEFAULT_SEED = 5785
DEFAULT_SIZE = 300

# Plan fields that name a pick-list value, and the list each comes from.
CHOICE_FIELDS = {"industry": "industry", "source": "account_source", "status": "account_status"}


@dataclass(frozen=True)
class DemoSummary:
    accounts: int
    contacts: int
    relationships: int
    users: int
    seconds: float


def demo_loaded() -> bool:
    """Whether the demo was loaded: its administrator is created in the same transaction as
    everything else, so it exists only after a complete load."""
    return User.objects.filter(username=DEMO_ADMIN).exists()


def database_has_records() -> bool:
    """Whether people already work in this database (then the demo must not be mixed in)."""
    return User.objects.exists() or Account.objects.exists()


def load_demo(
    *, seed: int = DEFAULT_SEED, size: int = DEFAULT_SIZE, now: datetime.datetime | None = None
) -> DemoSummary:
    """Create the demo organization, ``size`` customers drawn from ``seed`` (as of ``now``)
    and the users' working week (as of the day it is loaded: ``story``)."""
    started = time.perf_counter()
    with transaction.atomic():
        plan = build_plan(seed=seed, size=size, now=now or timezone.now())
        users, companies = _create_organization()
        accounts, contacts, relationships = _create_customers(plan, users, companies)
        create_customization(users[DEMO_ADMIN])
        create_story(users)
        create_sales(users, SALES_REPS)
        create_service(users, manager="yael", agents=["alon", "hadas"])
        create_catalogue(users)
        create_quotes(users, SALES_REPS)
        create_document_templates(users[DEMO_ADMIN])
        create_billing(users)
        create_stock(users, technicians=["alon", "hadas"])
        create_field_day(users, technician="alon", dispatcher="yael")
        create_purchasing(users, buyer="ronit")
        create_portal(users, rep=SALES_REPS[0])
        create_marketing(users)
        create_projects(users)
        create_objects(users, DEMO_ADMIN)
        create_reports(users, sales_manager="moshe", service_manager="yael")
        create_telephony(users[DEMO_ADMIN], SALES_REPS)
        create_collab(users, SALES_TEAMS)
        create_rollout(
            users,
            admin=DEMO_ADMIN,
            lead="ronit",
            advanced="moshe",
            trained="omer",
            practising="noa",
        )
    # The story's changes reached the automation rules on commit; their runs are done now
    # rather than by the worker later, so the first page shows what the rules did.
    process_due()
    return DemoSummary(
        accounts=len(accounts),
        contacts=len(contacts),
        relationships=len(relationships),
        users=len(users),
        seconds=time.perf_counter() - started,
    )


def _create_organization() -> tuple[dict[str, User], dict[str, Company]]:
    """Companies, the department tree, the users (REQ OR-1, OR-3, OR-4)."""
    companies = {
        c.key: record_create(
            "companies",
            actor=None,
            data={
                "name": c.name,
                "company_number": c.company_number,
                "phone": c.phone,
                "email": c.email,
                "address": c.address,
            },
        )
        for c in COMPANIES
    }
    departments: dict[str, Department] = {}
    for d in DEPARTMENTS:
        departments[d.key] = department_create(
            actor=None, data={"name": d.name, "parent": departments.get(d.parent)}
        )
    _create_service_manager_role()
    roles = Role.objects.in_bulk(field_name="key")
    users = {}
    for u in USERS:
        users[u.username] = user_create(
            actor=None,
            data={
                "username": u.username,
                "first_name": u.first_name,
                "last_name": u.last_name,
                "email": u.email,
                "phone": u.phone,
                "title": u.title,
                "department": departments[u.department],
                "role": roles[u.role],
                "language": u.language,
                "is_active": u.is_active,
                "is_superuser": u.is_superuser,
                "is_staff": u.is_superuser,
            },
            m2m={"companies": [companies[key] for key in u.companies]},
        )
    _set_demo_password([users[u.username] for u in USERS if u.is_active])
    for d in DEPARTMENTS:
        department_update(departments[d.key], actor=None, data={"manager": users[d.manager]})
    return users, companies


def _create_service_manager_role() -> None:
    """A manager's rights, over every customer and every task and interaction."""
    key, name_he, name_en = SERVICE_MANAGER
    role = role_create(actor=None, data={"key": key, "name_he": name_he, "name_en": name_en})
    grants = role_grants(Role.objects.get(key="manager"))
    for entity in ("accounts", "contacts", "relationships", "interactions", "tasks", "tickets"):
        grants[entity]["scope"] = "all"
    for entity in ("service-teams", "sla-policies"):
        grants[entity].update(add=True, change=True, delete=True)
    grants["accounts"].update(add=False, delete=False)
    role_set_grants(role, actor=None, grants=grants)


def _set_demo_password(users: list[User]) -> None:
    """Give the active demo users the demo password (the one who left cannot sign in).

    They share one public password, so it is hashed once: Argon2 takes a third of a second
    per hash, which for every user would double the demo's loading time.
    """
    hashed = make_password(DEMO_PASSWORD)
    User.objects.filter(pk__in=[u.pk for u in users]).update(password=hashed)
    for user in users:
        user.password = hashed


def _tags() -> dict[str, Tag]:
    # Tags are free labels with no service of their own yet; creating a missing one is the
    # only write here that does not go through a record service.
    return {name: Tag.objects.get_or_create(name=name)[0] for name in names.TAGS}


def _choices() -> dict[tuple[str, str], Choice]:
    lists = [*CHOICE_FIELDS.values(), "relationship_type"]
    return {(c.list_key, c.value): c for c in Choice.objects.filter(list_key__in=lists)}


def _resolve(data: dict, users: dict[str, User], choices: dict) -> dict:
    resolved = dict(data)
    for name, list_key in CHOICE_FIELDS.items():
        if resolved.get(name):
            resolved[name] = choices[(list_key, resolved[name])]
    resolved["owner"] = users[resolved["owner"]]
    return resolved


def _create_customers(plan: DemoPlan, users: dict[str, User], companies: dict[str, Company]):
    """Accounts in their city's district (REQ SA-12), contacts with their account links,
    relationships (REQ CU-1, CU-2, CU-5)."""
    choices = _choices()
    tags = _tags()
    regions = {r.name_en: r for r in Region.objects.all()}
    accounts = bulk_record_create(
        "accounts",
        [
            (
                {
                    **_resolve(a.data, users, choices),
                    "region": regions.get(names.DISTRICTS.get(a.data.get("city", ""), "")),
                },
                {
                    "companies": [companies[key] for key in a.companies],
                    "tags": [tags[name] for name in a.tags],
                },
            )
            for a in plan.accounts
        ],
    )
    contacts = bulk_record_create(
        "contacts",
        [
            (_resolve(c.data, users, choices), {"tags": [tags[n] for n in c.tags]})
            for c in plan.contacts
        ],
    )
    bulk_link_contacts(
        [
            (contact, accounts[index], role, primary)
            for contact, c in zip(contacts, plan.contacts, strict=True)
            for index, role, primary in c.links
        ]
    )
    records = {"account": accounts, "contact": contacts}
    relationships = bulk_record_create(
        "relationships",
        [
            (
                {
                    "type": choices[("relationship_type", r.type)],
                    f"from_{r.source[0]}": records[r.source[0]][r.source[1]],
                    f"to_{r.target[0]}": records[r.target[0]][r.target[1]],
                    "owner": users[r.owner],
                    "notes": r.notes,
                },
                {},
            )
            for r in plan.relationships
        ],
    )
    return accounts, contacts, relationships
