"""Template helpers for the sign-in pages (allauth's element templates under
``kesher/templates/allauth/elements/``) and the "Sign-in providers" link (REQ OR-5)."""

from django import template

from kesher.platform.access import is_admin

register = template.Library()

_BUTTON_COLOURS = ("primary", "secondary", "success", "danger", "warning", "info", "light", "dark")


@register.filter
def bootstrap_widget(bound_field):
    """A form field's widget with Bootstrap's classes, marked invalid when it has errors."""
    widget_type = bound_field.widget_type
    if widget_type in {"checkbox", "radioselect", "checkboxselectmultiple"}:
        css = "form-check-input"
    elif widget_type in {"select", "selectmultiple"}:
        css = "form-select"
    else:
        css = "form-control"
    if bound_field.errors:
        css += " is-invalid"
    return bound_field.as_widget(attrs={"class": css})


@register.simple_tag
def button_classes(tags) -> str:
    """Bootstrap classes for allauth's ``{% element button tags="..." %}``: a colour (primary
    unless a tag names another), outline and link variants, and full width for the main button
    of a sign-in page ("prominent")."""
    tags = set(tags or [])
    colour = next((c for c in _BUTTON_COLOURS if c in tags), None)
    if colour is None:
        colour = "danger" if "delete" in tags else "primary"
    if "link" in tags:
        classes = ["btn", "btn-link"]
    elif "outline" in tags:
        classes = ["btn", f"btn-outline-{colour}"]
    else:
        classes = ["btn", f"btn-{colour}"]
    if "prominent" in tags:
        classes.append("w-100")
    if "minor" in tags or "tool" in tags:
        classes.append("btn-sm")
    return " ".join(classes)


@register.simple_tag(takes_context=True)
def is_kesher_admin(context) -> bool:
    """Whether the signed-in user administers Kesher (may open "Sign-in providers")."""
    request = context.get("request")
    return bool(request is not None and is_admin(request.user))
