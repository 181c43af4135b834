"""Phone normalization (REQ CX-3): typed forms become E.164; a number this process already
normalized is recognised without parsing it again, and nothing else is."""

import random

import phonenumbers
import pytest
from django.core.exceptions import ValidationError

from kesher.platform import fields


def test_typed_forms_become_e164_and_stay_so(monkeypatch):
    assert fields.normalize_phone("052-555-1234") == "+972525551234"
    assert fields.normalize_phone(" 052 5551234 ") == "+972525551234"
    parsed = []
    real = fields._e164
    monkeypatch.setattr(fields, "_e164", lambda *a: parsed.append(a) or real(*a))
    assert fields.normalize_phone("+972525551234") == "+972525551234"
    assert parsed == []  # produced above: recognised, not parsed again
    assert fields.normalize_phone("+1 212 555 0100") == "+12125550100"
    assert len(parsed) == 1


def test_a_number_never_produced_is_still_checked():
    with pytest.raises(ValidationError):
        fields.normalize_phone("+97212")
    with pytest.raises(ValidationError):
        fields.normalize_phone("טלפון")


def test_the_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(fields, "_CANONICAL_LIMIT", 3)
    fields._canonical.clear()
    for n in range(10):
        fields.normalize_phone(f"052-555-12{n:02d}")
    assert len(fields._canonical) <= 3


def _parsed(text: str) -> str | None:
    try:
        number = phonenumbers.parse(text, "IL")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def test_the_shortcut_for_israeli_forms_agrees_with_phonenumbers():
    rng = random.Random(5)
    shapes = ["{}{}", "{}-{}", "{} {}", "({}) {}", "{}.{}"]
    for _ in range(20_000):
        first = rng.choice("0123456789")
        second = rng.choice("0123456789")
        length = rng.choice([5, 6, 7, 8])
        digits = "0" + first + second + "".join(rng.choice("0123456789") for _ in range(length))
        cut = rng.randint(2, 4)
        text = rng.choice(shapes).format(digits[:cut], digits[cut:])
        expected = _parsed(text)
        fields._canonical.clear()
        if expected is None:
            with pytest.raises(ValidationError):
                fields.normalize_phone(text)
        else:
            assert fields.normalize_phone(text) == expected, text
