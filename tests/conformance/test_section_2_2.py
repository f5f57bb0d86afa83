"""MQTT 3.1.1 section 2.2.2: fixed header flags."""
import pytest

import mqttraw
from mqttraw import connect, packet, publish

from .helpers import closed_without_connack, session

# Reserved flag values the Server must put in the packets it sends
# (Table 2.2).
SERVER_FLAGS = {"CONNACK": 0, "PUBACK": 0, "PUBREC": 0, "PUBREL": 2,
                "PUBCOMP": 0, "SUBACK": 0, "UNSUBACK": 0, "PINGRESP": 0}


def test_mqtt_2_2_2_1_server_sets_reserved_flags(broker):
    """Every packet type the Server sends carries the flag bits listed in
    Table 2.2."""
    seen = {}

    def note(p):
        if p.name in SERVER_FLAGS:
            seen.setdefault(p.name, set()).add(p.flags)

    c = mqttraw.Client(broker.port)
    c.send(connect("flags"))
    note(c.expect("CONNACK"))
    c.send(mqttraw.subscribe(1, [("f/#", 2)]))
    note(c.expect("SUBACK"))
    # A QoS 1 and a QoS 2 publish that come back to us at the same QoS:
    # the Server sends PUBACK, PUBREC, PUBCOMP as receiver and PUBLISH,
    # PUBREL as sender. Answer whatever arrives until all were seen.
    c.send(publish("f/1", b"x", qos=1, pid=10))
    c.send(publish("f/2", b"y", qos=2, pid=11))
    want = {"PUBACK", "PUBREC", "PUBCOMP", "PUBREL"}
    publishes = 0
    while want or publishes < 2:
        p = c.recv()
        note(p)
        want.discard(p.name)
        if p.name == "PUBREC":
            c.send(mqttraw.ack("pubrel", p.pid()))
        elif p.name == "PUBLISH":
            publishes += 1
            opid = p.publish_fields()[1]
            c.send(mqttraw.ack("puback" if p.qos == 1 else "pubrec", opid))
        elif p.name == "PUBREL":
            c.send(mqttraw.ack("pubcomp", p.pid()))
    c.send(mqttraw.unsubscribe(2, ["f/#"]))
    note(c.expect("UNSUBACK"))
    c.send(mqttraw.PINGREQ)
    note(c.expect("PINGRESP"))
    assert set(seen) == set(SERVER_FLAGS), seen
    for name, flags in seen.items():
        assert flags == {SERVER_FLAGS[name]}, "%s sent with flags %r" % (
            name, flags)


# Client-to-Server packets with wrong reserved flags [MQTT-2.2.2-2]. The
# packet bodies are otherwise valid. (DISCONNECT is covered by
# MQTT-3.14.1-1, where the close alone proves nothing.)
BAD_FLAGS = {
    "pubrel_0x60": (0x60, b"\x00\x01"),
    "pubrel_0x63": (0x63, b"\x00\x01"),
    "pubrel_0x6a": (0x6A, b"\x00\x01"),
    "subscribe_0x80": (0x80, b"\x00\x01\x00\x01a\x00"),
    "subscribe_0x83": (0x83, b"\x00\x01\x00\x01a\x00"),
    "subscribe_0x8a": (0x8A, b"\x00\x01\x00\x01a\x00"),
    "unsubscribe_0xa0": (0xA0, b"\x00\x01\x00\x01a"),
    "unsubscribe_0xa3": (0xA3, b"\x00\x01\x00\x01a"),
}

# The same for the packets whose reserved flags are all zero.
BAD_FLAGS_ZERO = {
    "puback_0x42": (0x42, b"\x00\x01"),
    "pubrec_0x58": (0x58, b"\x00\x01"),
    "pubcomp_0x71": (0x71, b"\x00\x01"),
    "pingreq_0xc1": (0xC1, b""),
    "pingreq_0xc8": (0xC8, b""),
}


@pytest.mark.parametrize("case", sorted(BAD_FLAGS))
def test_mqtt_2_2_2_2_invalid_flags_close_connection(broker, case):
    first, body = BAD_FLAGS[case]
    c = session(broker.port, "badflags")
    c.send(packet(first, body))
    assert c.closed(), "connection left open after %s" % case


# mosquitto 2.0.11 ignores the flag bits of PUBACK, PUBREC, PUBCOMP and
# PINGREQ: it processes the packet as if the flags were 0000 (answering a
# PUBREL to the PUBREC and a PINGRESP to the PINGREQ) and keeps the
# connection open.
@pytest.mark.mosquitto_differs
@pytest.mark.parametrize("case", sorted(BAD_FLAGS_ZERO))
def test_mqtt_2_2_2_2_invalid_ack_and_ping_flags_close_connection(broker,
                                                                  case):
    first, body = BAD_FLAGS_ZERO[case]
    c = session(broker.port, "badflags")
    c.send(packet(first, body))
    assert c.closed(), "connection left open after %s" % case


def test_mqtt_2_2_2_2_invalid_connect_flags_close_connection(broker):
    """CONNECT with fixed header flags other than 0000: closed, and never
    accepted."""
    c = mqttraw.Client(broker.port)
    data = connect("cflags")
    c.send(bytes([0x12]) + data[1:])
    assert closed_without_connack(c)
