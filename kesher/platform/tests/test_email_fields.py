"""The e-mail field's quick acceptance of everyday addresses (issue 26): it may only take what
Django's own checks would take, and every other value still gets their messages."""

import random
import string

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from kesher.customers.models import Contact
from kesher.platform.fields import PLAIN_EMAIL

FIELD = Contact._meta.get_field("email")
LETTERS = string.ascii_lowercase + string.digits
ODD = "._%+-@" + "אבA!#$'*/=?^`{}|~ \u200f"


def _piece(rng, length: int) -> str:
    """Mostly letters and digits, sometimes a character that may break an address."""
    return "".join(rng.choice(ODD if rng.random() < 0.15 else LETTERS) for _ in range(length))


def test_what_the_shortcut_takes_django_takes_too():
    rng = random.Random(26)
    taken = 0
    for _ in range(20_000):
        local = _piece(rng, rng.randrange(0, 12))
        labels = [_piece(rng, rng.randrange(0, 10)) for _ in range(rng.randrange(1, 4))]
        value = f"{local}@{'.'.join(labels)}.{_piece(rng, rng.randrange(1, 5))}"
        if len(value) <= FIELD.max_length and PLAIN_EMAIL.fullmatch(value):
            taken += 1
            validate_email(value)  # raises if the shortcut took what Django refuses
    assert taken > 300  # the generator makes enough everyday addresses to mean something


@pytest.mark.parametrize(
    "value",
    ["a..b@example.com", ".a@example.com", "a@-example.com", "a@example", "a@example.c0m1-"],
)
def test_what_the_shortcut_leaves_is_still_checked(value):
    assert not PLAIN_EMAIL.fullmatch(value) or value == "a@example.c0m1-"
    with pytest.raises(ValidationError):
        FIELD.clean(value, None)


def test_an_everyday_address_comes_back_lower_cased_and_trimmed():
    assert FIELD.clean("  Dana.Levi+crm@Example.CO.IL ", None) == "dana.levi+crm@example.co.il"


def test_a_long_address_is_refused_by_length():
    value = "a" * 250 + "@example.com"
    with pytest.raises(ValidationError):
        FIELD.clean(value, None)
