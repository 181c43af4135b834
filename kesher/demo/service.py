"""The demo's service desk (issue 18): the support team and its round-robin queue, tickets of
seed 001's types in every status — one answered and waiting for the customer, one resolved, one
whose first response is near its target and one past it — and the shared "my tickets", the
team's and "unassigned" views sorted by SLA due time; the support mailbox with canned replies,
a customer's e-mailed ticket with its thread (her message, the agent's canned answer, her reply)
and her duplicate message merged into it, the knowledge-base article that solved it
(decision 0072).

Every ticket goes through the service's services with an agent as the actor; a ticket's
clocks start when the customer called (``opened_at``), business hours before the demo was
loaded, so the clocks look alive whenever it is loaded.
"""

from __future__ import annotations

import datetime
from email.message import EmailMessage

from django.utils import timezone

from kesher.activities.services import calendar_of
from kesher.automation.schedule import subtract_business_time
from kesher.customers.models import Account, Contact
from kesher.org.models import User
from kesher.platform.lists.savedviews import saved_view_create
from kesher.platform.models import Choice
from kesher.platform.records.services import record_create
from kesher.service.mail import email_receive
from kesher.service.models import Mailbox, Team
from kesher.service.services import (
    article_create,
    canned_reply_create,
    canned_reply_text,
    ticket_create,
    ticket_merge,
    ticket_record_response,
    ticket_reply,
    ticket_solved_by,
    ticket_update,
)

__all__ = ["create_service"]

# subject, type, subtype, level 2, priority (None: the type's), channel, status, business hours
# ago, answered, resolution
TICKETS = [
    (
        "המדפסת במשרד הראשי לא מדפיסה חשבוניות",
        "technical_support",
        "system_repair",
        "network",
        None,
        "phone",
        "new",
        3.0,
        False,
        "",
    ),
    (
        "התקנת התוכנה נכשלה במחשב החדש",
        "technical_support",
        "software_install",
        "windows",
        "urgent",
        "email",
        "new",
        0.85,
        False,
        "",
    ),
    (
        "בקשה למחירון מעודכן לשנת 2027",
        "marketing_info",
        "price_list",
        None,
        None,
        "web_form",
        "waiting_customer",
        5.0,
        True,
        "",
    ),
    (
        "הרשמה לקורס משתמשים מתקדמים",
        "training_info",
        "course",
        None,
        None,
        "portal",
        "resolved",
        12.0,
        True,
        "נרשמו שני משתתפים למחזור של ינואר.",
    ),
    (
        "חיבור מחשב נייד לרשת המשרד",
        "technical_support",
        "computer_connection",
        None,
        "medium",
        "sms_whatsapp",
        "in_progress",
        1.5,
        True,
        "",
    ),
]

LISTS = [
    "ticket_type",
    "ticket_subtype",
    "ticket_subtype2",
    "ticket_priority",
    "ticket_channel",
    "ticket_status",
]
RESOLVED = ["resolved", "closed"]
COLUMNS = ["number", "subject", "account", "priority", "status", "handler", "sla_due_at"]


SUPPORT = "support@kesher-demo.example"
CANNED = [
    (
        "קיבלנו את פנייתך",
        "שלום {{ contact.first_name }},\n\nקיבלנו את פנייתך ({{ number }}) ואנחנו כבר בודקים. "
        "נעדכן אותך בהקדם.\n\nצוות התמיכה",
        "Hello {{ contact.first_name }},\n\nWe received your request ({{ number }}) and are "
        "looking into it. We will update you soon.\n\nThe support team",
    ),
    (
        "נא לשלוח צילום מסך",
        "שלום {{ contact.first_name }},\n\nכדי שנוכל לבדוק, נשמח לצילום מסך של הודעת השגיאה "
        "ולשעה שבה הופיעה.\n\nתודה!",
        "Hello {{ contact.first_name }},\n\nTo look into it, please send us a screenshot of the "
        "error message and the time it appeared.\n\nThank you!",
    ),
    (
        "הפנייה טופלה",
        "שלום {{ contact.first_name }},\n\nהפנייה {{ number }} טופלה. אם משהו עדיין לא עובד, "
        "פשוט השיבו למייל הזה.",
        "Hello {{ contact.first_name }},\n\nTicket {{ number }} is resolved. If anything still "
        "does not work, just reply to this e-mail.",
    ),
]


