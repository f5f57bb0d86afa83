"""Backpressure under load with the default queue caps (max_queued_messages
1000, max_inflight_messages 20): unpaced publishers through `tern bench`,
which counts loss, duplicates and order per publisher. Whatever the broker
acknowledged reaches a subscriber that keeps reading; a subscriber that
never reads neither loses the others anything nor holds them up
(docs/ARCHITECTURE.md "Backpressure")."""
import json
import os
import socket
import subprocess
import threading
import time

import pytest

import mqttraw

pytestmark = pytest.mark.tern_only

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
TERN = os.path.join(os.path.dirname(os.environ.get(
    "TERND", os.path.join(ROOT, "build", "ternd"))), "tern")


@pytest.fixture
def tern():
    if not os.access(TERN, os.X_OK):
        pytest.skip("tern binary not built: %s" % TERN)
    return TERN


def bench(tern, broker, *args, timeout=120):
    """`tern bench ARGS --json` against @broker; the parsed report."""
    cmd = [tern, "bench"] + [str(a) for a in args] + [
        "--json", "-h", "127.0.0.1", "-p", str(broker.port)]
    p = subprocess.run(cmd, capture_output=True, timeout=timeout)
    assert p.stdout.startswith(b"{"), p.stderr
    return json.loads(p.stdout)


def assert_all_delivered(j, sent):
    assert j["sent"] == sent and j["acked"] == sent, j
    assert j["lost"] == 0, j
    assert j["duplicates"] == 0, j
    assert j["out_of_order"] == 0, j
    assert j["received"] == sent, j
    assert j["connections"]["lost"] == 0, j


@pytest.mark.parametrize("qos", [1, 2])
def test_fanin_default_caps_loses_nothing(broker, tern, qos):
    """16 unpaced publishers into one subscriber's queue of 1,000: the
    publishers are held, nothing acknowledged is dropped, nothing twice."""
    j = bench(tern, broker, "fanin", "-c", 16, "-q", qos, "--count", 3000,
              "-t", "flow/in/%i")
    assert_all_delivered(j, 16 * 3000)


def stuck_subscriber(broker, topic, qos):
    """A subscriber with a small receive buffer that never reads again."""
    c = mqttraw.Client(broker.port)
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    assert c.connect("stuck-%d" % qos, keepalive=0).body[1] == 0
    c.send(mqttraw.subscribe(1, [(topic, qos)]))
    c.expect("SUBACK")
    return c


def test_stuck_subscribers_cost_the_others_nothing(broker, tern):
    """Two subscribers on every topic that never read (QoS 0 and 1): their
    queues fill and drop by policy; the others get every QoS 1 message and
    the run ends (nobody waits for the stuck ones)."""
    stuck = [stuck_subscriber(broker, "flow/in/+", q) for q in (0, 1)]
    j = bench(tern, broker, "fanin", "-c", 16, "-q", 1, "-m", 512,
              "--count", 2000, "-t", "flow/in/%i")
    assert_all_delivered(j, 16 * 2000)
    assert broker.alive()
    for c in stuck:
        c.sock.close()


class SlowReader(threading.Thread):
    """Reads up to 40 KiB from @sock every 10 ms (at most 4 MB/s) until
    stopped: a subscriber that keeps taking messages, but slower than
    unpaced publishers write them."""

    def __init__(self, sock):
        super().__init__(daemon=True)
        self.sock, self.read = sock, 0
        self.stop = threading.Event()
        sock.settimeout(0.001)

    def run(self):
        while not self.stop.wait(0.01):
            got = 0
            while got < 40960:
                try:
                    n = len(self.sock.recv(40960 - got))
                except socket.timeout:
                    break
                if n == 0:
                    return
                got += n
            self.read += got


def timed_fanin(tern, broker, count):
    t0 = time.monotonic()
    j = bench(tern, broker, "fanin", "-c", 16, "-q", 1, "-m", 512,
              "--count", count, "-t", "flow/in/%i", timeout=180)
    assert_all_delivered(j, 16 * count)
    return time.monotonic() - t0


def test_slow_subscriber_does_not_set_the_others_pace(broker, tern):
    """A subscriber on every topic that reads, but at most 4 MB/s, holds
    the publishers for at most a second, then its caps apply, for a
    cooldown that doubles each time (docs/ARCHITECTURE.md "Backpressure").
    Held to its pace, the 170 MB of the run would take over 40 s whatever
    the broker's speed; as it is, the run takes not much longer than
    without it, and the others still get every QoS 1 message, once and in
    order."""
    alone = timed_fanin(tern, broker, 20000)
    c = mqttraw.Client(broker.port)
    assert c.connect("slow", keepalive=0).body[1] == 0
    c.send(mqttraw.subscribe(1, [("flow/in/+", 0)]))
    c.expect("SUBACK")
    reader = SlowReader(c.sock)
    reader.start()
    shared = timed_fanin(tern, broker, 20000)
    reader.stop.set()
    reader.join()
    assert reader.read > 1 << 20, "the slow subscriber never progressed"
    assert shared < 2 * alone + 5, (alone, shared)
    assert broker.alive()
    c.sock.close()
