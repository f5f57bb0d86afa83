"""$SYS: with sys_interval 1, the broker publishes its statistics under
$SYS/broker/..., retained, with mosquitto's topic names and formats, and
the counters move."""
import queue
import re
import time

import pytest

from helpers import go_offline, raw_disconnect, uid

REQUIRED = [
    "$SYS/broker/version",
    "$SYS/broker/uptime",
    "$SYS/broker/clients/connected",
    "$SYS/broker/clients/disconnected",
    "$SYS/broker/clients/total",
    "$SYS/broker/clients/maximum",
    "$SYS/broker/messages/received",
    "$SYS/broker/messages/sent",
    "$SYS/broker/bytes/received",
    "$SYS/broker/bytes/sent",
    "$SYS/broker/publish/messages/dropped",
    "$SYS/broker/subscriptions/count",
    "$SYS/broker/retained messages/count",
]
COUNTERS = REQUIRED[2:]


class SysWatch:
    """A paho client subscribed to $SYS/broker/#, keeping the latest value
    of each topic."""

    def __init__(self, pahof, broker):
        self.c = pahof(broker, uid())
        self.values = {}
        self.retained = {}
        self.c.subscribe("$SYS/broker/#", 0)

    def pump(self, timeout):
        m = self.c.get(timeout=timeout)
        self.values[m.topic] = m.payload.decode()
        self.retained.setdefault(m.topic, m.retain)
        return m

    def wait(self, pred, timeout=5.0, what=""):
        deadline = time.time() + timeout
        while not pred():
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError("timed out waiting for %s; have %r" % (
                    what, self.values))
            try:
                self.pump(left)
            except queue.Empty:
                pass

    def num(self, topic):
        return int(self.values[topic])

    def wait_num(self, topic, pred, timeout=5.0):
        def ok():
            return topic in self.values and pred(self.num(topic))
        self.wait(ok, timeout, topic)
        return self.num(topic)


@pytest.fixture
def sysb(broker_factory):
    return broker_factory(["sys_interval 1"])


def test_sys_topics_published_retained(sysb, pahof):
    """A subscriber to "$SYS/broker/#" receives at least the usual topics,
    exactly so named (mosquitto's names, "retained messages/count" with its
    space included), as retained messages, with mosquitto's value formats:
    "<n> seconds" for uptime, decimal integers for the counters."""
    first = SysWatch(pahof, sysb)
    first.wait(lambda: all(t in first.values for t in REQUIRED), 4, "all $SYS topics")
    # Everything has been published once by now: a new subscriber gets it
    # all as retained messages.
    w = SysWatch(pahof, sysb)
    w.wait(lambda: all(t in w.values for t in REQUIRED), 4, "all $SYS topics")
    missing = [t for t in REQUIRED if not w.retained[t]]
    assert missing == [], "not sent as retained: %r" % missing
    assert w.values["$SYS/broker/version"].strip()
    assert re.fullmatch(r"\d+ seconds", w.values["$SYS/broker/uptime"])
    for t in COUNTERS:
        assert re.fullmatch(r"\d+", w.values[t]), (t, w.values[t])
    assert w.num("$SYS/broker/clients/connected") >= 1   # the watcher itself
    assert w.num("$SYS/broker/subscriptions/count") >= 1
    assert w.num("$SYS/broker/clients/maximum") >= w.num("$SYS/broker/clients/connected")


def test_sys_uptime_advances(sysb, pahof):
    """$SYS/broker/uptime is republished every sys_interval and grows."""
    w = SysWatch(pahof, sysb)
    w.wait(lambda: "$SYS/broker/uptime" in w.values, 4, "uptime")
    first = int(w.values["$SYS/broker/uptime"].split()[0])
    w.wait(lambda: int(w.values["$SYS/broker/uptime"].split()[0]) > first, 4,
           "uptime to advance")


def test_sys_clients_connected_moves(sysb, pahof, rawf):
    """clients/connected goes up when clients connect and back down when
    they leave; clients/total and clients/maximum follow; a persistent
    session left behind counts in clients/disconnected."""
    w = SysWatch(pahof, sysb)
    base = w.wait_num("$SYS/broker/clients/connected", lambda n: n >= 1)
    total0 = w.wait_num("$SYS/broker/clients/total", lambda n: n >= 1)
    disc0 = w.wait_num("$SYS/broker/clients/disconnected", lambda n: n >= 0)
    extra = [rawf(sysb, uid()) for _ in range(3)]
    go_offline(sysb, uid("p"), [("sys/x", 1)])
    w.wait_num("$SYS/broker/clients/connected", lambda n: n == base + 3)
    w.wait_num("$SYS/broker/clients/total", lambda n: n >= total0 + 4)
    w.wait_num("$SYS/broker/clients/maximum", lambda n: n >= base + 3)
    w.wait_num("$SYS/broker/clients/disconnected", lambda n: n == disc0 + 1)
    for c in extra:
        raw_disconnect(c)
    w.wait_num("$SYS/broker/clients/connected", lambda n: n == base)


def test_sys_message_and_byte_counters_move(sysb, pahof):
    """messages/received, messages/sent, bytes/received, bytes/sent,
    subscriptions/count and retained messages/count grow with traffic."""
    w = SysWatch(pahof, sysb)
    w.wait(lambda: all(t in w.values for t in COUNTERS), 4, "counters")
    before = {t: w.num(t) for t in COUNTERS}
    c = pahof(sysb, uid())
    base = uid()
    c.subscribe([(base + "/a", 1), (base + "/b", 1)])
    for i in range(5):
        c.publish(base + "/a", b"x" * 100, qos=1, retain=True)
        c.publish(base + "/b/%d" % i, b"y", qos=1, retain=True)
    c.get_n(5)
    for t, grow in [("$SYS/broker/messages/received", 10),
                    ("$SYS/broker/messages/sent", 5),
                    ("$SYS/broker/bytes/received", 500),
                    ("$SYS/broker/bytes/sent", 500),
                    ("$SYS/broker/subscriptions/count", 2),
                    ("$SYS/broker/retained messages/count", 6)]:
        w.wait_num(t, lambda n, t=t, grow=grow: n >= before[t] + grow)


def test_sys_dropped_counts_queue_overflow(broker_factory, pahof):
    """publish/messages/dropped counts messages dropped because a session's
    queue was full."""
    b = broker_factory(["sys_interval 1", "max_inflight_messages 1",
                        "max_queued_messages 1"])
    w = SysWatch(pahof, b)
    d0 = w.wait_num("$SYS/broker/publish/messages/dropped", lambda n: n >= 0)
    topic = "drop/" + uid()
    go_offline(b, uid("d"), [(topic, 1)])
    pub = pahof(b, uid())
    for i in range(6):
        pub.publish(topic, b"%d" % i, qos=1)
    w.wait_num("$SYS/broker/publish/messages/dropped", lambda n: n >= d0 + 3)
