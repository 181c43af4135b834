"""How the access matrix makes tickets (kesher/platform/testing/matrix.py) and the routes of
service's own pages and API: each sales rep's ticket is about his own account."""

from kesher.platform.records.services import record_create
from kesher.platform.testing.matrix import (
    SEARCH_WORD,
    Outcome,
    Verb,
    never_allowed,
    not_allowed,
    owner_of,
    permitted,
    refused,
    register_records,
    register_route,
)
from kesher.service.models import Ticket
from kesher.service.services import ticket_create

register_records(
    "tickets",
    make=lambda world, side: ticket_create(
        actor=owner_of(world, side),
        data={
            "subject": f"{SEARCH_WORD} ticket {side}",
            "account": world.record("accounts", side),
            "owner": owner_of(world, side),
        },
    ),
    values=lambda world, marker, record: {"subject": marker},
    marker_field="subject",
)


def _responded(side):
    def writes(world, principal, marker):
        return Ticket.objects.filter(
            pk=world.record("tickets", side).pk, first_responded_at__isnull=False
        ).exists()

    return writes


for _side in ("rep1", "rep2"):

    def _ticket(world, side=_side):
        return world.record("tickets", side)

    register_route(
        "pages",
        lambda world, side=_side: f"/service/tickets/{world.record('tickets', side).pk}/respond/",
        Verb("POST", permitted("tickets", "change", _ticket), writes=_responded(_side)),
        what=f"{_side}'s ticket answered",
    )
    register_route(
        "api",
        lambda world, side=_side: f"/api/v1/tickets/{world.record('tickets', side).pk}/respond/",
        Verb("POST", permitted("tickets", "change", _ticket), writes=_responded(_side)),
        *(Verb(m, not_allowed()) for m in ("GET", "PUT")),
        api=True,
        what=f"{_side}'s ticket answered",
    )
    register_route(
        "api",
        lambda world, side=_side: f"/api/v1/tickets/{world.record('tickets', side).pk}/clocks/",
        Verb("GET", permitted("tickets", "view", _ticket)),
        *(Verb(m, not_allowed()) for m in ("POST", "PUT")),
        api=True,
        what=f"{_side}'s ticket's SLA clocks",
    )


def _then(gate, outcome):
    """``gate``'s answer; past it, ``outcome`` (a form sent empty: 404 for no article)."""

    def expect(world, principal):
        answer = gate(world, principal)
        return outcome if answer is Outcome.ALLOW else answer

    return expect


def _both(first, second):
    """``first``'s refusal, else ``second``'s (the split page: change the ticket, add one)."""

    def expect(world, principal):
        answer = first(world, principal)
        return answer if answer is not Outcome.ALLOW else second(world, principal)

    return expect


# The service desk's e-mail, merge, split and knowledge-base routes (issue 18, decision 0072):
# reading the forms and what the API offers; their writes are tested in kesher/service/tests.
for _side in ("rep1", "rep2"):

    def _ticket(world, side=_side):
        return world.record("tickets", side)

    _change = permitted("tickets", "change", _ticket)
    for _page in ("reply", "merge"):
        register_route(
            "pages",
            lambda world, side=_side, page=_page: (
                f"/service/tickets/{world.record('tickets', side).pk}/{page}/"
            ),
            Verb("GET", _change),
            what=f"{_side}'s ticket's {_page} form",
        )
    register_route(
        "pages",
        lambda world, side=_side: f"/service/tickets/{world.record('tickets', side).pk}/split/",
        Verb(
            "GET",
            _both(
                _change,
                _then(permitted("tickets", "add"), Outcome.ALLOW),
            ),
        ),
        what=f"{_side}'s ticket's split form",
    )
    register_route(
        "pages",
        lambda world, side=_side: f"/service/tickets/{world.record('tickets', side).pk}/solved-by/",
        Verb("POST", _then(_change, Outcome.NOT_FOUND)),
        *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
        what=f"{_side}'s ticket solved by no article",
    )
    for _action in ("reply", "merge", "split"):
        register_route(
            "api",
            lambda world, side=_side, action=_action: (
                f"/api/v1/tickets/{world.record('tickets', side).pk}/{action}/"
            ),
            # Sent empty: refused with what is missing, once past the rights.
            Verb("POST", _then(_change, Outcome.REFUSED)),
            *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
            api=True,
            what=f"{_side}'s ticket's {_action}",
        )
    # Replies by SMS / WhatsApp (decision 0124): the form and the channels for whoever may
    # see the ticket; a reply sent empty is refused with what is missing, nothing written.
    register_route(
        "pages",
        lambda world, side=_side: (
            f"/service/tickets/{world.record('tickets', side).pk}/text-reply/"
        ),
        Verb("GET", _change),
        Verb("POST", _then(_change, Outcome.ALLOW)),
        what=f"{_side}'s ticket's SMS / WhatsApp reply form",
    )
    register_route(
        "api",
        lambda world, side=_side: f"/api/v1/tickets/{world.record('tickets', side).pk}/text-reply/",
        Verb("GET", permitted("tickets", "view", _ticket)),
        Verb("POST", _then(_change, Outcome.REFUSED)),
        *(Verb(m, not_allowed()) for m in ("PUT", "PATCH", "DELETE")),
        api=True,
        what=f"{_side}'s ticket's SMS / WhatsApp reply",
    )
    register_route(
        "api",
        lambda world, side=_side: (
            f"/api/v1/tickets/{world.record('tickets', side).pk}/canned-replies/"
        ),
        Verb("GET", permitted("tickets", "view", _ticket)),
        *(Verb(m, not_allowed()) for m in ("POST", "PUT")),
        api=True,
        what=f"{_side}'s ticket's canned replies",
    )

