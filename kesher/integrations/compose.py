"""An email from a template and a record: merge fields filled, HTML sanitized with ``nh3``,
a plain-text alternative made from it, right-to-left for Hebrew (issue 5 item 9)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser

import nh3
from django.utils.html import escape

from kesher.integrations.merge import render_text
from kesher.integrations.models import EmailTemplate

__all__ = ["ComposedEmail", "compose", "html_to_text", "sanitize"]

LANGUAGES = ("he", "en")
RTL_LANGUAGES = {"he"}
STYLE_PROPERTIES = {
    "color",
    "background-color",
    "text-align",
    "font-weight",
    "font-style",
    "font-size",
    "text-decoration",
    "direction",
    "margin",
    "padding",
}
_ALL_TAGS_ATTRIBUTES = {"dir", "style", "lang", "title"}


def _attributes() -> dict[str, set[str]]:
    attributes = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
    attributes["*"] = attributes.get("*", set()) | _ALL_TAGS_ATTRIBUTES
    attributes["a"] = attributes.get("a", set()) | {"href"}
    attributes["img"] = attributes.get("img", set()) | {"src", "alt", "width", "height"}
    attributes["td"] = attributes.get("td", set()) | {"colspan", "rowspan", "align"}
    return attributes


ATTRIBUTES = _attributes()


def sanitize(html: str) -> str:
    """Rich text safe to show and send: scripts, event handlers and ``javascript:`` links go."""
    return nh3.clean(
        html,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        filter_style_properties=STYLE_PROPERTIES,
        link_rel="noopener noreferrer",
    )


class _TextWriter(HTMLParser):
    """Readable plain text of sanitized HTML: blocks on their own lines, list items with a
    bullet, a link's address after its text."""

    BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "ul", "ol"}
    BLOCKS |= {"blockquote", "pre", "hr", "header", "footer", "section", "article"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCKS:
            self.parts.append("\n\n")
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n• ")
        elif tag in ("td", "th"):
            self.parts.append("  ")
        elif tag == "a":
            self.links.append(dict(attrs).get("href"))

    def handle_endtag(self, tag):
        if tag in self.BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href and not href.startswith("mailto:"):
                self.parts.append(f" ({href})")

    def handle_data(self, data):
        self.parts.append(re.sub(r"\s+", " ", data))

    def text(self) -> str:
        text = "".join(self.parts)
        lines = [line.strip() for line in text.split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str) -> str:
    writer = _TextWriter()
    writer.feed(html)
    writer.close()
    return unescape(writer.text())


def wrap_html(body: str, language: str) -> str:
    """A whole HTML document; Hebrew reads right to left in every mail client."""
    direction = "rtl" if language in RTL_LANGUAGES else "ltr"
    align = "right" if direction == "rtl" else "left"
    return (
        f'<!DOCTYPE html><html lang="{language}" dir="{direction}">'
        '<head><meta charset="utf-8"></head>'
        f'<body dir="{direction}" style="direction:{direction};text-align:{align};">'
        f'<div dir="{direction}">{body}</div></body></html>'
    )


@dataclass(frozen=True)
class ComposedEmail:
    language: str
    subject: str
    html: str  # the whole document
    body_html: str  # the sanitized body alone, for previews
    text: str


def choose_language(template: EmailTemplate, language: str | None) -> str:
    """The language asked for, unless the template has no text in it: then Hebrew."""
    language = (language or "he")[:2]
    if language not in LANGUAGES:
        language = "he"
    if language == "en" and not (template.subject_en and template.body_en):
        return "he"
    return language


def compose(
    template: EmailTemplate, record, language: str | None = None, readers=()
) -> ComposedEmail:
    """The email ``template`` makes about ``record`` in ``language``; merge fields of fields
    hidden from any of ``readers`` stay empty (``merge.readers_of``, decision 0047)."""
    language = choose_language(template, language)
    subject = getattr(template, f"subject_{language}")
    body = getattr(template, f"body_{language}")
    # Values are escaped as they go in, and the result is sanitized again: a value can never
    # become markup, a link or a script.
    body_html = sanitize(render_text(sanitize(body), record, html=True, readers=readers))
    subject = " ".join(render_text(subject, record, html=False, readers=readers).split())
    return ComposedEmail(
        language=language,
        subject=subject[:300],
        html=wrap_html(body_html, language),
        body_html=body_html,
        text=html_to_text(body_html),
    )


def preview_html(email: ComposedEmail) -> str:
    """The subject and body as the editor's preview shows them (already safe)."""
    direction = "rtl" if email.language in RTL_LANGUAGES else "ltr"
    return (
        f'<div dir="{direction}" lang="{email.language}" class="email-preview">'
        f'<p class="fw-bold border-bottom pb-2">{escape(email.subject)}</p>'
        f"{email.body_html}</div>"
    )
