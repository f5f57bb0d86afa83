"""Shared fixtures: start a real broker per test on a free loopback port.

TERN_TEST_BROKER selects the broker: "ternd" (default; the binary named by
TERND, default build/ternd) or "mosquitto" (Debian's /usr/sbin/mosquitto),
so every behavioural test can be checked against the reference broker.
"""
import os
import socket
import subprocess
import sys
import tempfile
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BROKER_KIND = os.environ.get("TERN_TEST_BROKER", "ternd")
TERND = os.environ.get("TERND", os.path.join(ROOT, "build", "ternd"))
MOSQUITTO = "/usr/sbin/mosquitto"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class Broker:
    """One running broker process. conf is a list of mosquitto.conf lines
    added after the listener line; the listener is always 127.0.0.1:port."""

    def __init__(self, tmpdir, conf=(), extra_args=(), port=None):
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.tmpdir = tmpdir
        self.conf_path = os.path.join(tmpdir, "broker-%d.conf" % self.port)
        self.log_path = os.path.join(tmpdir, "broker-%d.log" % self.port)
        lines = ["listener %d 127.0.0.1" % self.port]
        if not any(l.startswith("allow_anonymous") for l in conf):
            lines.append("allow_anonymous true")
        lines += list(conf)
        with open(self.conf_path, "w") as f:
            f.write("\n".join(lines) + "\n")
        if BROKER_KIND == "mosquitto":
            cmd = [MOSQUITTO, "-c", self.conf_path, "-v"]
        else:
            cmd = [TERND, "-c", self.conf_path, "-v"]
        cmd += list(extra_args)
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     cwd=tmpdir)
        if not wait_port(self.port):
            self.stop()
            raise RuntimeError("broker did not start: %s" % self.read_log())

    def read_log(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig=None):
        """Stop the broker; returns its exit code."""
        if self.proc.poll() is None:
            if sig is None:
                self.proc.terminate()
            else:
                self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


@pytest.fixture
def broker_factory(tmp_path):
    started = []

    def start(conf=(), extra_args=(), port=None):
        b = Broker(str(tmp_path), conf, extra_args, port)
        started.append(b)
        return b

    yield start
    for b in started:
        rc = b.stop()
        # A sanitizer report or a crash makes the test fail even if every
        # assertion passed.
        log = b.read_log() if os.path.exists(b.log_path) else ""
        assert "ERROR: AddressSanitizer" not in log, log[-4000:]
        assert "ERROR: LeakSanitizer" not in log, log[-4000:]
        assert "runtime error:" not in log, log[-4000:]
        assert "ThreadSanitizer" not in log, log[-4000:]
        assert rc in (0, -15), "broker exited with %s\n%s" % (rc, log[-4000:])


@pytest.fixture
def broker(broker_factory):
    """A broker on default settings (plus allow_anonymous true)."""
    return broker_factory()


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
