"""The demo's working week: what every demo user did lately and has to do (issue 14 item 7).

Each user, in every role, has calls, emails and meetings logged with customers, open tasks due
today, this week and already overdue, a task a colleague handed over (on that colleague's
customer: the assignee completes it though the record is outside his scope), meetings this
week and next with colleagues and the customer's people, and unread notifications: tasks
handed over, meeting invitations, tasks done, approvals waiting and decided. An automation
rule (a quote sent is followed up three days later) has run on a few customers.

Dates are relative to the day the demo is loaded, at fixed hours, so the demo looks alive
whenever it is loaded and the same day gives the same data. Every write goes through the
apps' services (``interaction_create``, ``task_create``, ``task_complete``,
``approval_start``, ``approval_decide``, ``rule_create`` …), as a person's would, with that
person as the actor, so the audit, the notifications and the rules see them as real work.

The words are in ``story_text``; this module decides who does what, to which customer, when.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from kesher.activities.models import Notification, TaskTemplate
from kesher.activities.services import (
    interaction_create,
    notification_mark_read,
    task_complete,
    task_create,
)
from kesher.activities.task_templates import task_template_create
from kesher.approvals.models import ApprovalProcess
from kesher.approvals.services import approval_decide, approval_process_create, approval_start
from kesher.automation.services import rule_create
from kesher.customers.models import Account, ContactAccount
from kesher.demo import story_text as text
from kesher.demo.plan import ISRAEL
from kesher.org.models import User
from kesher.platform.models import Choice

__all__ = ["Clock", "create_story"]

WEEKEND = (4, 5)  # Friday and Saturday
SALES_TEAMS = {"samer": ("omer", "noa"), "michal": ("itay", "shira", "david")}
SERVICE_TEAM = ("alon", "hadas")
SALES_REPS = [rep for team in SALES_TEAMS.values() for rep in team]
SCENES_EACH = 5  # interactions each person logged lately


@dataclass(frozen=True)
class Clock:
    """Moments relative to the day the demo is loaded, on working days (Sunday–Thursday)."""

    today: datetime.date

    @classmethod
    def of(cls, now: datetime.datetime) -> Clock:
        return cls(now.astimezone(ISRAEL).date())

    def working_day(self, offset: int) -> datetime.date:
        """``offset`` working days from today (0: today itself, even at the weekend)."""
        day, step = self.today, (1 if offset > 0 else -1)
        for _ in range(abs(offset)):
            day += datetime.timedelta(days=step)
            while day.weekday() in WEEKEND:
                day += datetime.timedelta(days=step)
        return day

    def at(self, offset: int, hour: int, minute: int = 0) -> datetime.datetime:
        day = self.working_day(offset)
        return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=ISRAEL)

    def next_week(self, weekday: int, hour: int, minute: int = 0) -> datetime.datetime:
        """Next week's ``weekday`` (Monday 0 … Sunday 6; the Israeli week starts on Sunday)."""
        sunday = self.today + datetime.timedelta(days=(6 - self.today.weekday()) % 7 or 7)
        day = sunday + datetime.timedelta(days=(weekday + 1) % 7)
        return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=ISRAEL)


