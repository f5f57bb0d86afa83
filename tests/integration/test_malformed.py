"""Malformed or out-of-order input closes that connection and nothing
else: clients connected before and during keep publishing and receiving,
and new clients can connect afterwards."""
import pytest

import mqttraw
from helpers import pub_fields, uid

S = mqttraw.mqtt_str


def connect_body(flags, payload, level=4, name="MQTT", keepalive=60):
    return mqttraw.packet(0x10, S(name) + bytes([level, flags]) +
                          keepalive.to_bytes(2, "big") + payload)


HTTP = (b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Pad: " + b"a" * 80 +
        b"\r\n\r\n")

# name -> (send a valid CONNECT first?, bytes). Every one must make the
# server close the connection.
CASES = {
    # before CONNECT [MQTT-3.1.0-1]
    "garbage": (False, b"\xff" * 8),
    "http-request": (False, HTTP),
    "publish-before-connect": (False, mqttraw.publish("m/x", b"x")),
    "subscribe-before-connect": (False, mqttraw.subscribe(1, [("m/#", 0)])),
    "pingreq-before-connect": (False, mqttraw.PINGREQ),
    "bad-remaining-length-before-connect": (False, b"\x10\xff\xff\xff\xff\x01"),
    # CONNECT itself
    "connect-reserved-flag": (False, mqttraw.connect(uid(), flags=0x03)),        # [MQTT-3.1.2-3]
    "connect-header-flags": (False, b"\x11" + mqttraw.connect(uid())[1:]),     # [MQTT-2.2.2-2]
    "connect-password-no-user": (False, connect_body(0x42, S(uid()) + S("pw"))),  # [MQTT-3.1.2-22]
    "connect-will-qos3": (False, connect_body(0x1e, S(uid()) + S("w") + S("m"))),  # [MQTT-3.1.2-14]
    "connect-will-retain-no-will": (False, connect_body(0x22, S(uid()))),      # [MQTT-3.1.2-15]
    "connect-will-qos-no-will": (False, connect_body(0x0a, S(uid()))),         # [MQTT-3.1.2-13]
    "connect-truncated-client-id": (False, connect_body(0x02, b"\x00\x64abc")),
    "connect-bad-utf8-client-id": (False, connect_body(0x02, b"\x00\x02\xc3\x28")),  # [MQTT-1.5.3-1]
    "connect-wildcard-will-topic": (False, mqttraw.connect(uid(), will=("w/+", b"m", 0, False))),
    # after CONNECT
    "second-connect": (True, mqttraw.connect(uid())),                          # [MQTT-3.1.0-2]
    "garbage-after-connect": (True, b"\xff" * 8),
    "bad-remaining-length": (True, b"\x30\xff\xff\xff\xff\x7f"),
    "packet-type-0": (True, b"\x00\x00"),
    "packet-type-15": (True, b"\xf0\x00"),
    "publish-qos3": (True, mqttraw.packet(0x36, S("m/x") + b"\x00\x01x")),     # [MQTT-3.3.1-4]
    "publish-wildcard-plus": (True, mqttraw.publish("m/+", b"x")),             # [MQTT-3.3.2-2]
    "publish-wildcard-hash": (True, mqttraw.publish("m/#", b"x")),             # [MQTT-3.3.2-2]
    "publish-bad-utf8": (True, mqttraw.packet(0x30, b"\x00\x03a\xff\xfe" + b"x")),  # [MQTT-1.5.3-1]
    "publish-nul-in-topic": (True, mqttraw.publish("m\x00x", b"x")),           # [MQTT-1.5.3-2]
    "publish-empty-topic": (True, mqttraw.publish("", b"x")),                  # [MQTT-4.7.3-1]
    "publish-pid-0": (True, mqttraw.publish("m/x", b"x", qos=1, pid=0)),       # [MQTT-2.3.1-1]
    "publish-topic-overruns": (True, mqttraw.packet(0x30, b"\x00\x10ab")),
    "subscribe-bad-flags": (True, mqttraw.packet(0x80, b"\x00\x01" + S("m") + b"\x00")),  # [MQTT-3.8.1-1]
    "subscribe-no-filters": (True, mqttraw.packet(0x82, b"\x00\x01")),         # [MQTT-3.8.3-3]
    "subscribe-reserved-bits": (True, mqttraw.packet(0x82, b"\x00\x01" + S("m") + b"\x04")),  # [MQTT-3-8.3-4]
    "subscribe-pid-0": (True, mqttraw.subscribe(0, [("m", 0)])),               # [MQTT-2.3.1-1]
    "unsubscribe-bad-flags": (True, mqttraw.packet(0xA0, b"\x00\x01" + S("m"))),  # [MQTT-3.10.1-1]
    "unsubscribe-no-filters": (True, mqttraw.packet(0xA2, b"\x00\x01")),       # [MQTT-3.10.3-2]
    "pubrel-bad-flags": (True, mqttraw.packet(0x60, b"\x00\x01")),             # [MQTT-3.6.1-1]
    "disconnect-bad-flags": (True, b"\xe1\x00"),                               # [MQTT-3.14.1-1]
    "connack-from-client": (True, b"\x20\x02\x00\x00"),
    # mosquitto 2.0.11 does not check the reserved flags of PINGREQ or
    # PUBACK, nor the (absent) body of PINGREQ: it answers or ignores them.
    "pingreq-bad-flags": pytest.param(True, b"\xc1\x00", marks=pytest.mark.mosquitto_differs),  # [MQTT-2.2.2-2]
    "pingreq-with-body": pytest.param(True, b"\xc0\x01\x00", marks=pytest.mark.mosquitto_differs),
    "puback-bad-flags": pytest.param(True, b"\x41\x02\x00\x01", marks=pytest.mark.mosquitto_differs),  # [MQTT-2.2.2-2]
}


