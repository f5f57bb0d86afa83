"""The broker under test, one process per test on a free loopback port, for
every Python suite (integration, conformance, hostile, client, bench).

Which broker runs:
  TERN_TEST_BROKER      "ternd" (default: the binary named by TERND,
                        default build/ternd) or "mosquitto" (Debian's
                        /usr/sbin/mosquitto), so that every behavioural
                        test can be checked against the reference broker.
  TERN_TEST_BROKER_CMD  any other broker command, which overrides the
                        above. It is run with "-c <conf>" appended, unless
                        it contains "{conf}" or "{port}", which are
                        substituted. The config is mosquitto.conf syntax.

A suite's conftest.py imports the fixtures `broker_factory` and `broker`
from here, and may override `broker_args` (extra command-line arguments for
every broker of the suite) or `broker`.
"""
import itertools
import os
import shlex
import socket
import subprocess
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BROKER_KIND = os.environ.get("TERN_TEST_BROKER", "ternd")
BROKER_CMD = os.environ.get("TERN_TEST_BROKER_CMD", "")
# Absolute: the broker runs in the test's own directory.
TERND = os.path.abspath(os.environ.get("TERND",
                                      os.path.join(ROOT, "build", "ternd")))
MOSQUITTO = "/usr/sbin/mosquitto"

# Log lines that fail a test even when every assertion passed.
SANITIZER_REPORTS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                     "runtime error:", "ThreadSanitizer")

_serial = itertools.count()


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


def broker_command(conf_path, port):
    """The command line that starts the broker under test on conf_path."""
    if BROKER_CMD:
        if "{conf}" in BROKER_CMD or "{port}" in BROKER_CMD:
            return shlex.split(BROKER_CMD.format(conf=conf_path, port=port))
        return shlex.split(BROKER_CMD) + ["-c", conf_path]
    binary = MOSQUITTO if BROKER_KIND == "mosquitto" else TERND
    return [binary, "-c", conf_path]


class Broker:
    """One broker process listening on 127.0.0.1:port. conf is a list of
    mosquitto.conf lines added after the listener line (and after
    "allow_anonymous true", unless conf sets allow_anonymous itself).
    stop() and start() restart it on the same port and configuration; its
    log collects the output of every run."""

    def __init__(self, tmpdir, conf=(), extra_args=(), port=None):
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.tmpdir = str(tmpdir)
        # One file name per Broker, even when a test restarts a port.
        stem = os.path.join(self.tmpdir,
                            "broker-%d-%d" % (self.port, next(_serial)))
        self.conf_path = stem + ".conf"
        self.log_path = stem + ".log"
        lines = ["listener %d 127.0.0.1" % self.port]
        if not any(l.startswith("allow_anonymous") for l in conf):
            lines.append("allow_anonymous true")
        lines += list(conf)
        with open(self.conf_path, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.cmd = broker_command(self.conf_path, self.port) + list(extra_args)
        self.proc = None
        self.log = None
        self.start()

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.cmd, stdout=self.log,
                                     stderr=subprocess.STDOUT,
                                     cwd=self.tmpdir)
        if not wait_port(self.port):
            self.stop()
            raise RuntimeError("broker did not start:\n" + self.read_log())

    def read_log(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig=None):
        """Stop the broker (SIGTERM unless sig is given); returns its exit
        code."""
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
def broker_args():
    """Extra command-line arguments for every broker of the suite."""
    return ()


@pytest.fixture
def broker_factory(tmp_path, broker_args):
    """make(conf=(), extra_args=(), port=None) -> a started Broker. At
    teardown each is stopped, and the test fails if one crashed or its log
    holds a sanitizer report."""
    started = []

    def make(conf=(), extra_args=(), port=None):
        b = Broker(tmp_path, conf, tuple(broker_args) + tuple(extra_args),
                   port)
        started.append(b)
        return b

    yield make
    for b in started:
        rc = b.stop()
        log = b.read_log()
        for report in SANITIZER_REPORTS:
            assert report not in log, log[-4000:]
        assert rc in (0, -15), "broker exited with %s\n%s" % (rc, log[-4000:])


@pytest.fixture
def broker(broker_factory):
    """A broker on default settings (plus allow_anonymous true)."""
    return broker_factory()
