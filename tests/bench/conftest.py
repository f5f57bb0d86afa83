"""Fixtures for the `tern bench` suite: a broker per test on a free
loopback port, a runner for the bench, and an independent paho subscriber
to check the bench's counts against.

Environment:
  TERN_TEST_BROKER_CMD  broker command (default "mosquitto"). It is run
                        with "-c <conf>" appended, unless it contains
                        "{conf}" or "{port}", which are substituted. The
                        config is mosquitto.conf syntax (ternd reads it).
  TERN_BIN              the tern binary (default build/tern)
"""
import json
import os
import shlex
import socket
import subprocess
import threading
import time

import paho.mqtt.client as mqtt
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BROKER_CMD = os.environ.get("TERN_TEST_BROKER_CMD", "mosquitto")
TERN = os.environ.get("TERN_BIN", os.path.join(ROOT, "build", "tern"))

# What the delivery tests need of any broker: queues that do not drop a
# burst by policy, and an outbound window that never fills. The second
# also steps around Debian's mosquitto 2.0.11, which leaves QoS 2
# messages queued behind a full inflight window (max_inflight_messages,
# 20 by default) undelivered.
ROOMY = ["max_queued_messages 1000000", "max_inflight_messages 0"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class Broker:
    """A broker process listening on 127.0.0.1:port."""

    def __init__(self, tmpdir, conf=()):
        self.port = free_port()
        self.tmpdir = str(tmpdir)
        self.conf = os.path.join(self.tmpdir, "broker-%d.conf" % self.port)
        lines = ["listener %d 127.0.0.1" % self.port,
                 "allow_anonymous true"] + list(conf)
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.log_path = os.path.join(self.tmpdir, "broker-%d.log" % self.port)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.command(), stdout=self.log,
                                     stderr=subprocess.STDOUT,
                                     cwd=self.tmpdir)
        if not wait_port(self.port):
            self.stop()
            raise RuntimeError("broker did not start:\n" + self.read_log())

    def command(self):
        if "{conf}" in BROKER_CMD or "{port}" in BROKER_CMD:
            return shlex.split(BROKER_CMD.format(conf=self.conf,
                                                 port=self.port))
        return shlex.split(BROKER_CMD) + ["-c", self.conf]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.log.closed:
            self.log.close()

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


@pytest.fixture
def broker_factory(tmp_path):
    started = []

    def make(conf=ROOMY):
        b = Broker(tmp_path, conf)
        started.append(b)
        return b

    yield make
    for b in started:
        b.stop()


@pytest.fixture
def broker(broker_factory):
    return broker_factory()


@pytest.fixture
def tern():
    if not os.access(TERN, os.X_OK):
        pytest.skip("tern binary not built: %s" % TERN)
    return TERN


class Result:
    def __init__(self, proc, stdout, stderr):
        self.rc = proc.returncode
        self.stdout = stdout.decode("utf-8", "replace")
        self.stderr = stderr.decode("utf-8", "replace")
        self.json = None
        if self.stdout.startswith("{"):
            self.json = json.loads(self.stdout)

    def __repr__(self):
        return "rc=%d\nstdout:\n%s\nstderr:\n%s" % (self.rc, self.stdout,
                                                    self.stderr)


def bench(tern, broker, *args, timeout=60):
    """Run `tern bench ARGS -h 127.0.0.1 -p PORT`; wait for it."""
    cmd = [tern, "bench"] + [str(a) for a in args] + [
        "-h", "127.0.0.1", "-p", str(broker.port)]
    p = subprocess.run(cmd, capture_output=True, timeout=timeout)
    return Result(p, p.stdout, p.stderr)


def bench_start(tern, broker, *args):
    """Start the bench in the background; returns the Popen."""
    cmd = [tern, "bench"] + [str(a) for a in args] + [
        "-h", "127.0.0.1", "-p", str(broker.port)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def bench_finish(p, timeout=60):
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        raise
    return Result(p, out, err)


class Watcher:
    """An independent paho subscriber: counts what it receives per topic
    and notes each (publisher, sequence) pair of the bench header."""

    def __init__(self, port, topic, qos):
        self.count = 0
        self.by_topic = {}
        self.keys = set()
        self.dups = 0
        self.lock = threading.Lock()
        self.subscribed = threading.Event()
        self.c = mqtt.Client(client_id="bench-watch-%d" % os.getpid(),
                             clean_session=True)
        self.c.on_message = self._message
        self.c.on_subscribe = lambda c, u, mid, granted: \
            self.subscribed.set()
        self.c.connect("127.0.0.1", port)
        self.c.subscribe(topic, qos)
        self.c.loop_start()
        if not self.subscribed.wait(10):
            raise RuntimeError("watcher not subscribed")

    def _message(self, client, userdata, m):
        key = (m.topic, m.payload[8:16])
        with self.lock:
            self.count += 1
            self.by_topic[m.topic] = self.by_topic.get(m.topic, 0) + 1
            if key in self.keys:
                self.dups += 1
            self.keys.add(key)

    def settle(self, expected, timeout=10.0):
        """Wait until @expected messages are in (or nothing more comes)."""
        end = time.time() + timeout
        last, since = -1, time.time()
        while time.time() < end and self.count < expected:
            if self.count != last:
                last, since = self.count, time.time()
            elif time.time() - since > 2:
                break
            time.sleep(0.05)
        return self.count

    def stop(self):
        self.c.loop_stop()
        self.c.disconnect()


@pytest.fixture
def watcher():
    made = []

    def make(port, topic, qos=2):
        w = Watcher(port, topic, qos)
        made.append(w)
        return w

    yield make
    for w in made:
        w.stop()
