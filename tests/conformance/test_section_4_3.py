"""MQTT 3.1.1 section 4.3: the QoS flows, with the Server as sender (to
subscribers) and as receiver (from publishers)."""
import time

import pytest

import mqttraw
from mqttraw import publish

from .helpers import (all_msgs, drop, expect, nothing_received, ping, pub,
                      recv_msg, session, still_open, sub)


# ---------------------------------------------------------------- 4.3.1

def test_mqtt_4_3_1_1_qos0_sent_with_qos0_dup0_once(broker):
    """QoS 0 delivery: PUBLISH with QoS 0 and DUP 0, sent once (not again
    after a reconnection of a CleanSession 0 subscriber)."""
    s = session(broker.port, "q0", clean=False)
    sub(s, [("q0/t", 0)])
    p = session(broker.port, "pub")
    pub(p, "q0/t", b"once", qos=0)
    m = recv_msg(s)
    assert (m.qos, m.dup, m.pid) == (0, False, None)
    drop(s)
    time.sleep(0.2)
    s = session(broker.port, "q0", clean=False, expect_present=True)
    assert nothing_received(s), "QoS 0 message sent again"


# ---------------------------------------------------------------- 4.3.2

def test_mqtt_4_3_2_1_qos1_sender(broker):
    """Server as QoS 1 sender: a new PUBLISH has QoS 1, DUP 0 and an unused
    Packet Identifier; it stays unacknowledged (and is sent again after
    reconnection) until the PUBACK, and not after it."""
    s = session(broker.port, "q1", clean=False)
    sub(s, [("q1/#", 1)])
    p = session(broker.port, "pub")
    pub(p, "q1/acked", b"acked", qos=1, pid=1)
    pub(p, "q1/open", b"open", qos=1, pid=2)
    m1 = recv_msg(s, ack=False)
    m2 = recv_msg(s, ack=False)
    for m in (m1, m2):
        assert m.qos == 1 and not m.dup and m.pid
    assert m1.pid != m2.pid
    acked, unacked = (m1, m2) if m1.payload == b"acked" else (m2, m1)
    s.send(mqttraw.ack("puback", acked.pid))
    assert ping(s) == []
    drop(s)
    time.sleep(0.2)
    s = session(broker.port, "q1", clean=False, expect_present=True)
    got = all_msgs(s)
    assert [(m.payload, m.pid, m.dup) for m in got] == \
        [(unacked.payload, unacked.pid, True)]


def test_mqtt_4_3_2_2_qos1_receiver(broker):
    """Server as QoS 1 receiver: PUBACK with the PUBLISH's identifier; a
    later PUBLISH with the same identifier (even with DUP 1) is a new
    publication."""
    s = session(broker.port, "s")
    sub(s, [("r1/t", 1)])
    c = session(broker.port, "c")
    c.send(publish("r1/t", b"first", qos=1, pid=99))
    assert expect(c, "PUBACK").pid() == 99
    c.send(publish("r1/t", b"second", qos=1, pid=99, dup=True))
    assert expect(c, "PUBACK").pid() == 99
    got = [recv_msg(s), recv_msg(s)]
    assert [m.payload for m in got] == [b"first", b"second"]


# ---------------------------------------------------------------- 4.3.3

