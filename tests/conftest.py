"""Shared fixtures of the integration, conformance and hostile suites: a
real broker per test on a free loopback port (tests/brokers.py says which
broker and how), and the markers for tests that only apply to Tern.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from brokers import BROKER_KIND, broker, broker_factory  # noqa: E402,F401


@pytest.fixture
def broker_args():
    """Every broker logs everything: some tests read its log."""
    return ("-v",)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "tern_only: uses a Tern-only feature; skipped when the "
        "suite runs against mosquitto")
    config.addinivalue_line(
        "markers", "mosquitto_differs: mosquitto is known to deviate from "
        "the spec here; skipped when the suite runs against mosquitto")


def pytest_collection_modifyitems(config, items):
    if BROKER_KIND != "mosquitto":
        return
    skip = pytest.mark.skip(reason="not applicable to mosquitto")
    for item in items:
        if "tern_only" in item.keywords or "mosquitto_differs" in item.keywords:
            item.add_marker(skip)