class _Story:
    def __init__(self, users: dict[str, User], now: datetime.datetime):
        self.users = users
        self.clock = Clock.of(now)
        self.choices = {
            (c.list_key, c.value): c
            for c in Choice.objects.filter(
                list_key__in=[
                    "interaction_kind",
                    "interaction_outcome",
                    "task_type",
                    "task_priority",
                ]
            )
        }
        self.taken: set[int] = set()
        self.contact_of = self._contacts()

    # --- who and what --------------------------------------------------------------------

    @staticmethod
    def _contacts() -> dict[int, object]:
        """Each organization's first contact, the primary one first."""
        links = (
            ContactAccount.objects.select_related("contact")
            .filter(account__kind="organization")
            .order_by("account_id", "-is_primary", "pk")
        )
        first: dict[int, object] = {}
        for link in links:
            first.setdefault(link.account_id, link.contact)
        return first

    def accounts(self, username: str, count: int) -> list[Account | None]:
        """``count`` organizations with a contact that ``username`` may see, his own first,
        each used once in the story so every customer's history reads as one. A small demo
        may run out: then customers repeat, and with none at all the work is about none."""
        visible = (
            Account.objects.visible_to(self.users[username])
            .filter(kind="organization", pk__in=list(self.contact_of))
            .exclude(status__value="inactive")
            .order_by("pk")
        )
        fresh = visible.exclude(pk__in=self.taken)
        chosen = list(fresh.filter(owner=self.users[username])[:count])
        chosen += fresh.exclude(pk__in=[a.pk for a in chosen])[: count - len(chosen)]
        self.taken.update(a.pk for a in chosen)
        spare = chosen or list(visible[:count]) or [None]
        while len(chosen) < count:
            chosen.append(spare[len(chosen) % len(spare)])
        return chosen

    def words(self, template: str, account: Account | None) -> str:
        contact = self.contact_of.get(account.pk) if account is not None else None
        return template.format(
            account=account.name if account is not None else "",
            contact=f"{contact.first_name} {contact.last_name}" if contact else "",
        )

    # --- writes, through the services ----------------------------------------------------

    def log(self, username: str, scene: text.Scene, account, at, *, users=(), owner=None):
        actor = self.users[username]
        data = {
            "kind": self.choices[("interaction_kind", scene.kind)],
            "direction": scene.direction,
            "outcome": self.choices.get(("interaction_outcome", scene.outcome)),
            "subject": self.words(scene.subject, account)[:200],
            "body": self.words(scene.body, account),
            "duration_minutes": scene.minutes or None,
            "occurred_at": at,
            "owner": self.users[owner] if owner else actor,
        }
        if account is not None:
            data.update(link_type="accounts", link_id=account.pk)
        contact = self.contact_of.get(account.pk) if account is not None else None
        m2m = {
            "participant_users": [self.users[u] for u in users],
            "participant_contacts": [contact] if contact and scene.kind == "meeting" else [],
        }
        # Only the lists there are: an empty one still costs the service its queries.
        m2m = {name: people for name, people in m2m.items() if people}
        return interaction_create(actor=actor, data=data, m2m=m2m)

    def task(self, username: str, job: text.Job, account, due, *, assignee=None):
        actor = self.users[username]
        data = {
            "title": self.words(job.title, account)[:200],
            "notes": self.words(job.notes, account),
            "task_type": self.choices.get(("task_type", job.type)),
            "priority": self.choices[("task_priority", job.priority)],
            "due_at": due,
            "assignee": self.users[assignee or username],
        }
        if due > timezone.now() + datetime.timedelta(hours=1):
            data["reminder_at"] = due - datetime.timedelta(hours=1)
        if account is not None:
            data.update(link_type="accounts", link_id=account.pk)
        return task_create(actor=actor, data=data)


def _sales_and_service(story: _Story) -> dict[str, list[Account]]:
    """Everyone's own work: interactions and tasks about their customers (the sales people's
    own, the others' any they may see); returns the customers each one handles."""
    clock = story.clock
    handled: dict[str, list[Account]] = {}
    people = [
        *[(rep, text.SALES_SCENES, text.SALES_JOBS) for rep in SALES_REPS],
        *[(manager, text.SALES_SCENES, text.SALES_JOBS) for manager in SALES_TEAMS],
        ("moshe", text.SALES_SCENES[:3], text.MANAGER_JOBS),
        *[(agent, text.SERVICE_SCENES, text.SERVICE_JOBS) for agent in ("yael", *SERVICE_TEAM)],
        ("ronit", text.CEO_SCENES, text.CEO_JOBS),
        ("admin", text.ADMIN_SCENES, text.ADMIN_JOBS),
    ]  # fmt: skip
    for index, (username, pool, jobs) in enumerate(people):
        if username == "david":
            pool, jobs = text.ENGLISH_SCENES, text.ENGLISH_JOBS
        # Each person takes his own turn through the pool, at his own minutes past the hour.
        count = min(len(pool), SCENES_EACH)
        scenes = [pool[(index + n) % len(pool)] for n in range(count)]
        late = datetime.timedelta(minutes=(index * 7) % 30)
        accounts = story.accounts(username, count)
        handled[username] = accounts
        manager = _manager_of(username)
        for scene, account in zip(scenes, accounts, strict=True):
            joined = (manager,) if scene.kind == "meeting" and manager else ()
            at = clock.at(-scene.days_ago, *scene.time) + late
            story.log(username, scene, account, at, users=joined)
        for job, account in zip(jobs, accounts, strict=False):
            story.task(username, job, account, clock.at(job.due_in, *job.time) + late)
    return handled


def _manager_of(username: str) -> str | None:
    for manager, reps in SALES_TEAMS.items():
        if username in reps:
            return manager
    return {"samer": "moshe", "michal": "moshe", "alon": "yael", "hadas": "yael"}.get(username)


def _handed_over(story: _Story, handled: dict[str, list[Account]]) -> None:
    """Tasks a colleague handed over, on a colleague's customer; some already done, so their
    delegator was told (REQ TK-3)."""
    clock = story.clock
    for hand in text.HANDOVERS:
        account = handled[hand.about][hand.which] if hand.about else None
        due = clock.at(hand.job.due_in, *hand.job.time)
        task = story.task(hand.by, hand.job, account, due, assignee=hand.to)
        if hand.done:
            task_complete(task, actor=story.users[hand.to])


