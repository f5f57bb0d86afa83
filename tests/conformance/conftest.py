"""Fixtures of the conformance suite (the broker fixtures are in
tests/conftest.py)."""
import os
import shutil
import tempfile

import pytest


@pytest.fixture
def shared_file():
    """Write files the broker reads (ACL files...) in a world-readable
    directory: a broker started as root may drop its privileges before
    reading them, and pytest's tmp_path is private to the user."""
    d = tempfile.mkdtemp(prefix="tern-conf-")
    os.chmod(d, 0o755)

    def write(name, text):
        path = os.path.join(d, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o644)
        return path

    yield write
    shutil.rmtree(d, ignore_errors=True)
