"""Headers (issue 24 item 8): a Content-Security-Policy without inline script on every answer —
and no template with an inline script or event handler, since the policy would silently break
it — a Permissions-Policy, no "Server: gunicorn", and the API's schema behind a sign-in unless
the operator publishes it."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = sorted((ROOT / "kesher").rglob("templates/**/*.html")) + sorted(
    (ROOT / "tests").rglob("templates/**/*.html")
)
# A script element without src runs inline, unless it is data (``json_script``'s JSON block).
INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*type=[\"']application/json)[^>]*>", re.IGNORECASE
)
HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.IGNORECASE)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.IGNORECASE)


def test_no_template_has_an_inline_script_or_handler():
    assert TEMPLATES
    found = []
    for template in TEMPLATES:
        text = template.read_text()
        for pattern in (INLINE_SCRIPT, HANDLER, JS_URL):
            found += [f"{template.relative_to(ROOT)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert found == [], "use a data- attribute that kesher.js handles:\n" + "\n".join(found)


@pytest.mark.django_db
def test_every_page_carries_the_policies(users, client_for):
    answer = client_for(users["admin"]).get("/")
    assert answer.status_code == 200
    policy = answer["Content-Security-Policy"]
    script_src = next(p for p in policy.split(";") if p.strip().startswith("script-src"))
    assert script_src.split() == ["script-src", "'self'"]
    assert "frame-ancestors 'none'" in policy
    assert "camera=()" in answer["Permissions-Policy"]
    # A signed-out page too.
    assert (
        "script-src 'self'" in client_for(None).get("/accounts/login/")["Content-Security-Policy"]
    )


@pytest.mark.django_db
def test_the_schema_and_docs_need_a_sign_in_unless_published(users, api_for, settings):
    for path in ("/api/schema/", "/api/docs/"):
        assert api_for(None).get(path).status_code in (401, 403)
        assert api_for(users["sales_rep"]).get(path).status_code == 200
    settings.KESHER_PUBLISH_API_SCHEMA = True
    assert api_for(None).get("/api/schema/").status_code == 200
    docs = api_for(None).get("/api/docs/")
    assert docs.status_code == 200
    # The docs page starts Swagger from a file, not an inline script (the policy forbids it).
    assert not INLINE_SCRIPT.search(docs.content.decode())


def test_gunicorn_does_not_name_itself():
    from gunicorn.http import wsgi

    import kesher.wsgi  # noqa: F401  (sets the name as the web server loads it)

    assert wsgi.SERVER == "Kesher"
