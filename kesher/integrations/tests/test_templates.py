"""Email templates: safe merge fields, sanitized HTML, a text alternative, RTL Hebrew
(issue 5 item 9; REQ AU-1)."""

import pytest
from django.core.exceptions import ValidationError

from kesher.customers.services import contact_create
from kesher.customers.tests.factories import make_account
from kesher.integrations.compose import compose, html_to_text
from kesher.integrations.merge import available_fields
from kesher.integrations.models import EmailTemplate
from kesher.integrations.tests.factories import make_template
from kesher.platform.customfields.schema import custom_field_create

pytestmark = pytest.mark.django_db


def test_template_saves_sanitized_and_audited(admin_user):
    template = make_template(
        admin_user,
        body_he='<p onclick="steal()">שלום {{ name }}</p><script>alert(1)</script>'
        '<a href="javascript:alert(1)">x</a>',
    )
    template.refresh_from_db()
    assert "<script" not in template.body_he
    assert "onclick" not in template.body_he
    assert "javascript:" not in template.body_he
    assert "שלום {{ name }}" in template.body_he


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("body_he", "<p>{{ nosuchfield }}</p>"),
        ("subject_he", "{{ owner.password }}"),
        ("body_he", "<p>{% load static %}{{ name }}</p>"),
        ("subject_en", "{{ name|upper }}"),
        ("body_en", "<p>{{ name.__class__ }}</p>"),
    ],
)
def test_unknown_merge_fields_and_tags_are_refused(admin_user, field, text):
    """Only the entity's shown fields: no tags, filters or attribute access (issue 5 item 9)."""
    with pytest.raises(ValidationError) as error:
        make_template(admin_user, **{field: text})
    assert field in error.value.message_dict
    assert not EmailTemplate.objects.exists()


def test_merge_fields_fill_and_escape_hostile_values(admin_user):
    account = make_account(admin_user, name='<script>alert("x")</script> & Co', city="חיפה")
    template = make_template(
        admin_user,
        subject_he="שלום {{ name }}",
        body_he="<p>{{ name }} מ{{ city }}, {{ owner }}</p>",
    )
    email = compose(template, account, "he")
    assert "<script>" not in email.html
    assert "&lt;script&gt;" in email.html
    assert "מחיפה" in email.html
    assert str(admin_user) in email.html
    assert email.subject == 'שלום <script>alert("x")</script> & Co'  # plain text, not HTML
    assert '<script>alert("x")</script> & Co' in email.text
    assert '<html lang="he" dir="rtl">' in email.html
    assert 'dir="rtl"' in email.html


def test_english_version_is_left_to_right_and_falls_back_to_hebrew(admin_user):
    account = make_account(admin_user, name="Dana")
    template = make_template(admin_user)
    english = compose(template, account, "en")
    assert english.language == "en"
    assert '<html lang="en" dir="ltr">' in english.html
    assert english.subject == "Hello Dana"
    hebrew_only = make_template(admin_user, subject_en="", body_en="")
    assert compose(hebrew_only, account, "en").language == "he"


def test_custom_and_linked_fields(admin_user):
    """``{{ custom.region }}`` and ``{{ account.name }}`` (a contact's primary account)."""
    custom_field_create(
        actor=admin_user,
        data={"entity": "contacts", "key": "region", "label_he": "אזור", "type": "text"},
    )
    first = make_account(admin_user, name="Other Ltd")
    primary = make_account(admin_user, name="אקמה בע״מ")
    contact = contact_create(
        actor=admin_user,
        data={"first_name": "יוסי", "last_name": "לוי", "custom": {"region": "צפון"}},
        account_links=[
            {"account": first, "role": "", "is_primary": False},
            {"account": primary, "role": "", "is_primary": True},
        ],
    )
    names = {f.name for f in available_fields("contacts")}
    assert {"name", "custom.region", "account.name", "owner.email"} <= names
    template = make_template(
        admin_user,
        entity="contacts",
        subject_he="{{ first_name }}",
        body_he="<p>{{ name }} / {{ custom.region }} / {{ account.name }} / {{ owner.email }}</p>",
    )
    email = compose(template, contact, "he")
    assert "יוסי לוי / צפון / אקמה בע״מ / admin1@example.co.il" in email.html
    assert email.subject == "יוסי"


def test_text_alternative_keeps_lines_and_links():
    text = html_to_text(
        "<h1>כותרת</h1><p>שורה <b>ראשונה</b><br>שנייה</p><ul><li>אחד</li><li>שניים</li></ul>"
        '<p><a href="https://kesher.example/x">קישור</a> &amp; סוף</p>'
    )
    assert text == (
        "כותרת\n\nשורה ראשונה\nשנייה\n\n• אחד\n• שניים\n\nקישור (https://kesher.example/x) & סוף"
    )


def test_very_long_texts_are_refused(admin_user):
    for field, text in (("body_he", "<p>" + "א" * 100_001 + "</p>"), ("subject_he", "x" * 201)):
        with pytest.raises(ValidationError) as error:
            make_template(admin_user, **{field: text})
        assert field in error.value.message_dict
    assert not EmailTemplate.objects.exists()


def test_template_entity_must_be_linkable(admin_user):
    with pytest.raises(ValidationError) as error:
        make_template(admin_user, entity="no-such-entity")
    assert "entity" in error.value.message_dict


@pytest.mark.parametrize("language", ["he", "en"])
def test_api_create_and_translated_errors(admin_user, api_for, language):
    """The generic API serves templates; a bad merge field is a translated 400."""
    api = api_for(admin_user, language=language)
    good = {
        "name": "ברוכים הבאים",
        "entity": "accounts",
        "subject_he": "שלום {{ name }}",
        "body_he": "<p>שלום {{ name }}</p><script>x()</script>",
        "active": True,
    }
    response = api.post("/api/v1/email-templates/", good, format="json")
    assert response.status_code == 201, response.content
    assert "<script" not in response.json()["body_he"]
    bad = {**good, "name": "x" * 300, "body_he": "{{ secret_field }}", "entity": "nope"}
    response = api.post("/api/v1/email-templates/", bad, format="json")
    assert response.status_code == 400
    body = response.json()
    assert "entity" in body
    assert EmailTemplate.objects.count() == 1
    response = api.post(
        "/api/v1/email-templates/", {**good, "body_he": "{{ secret_field }}"}, format="json"
    )
    assert response.status_code == 400
    message = response.json()["body_he"][0]
    if language == "he":
        assert "שדות מיזוג" in message
    else:
        assert "Unknown merge fields: {{ secret_field }}" in message