def _meetings(story: _Story, handled: dict[str, list[Account]]) -> None:
    """Meetings this week and next, booked by their owner or for him by a colleague; those
    invited are notified (REQ SA-13)."""
    clock = story.clock
    for meeting in text.MEETINGS:
        account = handled[meeting.about][meeting.which] if meeting.about else None
        at = (
            clock.next_week(meeting.weekday, *meeting.scene.time)
            if meeting.next_week
            else clock.at(meeting.in_days, *meeting.scene.time)
        )
        story.log(
            meeting.booked_by,
            meeting.scene,
            account,
            at,
            users=meeting.with_users,
            owner=meeting.owner,
        )
    for meeting in text.PAST_MEETINGS:
        story.log(
            meeting.booked_by,
            meeting.scene,
            None,
            clock.at(-meeting.scene.days_ago, *meeting.scene.time),
            users=meeting.with_users,
        )


def _approvals(story: _Story, handled: dict[str, list[Account]], admin: User) -> None:
    """Approval rounds: waiting for the sales managers, the VP and the CEO, and decided ones
    the requesters were told of (REQ AU-3)."""
    users = story.users
    discount = approval_process_create(
        actor=admin,
        data={
            "name_he": "הנחה חריגה",
            "name_en": "Exceptional discount",
            "entity": "accounts",
            "mode": ApprovalProcess.Mode.ORDERED,
            "steps": [{"approver": "manager"}],
            "description": "הנחה של יותר מ-15% ממחירון השירות דורשת אישור של המנהל הישיר.",
        },
    )
    framework = approval_process_create(
        actor=admin,
        data={
            "name_he": "הסכם מסגרת שנתי",
            "name_en": "Annual framework agreement",
            "entity": "accounts",
            "mode": ApprovalProcess.Mode.ORDERED,
            "steps": [
                {"approver": "user", "user": users["moshe"].pk},
                {"approver": "user", "user": users["ronit"].pk},
            ],
            "description": "הסכם מסגרת לשנה מאושר בידי סמנכ״ל המכירות ואחריו בידי המנכ״לית.",
        },
    )
    processes = {"discount": discount, "framework": framework}
    asked: set[int] = set()
    for round_ in text.APPROVALS:
        account = handled[round_.requester][round_.which]
        if account is None or account.pk in asked:
            continue  # a small demo: no customer, or this one is already waiting
        asked.add(account.pk)
        request = approval_start(
            process_id=processes[round_.process].pk,
            record=account,
            actor=users[round_.requester],
            source="",
        )
        for decider, decision, comment in round_.decisions:
            request = approval_decide(
                request, actor=users[decider], decision=decision, comment=comment
            )


def _automation(story: _Story, handled: dict[str, list[Account]], admin: User) -> None:
    """A rule that follows up every quote sent: when a "send a quote" task about a customer is
    done, its owner gets a follow-up task. The reps sent quotes this week, so the rule has run
    on their customers; the runs follow once the load commits (REQ TK-5, TK-6, AU-1)."""
    template = task_template_create(
        actor=admin,
        data={
            "name": "מעקב אחרי הצעת מחיר",
            "title": "מעקב אחרי הצעת המחיר ל{{name}}",
            "notes": "לוודא שההצעה התקבלה ולשאול אם יש שאלות על התנאים.",
            "task_type": story.choices[("task_type", "follow_up")],
            "priority": story.choices[("task_priority", "normal")],
            "due_offset": 3,
            "due_unit": "days",
            "due_business": True,
            "assignee_rule": TaskTemplate.AssigneeRule.OWNER,
        },
    )
    rule_create(
        actor=admin,
        data={
            "name": "הצעת מחיר נשלחה: מעקב בעוד שלושה ימים",
            "entity": "accounts",
            "trigger_kind": "task_completed",
            "trigger_config": {"task_type": "send_quote"},
            "actions": [{"type": "create_task", "template": template.pk}],
        },
    )
    clock = story.clock
    for username, which in text.QUOTES_SENT:
        account = handled[username][which]
        due = clock.at(-1, 12, 0)
        task = story.task(username, text.QUOTE_SENT, account, due)
        task_complete(task, actor=story.users[username])


def create_story(users: dict[str, User], *, now: datetime.datetime | None = None) -> None:
    """Write the demo's working week for ``users`` (the demo organization's, by username)."""
    # Read again: the departments got their managers after the users were made.
    users = {u.username: u for u in User.objects.filter(pk__in=[u.pk for u in users.values()])}
    admin = users["admin"]
    story = _Story(users, now or timezone.now())
    handled = _sales_and_service(story)
    _handed_over(story, handled)
    _meetings(story, handled)
    _automation(story, handled, admin)
    _approvals(story, handled, admin)
    _read_the_oldest(users)


def _read_the_oldest(users: dict[str, User]) -> None:
    """Who has more than two notifications has read the first: the centre shows both kinds."""
    for user in users.values():
        mine = list(Notification.objects.filter(user=user).order_by("created_at", "pk")[:3])
        if len(mine) == 3:
            notification_mark_read(mine[0], actor=user)