def _mail(sender: str, subject: str, body: str, message_id: str, in_reply_to: str = "") -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = SUPPORT
    message["Subject"] = subject
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message.set_content(body)
    return message.as_bytes()


# category (Hebrew, English), title (Hebrew, English), ticket type, audience, body (Hebrew)
ARTICLES = [
    (
        ("דוחות", "Reports"),
        ("הדוח החודשי נתקע בעת ההפקה", "The monthly report hangs while it is produced"),
        "technical_support",
        "public",
        "<p>כשהדוח החודשי נתקע:</p><ol><li>סגרו את הדוח ופתחו אותו שוב.</li>"
        "<li>צמצמו את טווח התאריכים לחודש אחד.</li><li>אם השגיאה חוזרת, צרפו צילום מסך "
        "ל<b>פנייה</b>.</li></ol>",
    ),
    (
        ("מדפסות", "Printers"),
        ("המדפסת לא מדפיסה חשבוניות", "The printer does not print invoices"),
        "technical_support",
        "internal",
        "<p>בודקים שמנהל ההתקן עודכן, ומתקינים אותו מחדש מ<b>לוח הבקרה</b> אם לא.</p>",
    ),
    (
        ("הדרכה", "Training"),
        ("הרשמה לקורס משתמשים", "Signing up for a users' course"),
        "training_info",
        "public",
        "<p>המחזורים נפתחים בכל חודש; ההרשמה בטופס באתר או בפנייה.</p>",
    ),
]


def _create_knowledge_base(admin: User) -> list:
    categories: dict = {}
    articles = []
    for (he, en), (title_he, title_en), kind, audience, body in ARTICLES:
        if he not in categories:
            categories[he] = record_create(
                "kb-categories", actor=admin, data={"name_he": he, "name_en": en}
            )
        articles.append(
            article_create(
                actor=admin,
                data={
                    "title_he": title_he,
                    "title_en": title_en,
                    "category": categories[he],
                    "status": "published",
                    "audience": audience,
                    "ticket_type": Choice.objects.get(list_key="ticket_type", value=kind),
                    "body_he": body,
                },
            )
        )
    return articles


def _create_email_desk(users: dict[str, User], team: Team, agent: User) -> None:
    """The support mailbox, canned replies and an e-mailed ticket with its thread."""
    admin = users["admin"]
    record_create(
        "service-mailboxes",
        actor=admin,
        data={"address": SUPPORT, "name": "תמיכה — קשר דמו", "team": team},
    )
    replies = [
        canned_reply_create(actor=admin, data={"name": name, "body_he": he, "body_en": en})
        for name, he, en in CANNED
    ]
    articles = _create_knowledge_base(admin)
    contact = Contact.objects.exclude(email="").order_by("pk").first()
    if contact is None:
        return
    sender = f"{contact} <{contact.email}>"
    first = email_receive(
        _mail(
            sender,
            "הדוח החודשי קורס בעת ההפקה",
            "שלום,\nמאז הבוקר כל ניסיון להפיק את הדוח החודשי נתקע ומציג שגיאה.\nתודה",
            "<report-1@customer.example>",
        ),
        mailbox=Mailbox.objects.get(address=SUPPORT),
    ).ticket
    if first is None:
        return
    sent = ticket_reply(
        first,
        actor=agent,
        body=canned_reply_text(replies[1], first, language="he", reader=agent),
        idempotency_key="demo-reply-1",
    )
    email_receive(
        _mail(
            sender,
            f"Re: {sent.subject}",
            "מצרפת צילום מסך — השגיאה הופיעה ב-9:40.",
            "<report-2@customer.example>",
            in_reply_to=sent.message_id,
        )
    )
    # The same problem sent again as a new message: a duplicate, merged into the first.
    duplicate = email_receive(
        _mail(
            sender,
            "שוב: הדוח לא עולה",
            "עדיין לא מצליחה להפיק את הדוח.",
            "<report-3@customer.example>",
        )
    ).ticket
    if duplicate is not None and duplicate.pk != first.pk:
        ticket_merge(duplicate, into=first, actor=agent)
    ticket_solved_by(first, actor=agent, article=articles[0])


