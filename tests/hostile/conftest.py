"""Fixtures of the hostile-input suite (the broker fixtures are in
tests/conftest.py; the helpers are in hostile_lib.py)."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import hostile_lib  # noqa: E402


@pytest.fixture
def bystander():
    """bystander(broker) -> a hostile_lib.Bystander, closed at teardown."""
    made = []

    def make(b):
        by = hostile_lib.Bystander(b)
        made.append(by)
        return by

    yield make
    for by in made:
        by.close()


@pytest.fixture
def raws():
    """raws(broker, **kw) -> an unconnected hostile_lib.Raw; every socket
    is closed at teardown, whatever the test did."""
    made = []

    def make(b, **kw):
        c = hostile_lib.Raw(b.port, **kw)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()
