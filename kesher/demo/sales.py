"""The demo's sales (issue 15): each sales rep's deals on the default pipeline's board, a few
of them stuck, with competitors met on them; his leads, one of them already converted, in his
team's region; each team's regions; targets for this quarter and month for every rep, his
team and the company; and a shared "stuck deals" view. Amounts, stages and dates are fixed per
rep, relative to the day the demo is loaded, so the board, the forecast, the stuck flags and
the targets' attainment look alive whenever it is loaded.

Every record goes through the sales services (``lead_create``, ``lead_convert``,
``opportunity_create``) with the rep as the actor. Only a deal's time in its stage is moved
back afterwards (a demo deal did not enter its stage the second the demo was loaded).
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from kesher.customers.models import Account
from kesher.org.models import Region, User
from kesher.platform.lists.savedviews import saved_view_create
from kesher.platform.models import Choice
from kesher.platform.records.services import record_create, record_update
from kesher.sales.models import Opportunity, SalesTarget, Stage
from kesher.sales.services import lead_convert, lead_create, opportunity_create, stuck_moment

__all__ = ["create_sales"]

COMPETITORS = [
    ("סייבר-טק פתרונות", "https://cybertech.example", "מחיר נמוך", "תמיכה בעברית חלשה"),
    ("דאטה-פלוס", "https://dataplus.example", "מוכרים בשוק הבנקאות", "הטמעה ארוכה"),
    ("קלאוד-ישראל", "https://cloud-il.example", "ענן מקומי", "אין ממשק למרכזיה"),
]

# name, stage key, amount, days in the stage, expected close in (days), competitor index
DEALS = [
    ("רישוי שנתי ל-25 משתמשים", "potential", 36_000, 2, 60, None),
    ("הטמעת מודול שירות", "proposal", 48_500, 9, 25, 0),
    ("הרחבת מערכת לסניף חיפה", "proposal", 22_000, 2, 40, None),
    ("חבילת SMS שיווקית", "order", 9_800, 6, 10, 1),
    ("פרויקט אינטגרציה למרכזיה", "won", 64_000, 12, -5, 2),
    ("שדרוג שרתים", "lost", 18_000, 20, -20, 0),
]

LEADS = [  # first name, last name, company, source, secondary source, interest, e-mail name
    ("רונית", "שחר", "מאפיית השחר", "word_ad", "google", "מערכת לניהול הזמנות", "ronit"),
    ("עמית", "ברק", "ברק הנדסה", "referral", "customer", "CRM ל-10 משתמשים", "amit"),
    ("ליאת", "גולן", "", "video_ad", "youtube", "מתעניינת בהדגמה", "liat"),
]


LISTS = ["lead_source", "lead_source_detail", "lost_reason", "opportunity_priority"]


# Each sales team's regions (by the seeded regions' English names), keyed by its manager.
TEAM_REGIONS = {"samer": ("North", "Haifa"), "michal": ("Center", "Tel Aviv")}


def create_sales(users: dict[str, User], reps: list[str]) -> None:
    """Competitors, each rep's deals and leads, the teams' regions and targets, and the shared
    view of stuck deals."""
    admin = users["admin"]
    regions = {r.name_en: r for r in Region.objects.all()}
    rep_region = {}
    for manager, team in _teams(users, reps).items():
        covered = [regions[name] for name in TEAM_REGIONS[manager]]
        for username in (manager, *team):
            record_update(users[username], actor=admin, data={}, m2m={"regions": covered})
            rep_region[username] = covered[0]
    competitors = [
        record_create(
            "rivals",
            actor=admin,
            data={"name": name, "website": site, "strengths": strong, "weaknesses": weak},
        )
        for name, site, strong, weak in COMPETITORS
    ]
    stages = {s.key: s for s in Stage.objects.filter(pipeline__order=1)}
    choices = {
        (c.list_key, c.value): c
        for c in Choice.objects.filter(
            list_key__in=[
                "lead_source",
                "lead_source_detail",
                "lost_reason",
                "opportunity_priority",
                "account_rating",
            ]
        )
    }
    now = timezone.now()
    for index, username in enumerate(reps):
        rep = users[username]
        accounts = list(Account.objects.filter(owner=rep).order_by("pk")[: len(DEALS)])
        # The customers with deals rated A, B and C in turn: the reps' lists order by it. Set
        # as seed data (some of these accounts wait for an approval, which locks their edits).
        for number, account in enumerate(accounts):
            rating = choices[("account_rating", "abc"[number % 3])]
            Account.objects.filter(pk=account.pk).update(rating=rating)
        for number, (name, key, amount, days, close_in, rival) in enumerate(DEALS):
            data = {
                "name": name,
                "account": accounts[number % len(accounts)] if accounts else None,
                "stage": stages[key],
                "amount": amount + 1_000 * index,
                "expected_close_date": (now + datetime.timedelta(days=close_in)).date(),
                "owner": rep,
                "priority": choices[("opportunity_priority", "abc"[number % 3])],
                "source": choices[("lead_source", ("word_ad", "referral", "video_ad")[number % 3])],
            }
            if key == "lost":
                data["lost_reason"] = choices[("lost_reason", "competitor")]
            m2m = {"competitors": [competitors[rival]]} if rival is not None else None
            deal = opportunity_create(actor=rep, data=data, m2m=m2m)
            entered = now - datetime.timedelta(days=days)
            Opportunity.objects.filter(pk=deal.pk).update(
                stage_entered_at=entered, stuck_at=stuck_moment(stages[key], entered)
            )
        for number, (first, last, company, source, detail, interest, mail) in enumerate(LEADS):
            lead = lead_create(
                actor=rep,
                data={
                    "first_name": first,
                    "last_name": last,
                    "company_name": company,
                    "email": f"{mail}.{index}@leads.example",
                    "source": choices[("lead_source", source)],
                    "source_detail": choices[("lead_source_detail", detail)],
                    "interest": interest,
                    "owner": rep,
                    "region": rep_region.get(username),
                },
            )
            if number == 1 and accounts:
                # Into a contact and a deal at one of the rep's accounts (the demo's customers
                # are as many as asked for).
                lead_convert(
                    lead,
                    actor=rep,
                    account=accounts[-1],
                    opportunity={"amount": 15_000 + 500 * index},
                )
    _create_targets(users, reps, admin)
    _create_assignment_rules(users, reps, admin)
    saved_view_create(
        actor=admin,
        data={
            "entity": "opportunities",
            "name": "עסקאות תקועות",
            "shared": True,
            "filter": {"all": [{"field": "stuck_at", "op": "within_last_days", "value": 3650}]},
            "columns": ["name", "account", "stage", "amount", "stuck_at", "owner"],
            "sort": "stuck_at",
        },
    )


def _create_assignment_rules(users: dict[str, User], reps: list[str], admin: User) -> None:
    """Website leads go round the reps of the lead's region; the rest to the first team's
    manager, who hands them out (REQ SA-1)."""
    website = Choice.objects.get(list_key="lead_source", value="website")
    record_create(
        "lead-rules",
        actor=admin,
        data={
            "name_he": "לידים מהאתר — לאנשי המכירות של האזור",
            "name_en": "Website leads — to the region's reps",
            "order": 10,
            "source": website,
            "method": "round_robin",
            "by_region": True,
        },
        m2m={"members": [users[username] for username in reps]},
    )
    record_create(
        "lead-rules",
        actor=admin,
        data={
            "name_he": "כל השאר — למנהל המכירות",
            "name_en": "Everything else — to the sales manager",
            "order": 20,
            "method": "user",
            "user": users[next(iter(TEAM_REGIONS))],
        },
    )


def _teams(users: dict[str, User], reps: list[str]) -> dict[str, list[str]]:
    """The sales managers of TEAM_REGIONS, each with the reps of his department."""
    return {
        manager: [r for r in reps if users[r].department_id == users[manager].department_id]
        for manager in TEAM_REGIONS
    }


def _create_targets(users: dict[str, User], reps: list[str], admin: User) -> None:
    """This quarter's amount and this month's number of deals for every rep, this quarter's
    amount for each team, and this year's for the company (REQ SA-7, SA-14)."""
    today = timezone.localdate()
    quarter = SalesTarget.Period.QUARTER
    for index, username in enumerate(reps):
        for data in (
            {"period": quarter, "amount": 120_000 + 10_000 * index},
            {"period": SalesTarget.Period.MONTH, "count": 3},
        ):
            record_create(
                "sales-targets",
                actor=admin,
                data={"starts_on": today, "level": "person", "user": users[username], **data},
            )
    for manager in TEAM_REGIONS:
        record_create(
            "sales-targets",
            actor=admin,
            data={
                "period": quarter,
                "starts_on": today,
                "level": "department",
                "department": users[manager].department,
                "amount": 300_000,
            },
        )
    record_create(
        "sales-targets",
        actor=admin,
        data={"period": "year", "starts_on": today, "level": "company", "amount": 2_000_000},
    )