def create_service(users: dict[str, User], *, manager: str, agents: list[str]) -> None:
    """The support team, its tickets and the shared queue views."""
    admin = users["admin"]
    team = record_create(
        "service-teams",
        actor=admin,
        data={
            "name_he": "תמיכה טכנית",
            "name_en": "Technical support",
            "assignment": Team.Assignment.ROUND_ROBIN,
        },
        m2m={"members": [users[name] for name in agents]},
    )
    # A resolved or closed ticket says how it was resolved (REQ SV-4: the administrator's rule).
    record_create(
        "field-rules",
        actor=admin,
        data={"entity": "tickets", "field": "resolution", "required_statuses": RESOLVED},
    )
    choices = {(c.list_key, c.value): c for c in Choice.objects.filter(list_key__in=LISTS)}
    # Who handles which type of ticket (decision 0094): read by a team assigning by skill.
    for name_he, name_en, kind, holders in (
        ("תמיכה טכנית", "Technical support", "technical_support", agents),
        ("הדרכת לקוחות", "Customer training", "training_info", agents[-1:]),
    ):
        record_create(
            "service-skills",
            actor=admin,
            data={
                "name_he": name_he,
                "name_en": name_en,
                "ticket_type": choices[("ticket_type", kind)],
            },
            m2m={"agents": [users[name] for name in holders]},
        )
    accounts = list(Account.objects.order_by("pk")[: len(TICKETS)])
    week = calendar_of()
    now = timezone.now()
    for number, row in enumerate(TICKETS):
        subject, kind, subtype, level2, priority, channel, status, hours_ago, answered, done = row
        account = accounts[number % len(accounts)] if accounts else None
        contact = account.contacts.order_by("pk").first() if account else None
        agent = users[agents[number % len(agents)]]
        data = {
            "subject": subject,
            "account": account,
            "contact": contact,
            "channel": choices[("ticket_channel", channel)],
            "ticket_type": choices[("ticket_type", kind)],
            "subtype": choices[("ticket_subtype", subtype)],
            "subtype2": choices[("ticket_subtype2", level2)] if level2 else None,
            "priority": choices[("ticket_priority", priority)] if priority else None,
            "owner": users[manager],
            # The first two wait in the queue; the others were taken by the team's turn.
            "team": team if number >= 2 else None,
        }
        opened = subtract_business_time(now, hours_ago, week)
        ticket = ticket_create(actor=agent, data=data, opened_at=opened)
        if answered:
            ticket_record_response(
                ticket, actor=agent, at=min(opened + datetime.timedelta(minutes=20), now)
            )
        if status != "new":
            ticket.refresh_from_db()
            ticket_update(
                ticket,
                actor=agent,
                data={"status": choices[("ticket_status", status)], "resolution": done},
            )
    views = [
        ("הפניות שלי", {"all": [{"field": "handler", "op": "eq", "value": "me"}]}),
        # The team's queue: the filter language does not follow a team's members to "me".
        ("פניות צוות התמיכה הטכנית", {"all": [{"field": "team", "op": "eq", "value": team.pk}]}),
        ("פניות לא משויכות", {"all": [{"field": "handler", "op": "empty"}]}),
    ]
    for name, condition in views:
        saved_view_create(
            actor=admin,
            data={
                "entity": "tickets",
                "name": name,
                "shared": True,
                "filter": condition,
                "columns": COLUMNS,
                "sort": "sla_due_at",
            },
        )
    _create_email_desk(users, team, users[agents[0]])