def case_params():
    out = []
    for name, v in CASES.items():
        if hasattr(v, "marks"):   # already a pytest.param
            out.append(pytest.param(*v.values, id=name, marks=v.marks))
        else:
            out.append(pytest.param(*v, id=name))
    return out


@pytest.mark.parametrize("connect_first,data", case_params())
def test_mqtt_4_8_0_1_malformed_input_closes_only_that_connection(
        broker, pahof, rawf, connect_first, data):
    """[MQTT-4.8.0-1] A protocol violation closes the offending connection;
    a client connected before it and one connected while it was open keep
    working in both directions, and a new client can connect after."""
    topic = "bystander/" + uid()
    before_sub = pahof(broker, uid())
    before_sub.subscribe(topic, 1)
    before_pub = pahof(broker, uid())
    bad = mqttraw.Client(broker.port)
    if connect_first:
        assert bad.connect(uid()).body[1] == 0
    during = rawf(broker)
    during.subscribe([(topic, 1)])
    bad.send(data)
    assert bad.closed(), "connection not closed"
    bad.close()
    # before -> before and during
    before_pub.publish(topic, b"one", qos=1)
    assert before_sub.get().payload == b"one"
    f = pub_fields(during.expect("PUBLISH"))
    assert f[2] == b"one"
    during.send(mqttraw.ack("puback", f[1]))
    # during -> before
    during.send(mqttraw.publish(topic, b"two", qos=1, pid=2))
    got = {}
    while len(got) < 2:
        p = during.recv()
        got[p.name] = p
    assert got["PUBACK"].pid() == 2
    assert before_sub.get().payload == b"two"
    # after
    after = pahof(broker, uid())
    after.subscribe(topic, 0)
    before_pub.publish(topic, b"three", qos=1)
    assert after.get().payload == b"three"


def test_truncated_packet_then_close(broker, pahof):
    """A client that sends half a packet and hangs up does not disturb the
    broker: the next clients work."""
    for data in (mqttraw.connect(uid())[:7], b"\x30\x80"):
        c = mqttraw.Client(broker.port)
        if data[0] == 0x30:
            c.connect(uid())
        c.send(data)
        c.close()
    ok = pahof(broker, uid())
    topic = "t/" + uid()
    ok.subscribe(topic, 1)
    ok.publish(topic, b"fine", qos=1)
    assert ok.get().payload == b"fine"


def test_many_bad_connections_in_a_row(broker, pahof):
    """Fifty bad connections in a row, with a subscriber watching: every
    one is closed and the subscriber receives what is published after."""
    watch = pahof(broker, uid())
    topic = "t/" + uid()
    watch.subscribe(topic, 1)
    pub = pahof(broker, uid())
    for i in range(50):
        c = mqttraw.Client(broker.port)
        c.send([b"\xff" * 8, mqttraw.publish("x", b"y"), HTTP][i % 3])
        assert c.closed()
        c.close()
    pub.publish(topic, b"survived", qos=1)
    assert watch.get().payload == b"survived"
