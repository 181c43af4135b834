"""Which lines a credit note takes, for customers' and suppliers' invoices alike: all that are
still open, or those named, each named quantity as its share of what is left of its line."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kesher.catalogue.pricing import to_agorot

__all__ = ["credited_lines"]


def _refuse(message: str):
    raise ValidationError({"lines": [message]})


def credited_lines(open_lines, *, positions=None, quantities=None, sums: tuple[str, ...]) -> list:
    """``open_lines`` (each with what is left of it) in position order, narrowed to
    ``positions`` and ``quantities`` when either is given. A partial quantity takes each of
    ``sums`` in proportion, rounded to the agora — never more than is left, so a line's last
    credit takes the remainder exactly. Refuses, writing nothing, an empty choice, a line not
    open, and a quantity outside (0, what is left]."""
    by_position = {line.position: line for line in open_lines}
    if positions is None and quantities is None:
        return [by_position[n] for n in sorted(by_position)]
    wanted = set(positions or ()) | set(quantities or {})
    if not wanted:
        _refuse(_("Choose at least one line to credit."))
    taken = sorted(wanted - set(by_position))
    if taken:
        _refuse(
            _("Line %(n)s cannot be credited: it is not on the invoice or credited already.")
            % {"n": ", ".join(str(n) for n in taken)}
        )
    for position, quantity in sorted((quantities or {}).items()):
        line = by_position[position]
        if quantity is None or quantity <= 0 or quantity > line.quantity:
            _refuse(
                _("Line %(n)s: credit a quantity above zero and up to %(open)s.")
                % {"n": position, "open": f"{line.quantity.normalize():f}"}
            )
        if quantity != line.quantity:
            share: Decimal = quantity / line.quantity
            for name in sums:
                setattr(line, name, to_agorot(getattr(line, name) * share))
            line.quantity = quantity
    return [by_position[n] for n in sorted(wanted)]
