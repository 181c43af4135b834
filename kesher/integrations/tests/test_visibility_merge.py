"""Merge fields of hidden fields (REQ CX-9; issue "Platform v2" item 8; decision 0047): a mail
shows only what every one of its readers may see — the users it goes to and the user who sends
it; an address of no user is read with the sender's rights (automation: the system, all)."""

import pytest

from kesher.customers.services import contact_create
from kesher.customers.tests.factories import make_account
from kesher.integrations.compose import compose
from kesher.integrations.models import OutgoingMessage
from kesher.integrations.services import send_email, send_test_email
from kesher.integrations.tests.factories import make_template
from kesher.platform.models import CustomField
from kesher.platform.records.services import record_create

pytestmark = pytest.mark.django_db

PHONE = "052-555-1234"
BODY = "<p>טלפון: [{{ phone }}] אשראי: [{{ custom.credit_limit }}] אזור: [{{ custom.region }}]</p>"


@pytest.fixture
def world(users):
    admin = users["admin"]
    CustomField.objects.create(
        entity="accounts", key="credit_limit", label_he="מסגרת אשראי", type="integer"
    )
    CustomField.objects.create(entity="accounts", key="region", label_he="אזור", type="text")
    account = make_account(
        users["sales_rep"],
        name="אקמה",
        phone=PHONE,
        custom={"credit_limit": 73519, "region": "צפון"},
    )
    for field in ("phone", "custom.credit_limit"):
        record_create(
            "field-rules",
            actor=admin,
            data={"entity": "accounts", "field": field, "hidden_roles": ["sales_rep"]},
        )
    template = make_template(admin, subject_he="{{ name }} {{ phone }}", body_he=BODY)
    return {"account": account, "template": template, **users}


SEEN = "טלפון: [052-555-1234] אשראי: [73,519] אזור: [צפון]"
UNSEEN = "טלפון: [] אשראי: [] אזור: [צפון]"


def test_compose_leaves_hidden_fields_empty_for_a_reader_who_does_not_see_them(world):
    template, account = world["template"], world["account"]
    assert UNSEEN in compose(template, account, "he", readers=[world["sales_rep"]]).html
    assert SEEN in compose(template, account, "he", readers=[world["manager"]]).html
    assert SEEN in compose(template, account, "he").html  # the system sees everything
    # With several readers, a field shows only if every one of them sees it.
    both = compose(template, account, "he", readers=[world["manager"], world["sales_rep"]])
    assert UNSEEN in both.html
    assert both.subject == "אקמה"


def _sent(world, to, **extra):
    return send_email(
        template_id=world["template"].pk,
        record=world["account"],
        to=to,
        language="he",
        source="test",
        idempotency_key=f"visibility-{'-'.join(to)}-{extra.get('sender', '')}",
        **extra,
    )


def test_an_internal_recipient_gets_only_what_his_role_sees(world):
    assert UNSEEN in _sent(world, [world["sales_rep"].email]).body_html
    assert UNSEEN in _sent(world, [world["sales_rep"].email.upper()]).body_text.replace("\n", " ")
    assert SEEN in _sent(world, [world["manager"].email]).body_html
    # Sent to a rep and a manager together: the rep's view, for both.
    assert UNSEEN in _sent(world, [world["manager"].email, world["sales_rep"].email]).body_html


def test_an_outside_address_gets_what_the_sender_may_see(world):
    customer = ["office@acme.example"]
    assert SEEN in _sent(world, customer).body_html  # automation sends as the system
    assert UNSEEN in _sent(world, customer, sender=world["sales_rep"]).body_html
    assert SEEN in _sent(world, customer, sender=world["manager"]).body_html


def test_a_test_mail_to_oneself_shows_what_one_sees(world):
    message = send_test_email(
        actor=world["sales_rep"],
        template=world["template"],
        entity_key="accounts",
        record_id=world["account"].pk,
        language="he",
    )
    assert UNSEEN in message.body_html
    assert OutgoingMessage.objects.filter(pk=message.pk).exists()


def test_a_linked_records_hidden_field_is_empty_too(world):
    contact = contact_create(
        actor=world["admin"],
        data={"first_name": "יוסי", "owner": world["sales_rep"]},
        account_links=[{"account": world["account"], "is_primary": True}],
    )
    template = make_template(
        world["admin"], entity="contacts", body_he="<p>[{{ account.name }}|{{ account.phone }}]</p>"
    )
    assert "[אקמה|]" in compose(template, contact, "he", readers=[world["sales_rep"]]).html
    assert f"[אקמה|{PHONE}]" in compose(template, contact, "he", readers=[world["manager"]]).html
