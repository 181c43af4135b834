"""Customer pages beyond the generic ones: contacts added to an account with their role,
and relationships added from either side."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kesher.customers.models import Account, Contact, Relationship
from kesher.customers.services import (
    contact_create,
    contact_link_account,
    contact_unlink_account,
    relationship_create,
)
from kesher.platform.access import can
from kesher.platform.models import Choice
from kesher.platform.registry import registry
from kesher.platform.ui.forms import form_for
from kesher.platform.ui.pages import save_form


def relationships_of(record, user):
    """Relationships of an account or contact from both sides, with the label read from it."""
    side = "account" if isinstance(record, Account) else "contact"
    # The scoped query finds them; a second reads them with their ends. One query doing both
    # took ~12 ms to compile (five joined tables and the scope's subqueries), for a list that
    # is usually empty.
    ids = list(
        Relationship.objects.visible_to(user)
        .filter(Q(**{f"from_{side}": record}) | Q(**{f"to_{side}": record}))
        .values_list("pk", flat=True)
    )
    if not ids:
        return []
    rows = Relationship.objects.filter(pk__in=ids).select_related(
        "type", "from_account", "from_contact", "to_account", "to_contact"
    )
    return [(rel.label_from(record), rel.other(record), rel) for rel in rows.order_by("pk")]


class RoleForm(forms.Form):
    role = forms.CharField(
        label=gettext_lazy("role at the account"), max_length=100, required=False
    )


@login_required
def account_add_contact(request, pk):
    """A new contact, created already linked to this account with a role (REQ CU-2)."""
    if not can(request.user, "contacts", "add"):
        raise PermissionDenied
    account = get_object_or_404(Account.objects.visible_to(request.user), pk=pk)
    entity = registry.get("contacts")
    form = form_for(entity, request.user)(request.POST or None)
    role_form = RoleForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and role_form.is_valid():
        role = role_form.cleaned_data["role"]
        entity_with_link = _LinkedContactEntity(entity, account, role)
        contact = save_form(request, entity_with_link, form)
        if contact is not None:
            messages.success(request, _("%(label)s created.") % {"label": contact})
            return redirect(reverse("entity_detail", args=["accounts", account.pk]))
    return render(
        request,
        "customers/add_contact.html",
        {"entity": entity, "form": form, "role_form": role_form, "account": account},
    )


class _LinkedContactEntity:
    """The contacts entity whose create service also links the new contact to one account."""

    def __init__(self, entity, account, role):
        self._entity = entity
        self.account = account
        self.role = role

    def __getattr__(self, name):
        return getattr(self._entity, name)

    def create_service(self, *, actor, data, m2m):
        return contact_create(
            actor=actor,
            data=data,
            m2m=m2m,
            account_links=[{"account": self.account, "role": self.role}],
        )


@require_POST
@login_required
def contact_link(request, pk):
    if not can(request.user, "contacts", "change"):
        raise PermissionDenied
    contact = get_object_or_404(Contact.objects.visible_to(request.user), pk=pk)
    account = (
        Account.objects.visible_to(request.user).filter(pk=request.POST.get("account") or 0).first()
    )
    if account is None:
        messages.error(request, _("Choose an account."))
    else:
        try:
            contact_link_account(
                contact, actor=request.user, account=account, role=request.POST.get("role", "")
            )
            messages.success(request, _("Linked to %(account)s.") % {"account": account})
        except ValidationError as exc:
            for error in exc.messages:
                messages.error(request, error)
    return redirect(reverse("entity_detail", args=["contacts", pk]))


@require_POST
@login_required
def contact_unlink(request, pk, account_pk):
    if not can(request.user, "contacts", "change"):
        raise PermissionDenied
    contact = get_object_or_404(Contact.objects.visible_to(request.user), pk=pk)
    account = get_object_or_404(Account.objects.visible_to(request.user), pk=account_pk)
    contact_unlink_account(contact, actor=request.user, account=account)
    return redirect(reverse("entity_detail", args=["contacts", pk]))


@require_POST
@login_required
def relate(request, key, pk):
    """Add a relationship from the account or contact whose page this is (REQ CU-5)."""
    if key not in ("accounts", "contacts") or not can(request.user, "relationships", "add"):
        raise PermissionDenied
    source_model = Account if key == "accounts" else Contact
    source = get_object_or_404(source_model.objects.visible_to(request.user), pk=pk)
    side = "account" if key == "accounts" else "contact"
    target_kind = request.POST.get("target_kind", "account")
    target_kind = target_kind if target_kind in ("account", "contact") else "account"
    data = {
        f"from_{side}": source,
        "type": request.POST.get("type") or None,
        f"to_{target_kind}": request.POST.get(f"to_{target_kind}") or None,
        "notes": request.POST.get("notes", "")[:300],
    }
    target_model = Account if target_kind == "account" else Contact
    target_id = data[f"to_{target_kind}"]
    if (
        target_id
        and not target_model.objects.visible_to(request.user).filter(pk=target_id).exists()
    ):
        data[f"to_{target_kind}"] = None
    try:
        if (
            data["type"]
            and not Choice.objects.filter(
                pk=data["type"], list_key="relationship_type", active=True
            ).exists()
        ):
            raise ValidationError({"type": [_("Choose a relationship type.")]})
        relationship_create(actor=request.user, data=data)
        messages.success(request, _("Relationship added."))
    except (ValidationError, ValueError) as exc:
        errors = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        for error in errors:
            messages.error(request, error)
    return redirect(reverse("entity_detail", args=[key, pk]))