def test_mqtt_4_3_3_1_qos2_sender(broker):
    """Server as QoS 2 sender: PUBLISH with QoS 2, DUP 0; PUBREL with the
    same identifier after our PUBREC; the PUBREL stays unacknowledged
    until PUBCOMP, and after a reconnection the PUBREL (not the PUBLISH)
    is sent again."""
    s = session(broker.port, "q2", clean=False)
    sub(s, [("q2/t", 2)])
    p = session(broker.port, "pub")
    pub(p, "q2/t", b"exactly-once", qos=2)
    m = recv_msg(s, ack=False)
    assert m.qos == 2 and not m.dup and m.pid
    s.send(mqttraw.ack("pubrec", m.pid))
    rel = expect(s, "PUBREL")
    assert rel.pid() == m.pid and rel.flags == 2
    drop(s)
    time.sleep(0.2)
    s = session(broker.port, "q2", clean=False, expect_present=True)
    rel = s.recv()
    assert rel.name == "PUBREL" and rel.pid() == m.pid, \
        "expected PUBREL again, got %r" % rel
    s.send(mqttraw.ack("pubcomp", m.pid))
    assert nothing_received(s), "PUBLISH re-sent after PUBREL"
    # Completed: nothing more on a further reconnection.
    drop(s)
    time.sleep(0.2)
    s = session(broker.port, "q2", clean=False, expect_present=True)
    assert nothing_received(s)


def test_mqtt_4_3_3_2_qos2_receiver(broker):
    """Server as QoS 2 receiver: PUBREC with the identifier; a repeated
    PUBLISH before the PUBREL gets PUBREC again and is not delivered
    twice; PUBREL gets PUBCOMP with the same identifier; after the PUBCOMP
    the identifier starts a new publication."""
    s = session(broker.port, "s")
    sub(s, [("r2/t", 2)])
    c = session(broker.port, "c")
    c.send(publish("r2/t", b"one", qos=2, pid=300))
    assert expect(c, "PUBREC").pid() == 300
    c.send(publish("r2/t", b"one", qos=2, pid=300, dup=True))
    assert expect(c, "PUBREC").pid() == 300
    c.send(mqttraw.ack("pubrel", 300))
    assert expect(c, "PUBCOMP").pid() == 300
    c.send(publish("r2/t", b"two", qos=2, pid=300))
    assert expect(c, "PUBREC").pid() == 300
    c.send(mqttraw.ack("pubrel", 300))
    assert expect(c, "PUBCOMP").pid() == 300
    got = all_msgs(s)
    assert [m.payload for m in got] == [b"one", b"two"]


def test_mqtt_4_3_3_2_pubrel_always_answered(broker):
    """A PUBREL is answered by PUBCOMP with its identifier, also when the
    identifier is not (or no longer) in use."""
    c = session(broker.port, "c")
    c.send(mqttraw.ack("pubrel", 1234))
    assert expect(c, "PUBCOMP").pid() == 1234
    c.send(publish("r2/x", b"x", qos=2, pid=7))
    assert expect(c, "PUBREC").pid() == 7
    c.send(mqttraw.ack("pubrel", 7) + mqttraw.ack("pubrel", 7))
    assert expect(c, "PUBCOMP").pid() == 7
    assert expect(c, "PUBCOMP").pid() == 7
    assert still_open(c)


# mosquitto 2.0.11 limits the QoS 2 messages a client may have unreleased
# (max_inflight_messages, 20 by default): further QoS 2 PUBLISH packets are
# still answered with PUBREC, and PUBCOMP after the PUBREL, but the
# messages are silently discarded. MQTT 3.1.1 has no such quota: a PUBREC
# is sent "having accepted ownership of the Application Message".
@pytest.mark.mosquitto_differs
def test_mqtt_4_3_3_2_pubrec_accepts_ownership(broker):
    """Every message acknowledged with PUBREC is delivered, also in a
    burst of 40 QoS 2 PUBLISH packets sent before any PUBREL."""
    s = session(broker.port, "s")
    sub(s, [("own/t", 2)])
    c = session(broker.port, "c")
    n = 40
    c.send(b"".join(publish("own/t", b"%03d" % i, qos=2, pid=i + 1)
                    for i in range(n)))
    for i in range(n):
        c.send(mqttraw.ack("pubrel", expect(c, "PUBREC").pid()))
    for i in range(n):
        expect(c, "PUBCOMP")
    got = [recv_msg(s).payload for _ in range(n)]
    assert got == [b"%03d" % i for i in range(n)]
