"""A templated Hebrew email lands in a real (local aiosmtpd) mailbox: both parts, the subject,
RTL HTML, merge fields filled, hostile record text escaped (issue 5 item 9)."""

import pytest

from kesher.customers.tests.factories import make_account
from kesher.integrations.delivery import deliver_messages
from kesher.integrations.tests.factories import make_template, queue_email
from kesher.integrations.tests.servers import smtp_mailbox

pytestmark = pytest.mark.django_db


def test_hebrew_email_lands_in_the_mailbox(admin_user, settings):
    with smtp_mailbox() as (server, mailbox):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = server.hostname
        settings.EMAIL_PORT = server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        account = make_account(
            admin_user, name='דנה כהן <img src=x onerror="alert(1)">', city="באר שבע"
        )
        template = make_template(
            admin_user,
            subject_he="שלום {{ name }}",
            body_he="<h2>שלום {{ name }}</h2><p>מ{{ city }}. איש הקשר: {{ owner }}</p>",
        )
        queue_email(admin_user, template=template, record=account, to=["dana@example.co.il"])
        assert deliver_messages() == 1
    assert len(mailbox) == 1
    recipients, message = mailbox[0]
    assert recipients == ["dana@example.co.il"]
    assert message["Subject"].strip() == 'שלום דנה כהן <img src=x onerror="alert(1)">'
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "שלום דנה כהן" in text
    assert "מבאר שבע" in text
    assert str(admin_user) in text
    assert '<html lang="he" dir="rtl">' in html
    assert 'dir="rtl"' in html
    assert "<img" not in html  # the record's text is escaped, never markup
    assert "&lt;img src=x" in html
    assert "מבאר שבע" in html
