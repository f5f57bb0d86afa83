"""Fixtures for the `tern bench` suite: a broker per test on a free
loopback port (tests/brokers.py: TERN_TEST_BROKER, TERND and
TERN_TEST_BROKER_CMD choose it), a runner for the bench, and an
independent paho subscriber to check the bench's counts against.

Environment:
  TERN_BIN              the tern binary (default build/tern)
"""
import json
import os
import subprocess
import sys
import threading
import time

import paho.mqtt.client as mqtt
import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from brokers import (ROOT, broker_args,  # noqa: E402,F401
                     broker_factory, free_port)

TERN = os.environ.get("TERN_BIN", os.path.join(ROOT, "build", "tern"))

# What the delivery tests need of any broker: queues that do not drop a
# burst by policy, and an outbound window that never fills. The second
# also steps around Debian's mosquitto 2.0.11, which leaves QoS 2
# messages queued behind a full inflight window (max_inflight_messages,
# 20 by default) undelivered.
ROOMY = ["max_queued_messages 1000000", "max_inflight_messages 0"]


@pytest.fixture
def broker(broker_factory):
    """A broker with ROOMY queues."""
    return broker_factory(ROOMY)


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
