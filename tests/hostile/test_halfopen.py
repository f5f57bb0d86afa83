"""Half-open and reset connections: a client that closes its write side
(FIN) and one that resets the connection (RST, SO_LINGER 0) at awkward
moments. The broker must notice at once, handle it as a close without
DISCONNECT (the will is published, [MQTT-3.1.2-8]), free the connection,
and keep serving everyone else.

Each test checks (a) the hostile connection is closed within a bounded
time, (b) a client connected before still publishes and receives, (c) a
new client still connects, subscribes, publishes and receives.
"""
import socket
import struct
import time

import pytest

import mqttraw
from hostile_lib import Bystander, HeapWatch, Raw, connected, survives, uid

pytestmark = pytest.mark.tern_only


def reset(c):
    """Close with RST instead of FIN."""
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                      struct.pack("ii", 1, 0))
    c.sock.close()


def will_watcher(broker):
    topic = "will/" + uid()
    w = connected(broker)
    assert w.subscribe([(topic, 0)]) == [0]
    return w, topic


def expect_will(w, payload, timeout=3.0):
    p = w.expect("PUBLISH", timeout)
    assert p.publish_fields()[2] == payload


def test_write_side_closed_after_connect(broker, raws, bystander):
    """shutdown(SHUT_WR) right after CONNECT: the broker reads end of
    stream, closes its side within a bounded time and publishes the will
    (no DISCONNECT came)."""
    by = bystander(broker)
    w, topic = will_watcher(broker)
    bad = raws(broker)
    assert bad.connect(uid(), will=(topic, b"half", 0, False)).body[1] == 0
    bad.sock.shutdown(socket.SHUT_WR)
    bad.assert_closed(2.0, "half-closed client")
    expect_will(w, b"half")
    survives(broker, by)


def test_packets_then_write_side_closed(broker, raws, bystander):
    """CONNECT, a PUBLISH and then FIN in one burst: the PUBLISH that
    arrived before the end of stream is still routed, then the
    connection closes and the will follows it."""
    by = bystander(broker)
    w, topic = will_watcher(broker)
    bad = raws(broker)
    bad.send(mqttraw.connect(uid(), will=(topic, b"will", 0, False)) +
             mqttraw.publish(topic, b"before-fin"))
    bad.sock.shutdown(socket.SHUT_WR)
    closed, got = bad.wait_close(2.0)
    assert closed, "half-closed client still open"
    assert [p.name for p in got] in ([], ["CONNACK"]), got
    expect_will(w, b"before-fin")
    expect_will(w, b"will")
    survives(broker, by)


@pytest.mark.parametrize("cut", [1, 2, 7, -1])
def test_write_side_closed_inside_connect(broker_factory, raws, bystander,
                                          cut):
    """FIN in the middle of the CONNECT: closed at once, not after
    connect_timeout (10 s here)."""
    b = broker_factory(conf=["connect_timeout 10"])
    by = bystander(b)
    bad = raws(b)
    bad.send(mqttraw.connect(uid())[:cut])
    bad.sock.shutdown(socket.SHUT_WR)
    bad.assert_closed(2.0, "CONNECT cut by FIN")
    survives(b, by)


@pytest.mark.parametrize("when", ["after-connect", "mid-connect",
                                  "mid-publish", "mid-length",
                                  "with-connect"])
def test_reset_mid_packet(broker, raws, bystander, when):
    """RST (SO_LINGER 0) in the middle of a packet, right after a
    complete CONNECT, or in the same burst as the CONNECT (the CONNACK
    then meets a reset socket): no crash, the will of a connected client
    is published, others are served."""
    by = bystander(broker)
    w, topic = will_watcher(broker)
    bad = raws(broker)
    connects = when not in ("mid-connect",)
    if when == "with-connect":
        bad.send(mqttraw.connect(uid(), will=(topic, b"rst", 0, False)))
        time.sleep(0.05)    # let the broker read it before the reset
    elif connects:
        assert bad.connect(uid(), will=(topic, b"rst", 0, False)).body[1] == 0
    if when == "mid-connect":
        bad.send(mqttraw.connect(uid())[:9])
    elif when == "mid-publish":
        bad.send(mqttraw.publish("t/x", b"y" * 1000)[:500])
    elif when == "mid-length":
        bad.send(b"\x30\xff")
    reset(bad)
    if connects:
        expect_will(w, b"rst")
    survives(broker, by)


def test_reset_with_output_pending(broker_factory):
    """A subscriber with a full socket and queued messages (it never
    reads) resets: its queued output and session are freed, the heap
    comes back to baseline, the publisher is not disturbed."""
    b = broker_factory(conf=["sys_interval 1", "max_queued_messages 100"])
    heap = HeapWatch(b)
    by = Bystander(b)
    base = min(heap.next(), heap.next())
    topic = "pending/" + uid()
    for round_ in range(3):
        stalled = Raw(b.port, rcvbuf=4096)
        assert stalled.connect(uid()).body[1] == 0
        assert stalled.subscribe([(topic, 1)]) == [1]
        pub = connected(b)
        blob = b"".join(mqttraw.publish(topic, b"z" * 1000, qos=1,
                                        pid=i % 65535 + 1)
                        for i in range(2000))
        pub.send(blob)
        for _ in range(2000):
            pub.expect("PUBACK")
        reset(stalled)
        pub.close()
        by.check()
    for _ in range(4):
        now = heap.next()
        if now <= base + 64 * 1024:
            break
    assert now <= base + 64 * 1024, "heap %d, baseline %d" % (now, base)
    survives(b, by)
    by.close()
