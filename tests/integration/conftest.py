"""Fixtures for the integration suite (the broker fixtures live in
tests/conftest.py)."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import helpers  # noqa: E402


@pytest.fixture
def pahof():
    """pahof(broker, client_id="", connect=True, protocol=..., **kw) -> a
    PahoClient on that broker, connected unless connect=False; all are
    closed at teardown."""
    made = []

    def make(b, client_id="", connect=True, **kw):
        c = helpers.PahoClient(b, client_id, **kw)
        made.append(c)
        if connect:
            c.connect()
        return c

    yield make
    for c in made:
        c.close()


@pytest.fixture
def paho(broker, pahof):
    """Like pahof, on the default broker (or the one given as on=)."""

    def make(client_id="", connect=True, on=None, **kw):
        return pahof(on or broker, client_id, connect, **kw)

    return make


@pytest.fixture
def rawf():
    """rawf(broker, client_id=None, version=4, connect=True, **connect_kw)
    -> an mqttraw.Client; all are closed at teardown."""
    made = []

    def make(b, client_id=None, version=4, connect=True, **kw):
        c = helpers.raw(b, client_id, version, connect, **kw)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()
