"""Kinds of record defined inside a test (the generated contract tests run over one)."""

from __future__ import annotations

from contextlib import contextmanager

from kesher.objects import runtime
from kesher.platform import stamps
from kesher.platform.registry import registry

__all__ = ["forget_kinds", "kinds_reloaded"]


@contextmanager
def kinds_reloaded():
    """Kinds defined inside the block leave the registry when it ends (the test's database
    rolls back; the registry of the test process must not keep them)."""
    try:
        yield
    finally:
        forget_kinds()


def forget_kinds() -> None:
    """Take every kind out of the registry; the next ``refresh`` loads them from the database
    (after a test, whose rolled-back kinds must not stay registered). No query."""
    registry.remove_source("objects")
    registry.add_source(
        "objects", stamp=(runtime.OBJECTS, stamps.FIELDS), load=runtime.load, load_now=False
    )