register_route("pages", "/service/sla-report/", Verb("GET", permitted("tickets", "view")))
register_route(
    "api",
    "/api/v1/service/sla-report/",
    Verb("GET", permitted("tickets", "view")),
    *(Verb(m, not_allowed()) for m in ("POST", "PUT")),
    api=True,
    what="the SLA report",
)


# "Did this help?" on the portal world's public article (the API refuses an empty answer).
def _public_article(world):
    return world["article public"]


register_route(
    "pages",
    lambda world: f"/service/kb-articles/{world['article public'].pk}/vote/",
    # Sent without an answer: the article's page again with the error, nothing written.
    Verb("POST", permitted("kb-articles", "view", _public_article)),
    *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
    what="an answer to did-this-help",
)
register_route(
    "api",
    lambda world: f"/api/v1/kb-articles/{world['article public'].pk}/votes/",
    Verb("GET", permitted("kb-articles", "view", _public_article)),
    Verb("POST", refused("kb-articles", "view", _public_article)),
    *(Verb(m, not_allowed()) for m in ("PUT", "PATCH", "DELETE")),
    api=True,
    what="an article's did-this-help answers",
)
register_route("pages", "/service/backlog/", Verb("GET", permitted("tickets", "view")))
register_route(
    "api",
    "/api/v1/service/backlog/",
    Verb("GET", permitted("tickets", "view")),
    *(Verb(m, not_allowed()) for m in ("POST", "PUT")),
    api=True,
    what="the backlog by queue and age",
)
# The gateway's webhook signs nobody in: every principal's unsigned request is refused (403)
# and writes nothing (decision 0094).
for _channel in ("sms", "whatsapp"):
    register_route(
        "api",
        f"/api/v1/service/inbound-text/{_channel}/",
        Verb("POST", lambda world, principal: Outcome.FORBIDDEN),
        *(Verb(m, never_allowed) for m in ("GET", "PUT", "PATCH", "DELETE")),
        api=True,
        what=f"the {_channel} gateway's webhook",
    )
register_route(
    "api",
    "/api/v1/service/inbound-email/",
    Verb("POST", _then(permitted("service-mailboxes", "add"), Outcome.REFUSED)),
    *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
    api=True,
    what="the forwarded e-mail endpoint",
)

register_route(
    "pages",
    "/service/tickets/options/subtype/",
    Verb("GET", permitted("tickets", "view")),
)


def _support_type():
    from kesher.platform.models import Choice

    return Choice.objects.get(list_key="ticket_type", value="technical_support")


register_records(
    "service-skills",
    make=lambda world, side: record_create(
        "service-skills",
        actor=world.users["admin"],
        data={"name_he": f"{SEARCH_WORD} skill {side}", "ticket_type": _support_type()},
    ),
    values=lambda world, marker, record: {
        "name_he": marker,
        "ticket_type": _support_type().pk,
    },
    marker_field="name_he",
)

register_records(
    "sla-policies",
    make=lambda world, side: record_create(
        "sla-policies",
        actor=world.users["admin"],
        data={
            "name_he": f"{SEARCH_WORD} policy {side}",
            "order": 50,
            "first_response_hours": "2",
            "resolution_hours": "16",
        },
    ),
    values=lambda world, marker, record: {
        "name_he": marker,
        "first_response_hours": "2.00",
        "resolution_hours": "16.00",
    },
    marker_field="name_he",
)


# Field service (REQ SV-12; decision 0088): a technician's day and his visits. Nobody in the
# matrix's world handles its tickets or holds a visit to them, so past the ticket's rights and
# scope every principal is refused the visit as someone else's (403), and writes nothing.
register_route("pages", "/service/my-day/", Verb("GET", permitted("tickets", "view")))
register_route(
    "pages", "/service/my-day/van-products/", Verb("GET", permitted("tickets", "change"))
)
register_route(
    "api",
    "/api/v1/service/my-day/",
    Verb("GET", permitted("tickets", "view")),
    *(Verb(m, not_allowed()) for m in ("POST", "PUT")),
    api=True,
    what="the technician's day",
)
for _side in ("rep1", "rep2"):

    def _ticket(world, side=_side):
        return world.record("tickets", side)

    _not_his = _then(permitted("tickets", "change", _ticket), Outcome.FORBIDDEN)
    register_route(
        "pages",
        lambda world, side=_side: f"/service/visits/{world.record('tickets', side).pk}/",
        Verb("GET", _not_his),
        Verb("POST", _not_his, data=lambda world, marker: {"notes": marker}),
        what=f"{_side}'s ticket's visit",
    )
    register_route(
        "pages",
        lambda world, side=_side: f"/service/visits/{world.record('tickets', side).pk}/parts/",
        Verb("POST", _not_his, data=lambda world, marker: {"quantity": "1"}),
        *(Verb(m, never_allowed) for m in ("GET", "PUT", "PATCH", "DELETE")),
        what=f"{_side}'s ticket's visit part",
    )
    register_route(
        "api",
        lambda world, side=_side: (
            f"/api/v1/tickets/{world.record('tickets', side).pk}/visit-complete/"
        ),
        Verb("POST", _not_his, data=lambda world, marker: {"notes": marker}),
        *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
        api=True,
        what=f"{_side}'s ticket's visit completed",
    )
