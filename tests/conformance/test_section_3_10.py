"""MQTT 3.1.1 section 3.10: UNSUBSCRIBE."""

import pytest

import mqttraw
from mqttraw import mqtt_str, unsubscribe

from .helpers import (all_msgs, drop, expect, nothing_received, pub, recv_msg,
                      session, still_open, sub, unsub)


@pytest.mark.parametrize("first", [0xA0, 0xA1, 0xA3, 0xA6, 0xAA])
def test_mqtt_3_10_1_1_unsubscribe_flags_must_be_0010(broker, first):
    c = session(broker.port, "uf")
    sub(c, [("uf/t", 0)])
    c.send(mqttraw.packet(first, b"\x00\x02" + mqtt_str("uf/t")))
    try:
        p = c.recv()
    except (ConnectionError, OSError):
        return
    raise AssertionError("answered %r" % p)


@pytest.mark.parametrize("flt", [b"a/\xed\xbf\xbf", b"\xe0\x80\xaf",
                                 b"a\x00b"])
def test_mqtt_3_10_3_1_topic_filters_must_be_utf8(broker, flt):
    c = session(broker.port, "u8")
    c.send(unsubscribe(1, ["ok/t", flt]))
    assert c.closed()


def test_mqtt_3_10_3_2_unsubscribe_without_payload_closes(broker):
    c = session(broker.port, "np")
    c.send(mqttraw.packet(0xA2, b"\x00\x01"))
    assert c.closed()


def test_mqtt_3_10_4_1_filters_compared_byte_for_byte(broker):
    """Only a subscription whose filter is byte-for-byte identical is
    deleted: not one that merely matches, overlaps or differs in case."""
    s = session(broker.port, "bb")
    sub(s, [("bb/+", 1), ("bb/a", 1)])
    unsub(s, ["bb/a"], pid=2)
    unsub(s, ["bb/#", "BB/+", "bb/+/", "bb/a"], pid=3)
    p = session(broker.port, "pub")
    pub(p, "bb/a", b"x", qos=1)
    got = all_msgs(s)
    assert [m.payload for m in got] == [b"x"], "bb/+ subscription lost"
    unsub(s, ["bb/+"], pid=4)
    pub(p, "bb/a", b"y", qos=1, pid=2)
    assert nothing_received(s)


def test_mqtt_3_10_4_2_no_new_messages_after_unsuback(broker):
    s = session(broker.port, "nn")
    sub(s, [("nn/t", 2)])
    unsub(s, ["nn/t"], pid=2)
    p = session(broker.port, "pub")
    for q in (0, 1, 2):
        pub(p, "nn/t", b"late", qos=q, pid=q + 1)
    assert nothing_received(s)


def test_mqtt_3_10_4_3_qos2_delivery_completed(broker):
    """A QoS 2 delivery started before the UNSUBSCRIBE is completed: the
    PUBREC sent after the UNSUBACK still gets its PUBREL."""
    s = session(broker.port, "cq")
    sub(s, [("cq/t", 2)])
    p = session(broker.port, "pub")
    pub(p, "cq/t", b"x", qos=2)
    m = recv_msg(s, ack=False)
    unsub(s, ["cq/t"], pid=2)
    s.send(mqttraw.ack("pubrec", m.pid))
    assert expect(s, "PUBREL").pid() == m.pid
    s.send(mqttraw.ack("pubcomp", m.pid))
    assert still_open(s)


def test_mqtt_3_10_4_3_qos1_delivery_completed(broker):
    """A QoS 1 message in flight at the UNSUBSCRIBE stays part of the
    session: unacknowledged, it is sent again on reconnection."""
    s = session(broker.port, "cq1", clean=False)
    sub(s, [("cq1/t", 1)])
    p = session(broker.port, "pub")
    pub(p, "cq1/t", b"inflight", qos=1)
    m = recv_msg(s, ack=False)
    unsub(s, ["cq1/t"], pid=2)
    drop(s)
    s = session(broker.port, "cq1", clean=False, expect_present=True)
    again = recv_msg(s)
    assert (again.payload, again.pid, again.dup) == (b"inflight", m.pid, True)


@pytest.mark.parametrize("pid", [1, 0x0100, 0xFFFF])
def test_mqtt_3_10_4_4_unsuback_same_packet_id(broker, pid):
    s = session(broker.port, "ua")
    sub(s, [("ua/t", 0)])
    s.send(unsubscribe(pid, ["ua/t"]))
    ack = expect(s, "UNSUBACK")
    assert ack.pid() == pid and len(ack.body) == 2 and ack.flags == 0


def test_mqtt_3_10_4_5_unsuback_even_if_nothing_deleted(broker):
    s = session(broker.port, "un")
    unsub(s, ["never/subscribed"], pid=9)
    unsub(s, ["#", "+/+"], pid=10)
    assert still_open(s)


def test_mqtt_3_10_4_6_multiple_filters_one_unsuback(broker):
    s = session(broker.port, "mu")
    sub(s, [("mu/a", 1), ("mu/b", 1), ("mu/c", 1)])
    s.send(unsubscribe(5, ["mu/a", "mu/x", "mu/c"]))
    assert expect(s, "UNSUBACK").pid() == 5
    assert nothing_received(s, 0.2), "more than one UNSUBACK"
    p = session(broker.port, "pub")
    for i, t in enumerate(["mu/a", "mu/b", "mu/c"]):
        pub(p, t, t.encode(), qos=1, pid=i + 1)
    got = all_msgs(s)
    assert [m.topic for m in got] == ["mu/b"]
