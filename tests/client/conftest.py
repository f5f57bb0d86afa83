"""Fixtures for the client interop suite: a broker per test on a free
loopback port (tests/brokers.py: TERN_TEST_BROKER, TERND and
TERN_TEST_BROKER_CMD choose it), and helpers to run `tern`, the examples
and mosquitto's clients against it.

Environment:
  TERN_BIN              the tern binary (default build/tern)
  TERN_EXAMPLES         directory of the built examples (build/examples)
  TERN_TEST_BROKER_MQTT5  "0" when the broker under test does not serve
                        MQTT 5: tests that need it (marked mqtt5, or with
                        a protocol version parameter of 5) are skipped,
                        and say so. The full suite runs against mosquitto.
"""
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from brokers import (ROOT, broker, broker_args,  # noqa: E402,F401
                     broker_factory, free_port)

TERN = os.environ.get("TERN_BIN", os.path.join(ROOT, "build", "tern"))
EXAMPLES = os.environ.get("TERN_EXAMPLES",
                          os.path.join(ROOT, "build", "examples"))
MOSQ_PUB = shutil.which("mosquitto_pub") or "/usr/bin/mosquitto_pub"
MOSQ_SUB = shutil.which("mosquitto_sub") or "/usr/bin/mosquitto_sub"
MOSQ_RR = shutil.which("mosquitto_rr") or "/usr/bin/mosquitto_rr"
MOSQ_PASSWD = shutil.which("mosquitto_passwd")


RUNNING = []


@pytest.fixture(autouse=True)
def reap_processes():
    """Kill what a test left running (a subscriber whose test failed)."""
    yield
    while RUNNING:
        p = RUNNING.pop()
        if p.p.poll() is None:
            p.p.kill()
            p.p.wait()


class Proc:
    """A background process whose stdout lines are collected as they come."""

    def __init__(self, args, stdin=None):
        RUNNING.append(self)
        self.args = args
        self.p = subprocess.Popen(args, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE,
                                  stdin=subprocess.PIPE if stdin else None)
        self.lines = queue.Queue()
        self.out = []
        self.err = b""
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()
        if stdin:
            self.p.stdin.write(stdin)
            self.p.stdin.close()

    def _read(self):
        for line in self.p.stdout:
            self.lines.put(line)

    def wait_line(self, pred, timeout=10.0):
        """Wait for a stdout line for which pred(line) is true."""
        end = time.time() + timeout
        while time.time() < end:
            try:
                line = self.lines.get(timeout=0.05)
            except queue.Empty:
                if self.p.poll() is not None and self.lines.empty():
                    break
                continue
            self.out.append(line)
            if pred(line):
                return line
        raise AssertionError("no matching line from %s; got %r, stderr %r"
                             % (self.args, self.out,
                                self.p.stderr.read() if self.p.poll()
                                is not None else b""))

    def finish(self, timeout=15.0):
        """Wait for the exit; returns (rc, stdout lines, stderr)."""
        try:
            rc = self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            raise
        self.t.join(timeout=5)
        while not self.lines.empty():
            self.out.append(self.lines.get())
        self.err = self.p.stderr.read()
        return rc, self.out, self.err

    def kill(self, sig=None):
        if self.p.poll() is None:
            if sig is None:
                self.p.kill()
            else:
                self.p.send_signal(sig)


def is_debug(line):
    return line.startswith(b"Client ") or line.startswith(b"Subscribed")


def messages(lines):
    """Stdout lines less the -d protocol trace."""
    return [l for l in lines if not is_debug(l)]


STDBUF = shutil.which("stdbuf")


def start_sub(args):
    """Start a subscriber with -d; return once its SUBACK is in.
    mosquitto_sub buffers stdout on a pipe, so it runs line-buffered."""
    if STDBUF is not None and not args[0].endswith("tern"):
        args = [STDBUF, "-oL"] + args
    p = Proc(args + ["-d"])
    p.wait_line(lambda l: l.startswith(b"Subscribed"))
    return p


def run(args, timeout=20, stdin=None):
    return subprocess.run(args, capture_output=True, timeout=timeout,
                          input=stdin)


@pytest.fixture
def passwd_file():
    """make(users) -> path of a mosquitto_passwd file for {user: password},
    in a directory a broker that drops root privileges can still read."""
    if MOSQ_PASSWD is None:
        pytest.skip("mosquitto_passwd not installed")
    d = tempfile.mkdtemp(prefix="tern-client-pw-")
    os.chmod(d, 0o755)
    path = os.path.join(d, "passwd")

    def make(users):
        for i, (user, pw) in enumerate(sorted(users.items())):
            args = [MOSQ_PASSWD, "-b"] + (["-c"] if i == 0 else [])
            subprocess.run(args + [path, user, pw], check=True,
                           capture_output=True)
        os.chmod(path, 0o644)
        return path

    yield make
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def tern():
    if not os.access(TERN, os.X_OK):
        pytest.skip("tern binary not built: %s" % TERN)
    return TERN


BROKER_MQTT5 = os.environ.get("TERN_TEST_BROKER_MQTT5", "1") != "0"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "mqtt5: needs a broker that serves MQTT 5")


def _needs_mqtt5(item):
    if item.get_closest_marker("mqtt5") is not None:
        return True
    params = getattr(getattr(item, "callspec", None), "params", {})
    return str(params.get("ver", "")) == "5"


def pytest_collection_modifyitems(config, items):
    if BROKER_MQTT5:
        return
    skip = pytest.mark.skip(reason="the broker under test does not serve "
                            "MQTT 5 yet")
    for item in items:
        if _needs_mqtt5(item):
            item.add_marker(skip)
