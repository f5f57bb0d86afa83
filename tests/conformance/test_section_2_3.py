"""MQTT 3.1.1 section 2.3.1: Packet Identifiers."""

import pytest

import mqttraw
from mqttraw import mqtt_str, publish, subscribe, unsubscribe

from .helpers import drop, pub, recv_msg, session, sub


@pytest.mark.parametrize("kind", ["publish_qos1", "publish_qos2",
                                  "subscribe", "unsubscribe"])
def test_mqtt_2_3_1_1_zero_packet_id_closes_connection(broker, kind):
    """A SUBSCRIBE, UNSUBSCRIBE or QoS>0 PUBLISH with Packet Identifier 0
    is a protocol violation: the Server closes the connection (and does
    not route the message)."""
    watcher = session(broker.port, "watcher")
    sub(watcher, [("#", 0)])
    c = session(broker.port, "zero")
    data = {
        "publish_qos1": publish("z", b"x", qos=1, pid=0),
        "publish_qos2": publish("z", b"x", qos=2, pid=0),
        "subscribe": subscribe(0, [("z", 0)]),
        "unsubscribe": unsubscribe(0, ["z"]),
    }[kind]
    c.send(data)
    assert c.closed(), "connection left open after packet id 0"
    pub(watcher, "marker", b"m")
    assert recv_msg(watcher).topic == "marker"


def test_mqtt_2_3_1_1_server_publish_has_nonzero_packet_id(broker):
    """Every QoS>0 PUBLISH the Server sends carries a non-zero Packet
    Identifier."""
    s = session(broker.port, "s")
    sub(s, [("q/#", 2)])
    p = session(broker.port, "p")
    for i in range(6):
        pub(p, "q/%d" % i, b"m%d" % i, qos=1 + i % 2, pid=i + 1)
    for m in [recv_msg(s) for _ in range(6)]:
        assert m.qos in (1, 2)
        assert m.pid is not None and m.pid != 0


def test_mqtt_2_3_1_4_server_uses_unused_packet_ids(broker):
    """The Server assigns a currently unused Packet Identifier to each new
    QoS>0 PUBLISH: with several QoS 1 and QoS 2 messages unacknowledged at
    once, the identifiers are pairwise distinct. A re-send uses the same
    identifier."""
    s = session(broker.port, "s", clean=False)
    sub(s, [("q/#", 2)])
    p = session(broker.port, "p")
    for i in range(8):
        pub(p, "q/%d" % i, b"m%d" % i, qos=1 + i % 2, pid=100 + i)
    got = [recv_msg(s, ack=False) for _ in range(8)]
    ids = [m.pid for m in got]
    assert all(ids), ids
    assert len(set(ids)) == len(ids), "identifier in use reused: %r" % ids
    # Re-sent after reconnection: same identifiers for the same messages.
    drop(s)
    s = session(broker.port, "s", clean=False, expect_present=True)
    again = [recv_msg(s) for _ in range(8)]
    assert {m.payload: m.pid for m in again} == \
        {m.payload: m.pid for m in got}


def test_mqtt_2_3_1_5_server_qos0_publish_has_no_packet_id(broker):
    """A QoS 0 PUBLISH from the Server has no Packet Identifier: the
    variable header is the topic alone, the rest is the payload. Checked
    for messages published at QoS 0, 1 and 2 and delivered at QoS 0."""
    s = session(broker.port, "s")
    sub(s, [("z/#", 0)])
    p = session(broker.port, "p")
    for q in (0, 1, 2):
        pub(p, "z/%d" % q, b"\x12\x34payload", qos=q, pid=7)
        m = recv_msg(s)
        assert m.qos == 0
        assert m.packet.body == mqtt_str("z/%d" % q) + b"\x12\x34payload"


@pytest.mark.parametrize("pid", [1, 0x1234, 0xFFFF])
def test_mqtt_2_3_1_6_ack_carries_publish_packet_id(broker, pid):
    """PUBACK and PUBREC from the Server carry the Packet Identifier of the
    Client's PUBLISH; the Server's PUBREL carries the identifier of the
    PUBLISH it sent."""
    c = session(broker.port, "c")
    sub(c, [("other", 2)])
    c.send(publish("t", b"x", qos=1, pid=pid))
    assert c.expect("PUBACK").pid() == pid
    c.send(publish("t", b"x", qos=2, pid=pid))
    assert c.expect("PUBREC").pid() == pid
    c.send(mqttraw.ack("pubrel", pid))
    assert c.expect("PUBCOMP").pid() == pid
    # Server as QoS 2 sender.
    p = session(broker.port, "p")
    pub(p, "other", b"y", qos=2, pid=pid)
    m = recv_msg(c, ack=False)
    assert m.qos == 2
    c.send(mqttraw.ack("pubrec", m.pid))
    rel = c.expect("PUBREL")
    assert rel.pid() == m.pid
    c.send(mqttraw.ack("pubcomp", m.pid))


def test_mqtt_2_3_1_7_suback_unsuback_carry_request_packet_id(broker):
    """SUBACK and UNSUBACK carry the Packet Identifier of the SUBSCRIBE and
    UNSUBSCRIBE they answer, also with several requests in flight."""
    c = session(broker.port, "c")
    pids = [1, 0x0102, 0x7FFF, 0x8000, 0xFFFF]
    for i, pid in enumerate(pids):
        c.send(subscribe(pid, [("s/%d" % i, i % 3)]))
    acks = [c.expect("SUBACK") for _ in pids]
    assert sorted(a.pid() for a in acks) == sorted(pids)
    for i, pid in enumerate(pids):
        c.send(unsubscribe(pid, ["s/%d" % i]))
    acks = [c.expect("UNSUBACK") for _ in pids]
    assert sorted(a.pid() for a in acks) == sorted(pids)
