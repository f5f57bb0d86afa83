"""MQTT 3.1.1 section 3.2: CONNACK."""
import pytest

import mqttraw
from mqttraw import Client, connect, subscribe

from .helpers import (closed_without_connack, connack_of, connack_then_close,
                      connect_raw, disconnect, pub, raw_str, session, sub)


def test_mqtt_3_2_0_1_first_server_packet_is_connack(broker):
    """The first packet from the Server is CONNACK, even when a resumed
    session has queued messages and the Client sends SUBSCRIBE (to a topic
    with a retained message) and PINGREQ right behind its CONNECT."""
    c = session(broker.port, "first", clean=False)
    sub(c, [("fc/q", 1)])
    disconnect(c)
    p = session(broker.port, "pub")
    for i in range(3):
        pub(p, "fc/q", b"queued%d" % i, qos=1, pid=i + 1)
    pub(p, "fc/r", b"retained", qos=1, retain=True, pid=9)
    c = Client(broker.port)
    c.send(connect("first", clean=False) + subscribe(2, [("fc/r", 1)])
           + mqttraw.PINGREQ)
    first = c.recv()
    assert first.name == "CONNACK", "first packet %r" % first


def test_mqtt_3_2_2_1_clean_session_1_session_present_0(broker):
    """CleanSession 1 gets Session Present 0 even though a session was
    stored for the client id."""
    c = session(broker.port, "sp1", clean=False)
    sub(c, [("sp1", 1)])
    disconnect(c)
    c = Client(broker.port)
    c.send(connect("sp1", clean=True))
    assert connack_of(c) == (0, 0)


def test_mqtt_3_2_2_2_stored_session_present_1(broker):
    c = session(broker.port, "sp2", clean=False)
    disconnect(c)
    c = Client(broker.port)
    c.send(connect("sp2", clean=False))
    assert connack_of(c) == (1, 0)


def test_mqtt_3_2_2_3_no_stored_session_present_0(broker):
    """No stored session: Session Present 0, for a new client id and for
    one whose previous session was a CleanSession 1 session."""
    c = Client(broker.port)
    c.send(connect("sp3-new", clean=False))
    assert connack_of(c) == (0, 0)
    c = session(broker.port, "sp3-clean", clean=True)
    disconnect(c)
    c = Client(broker.port)
    c.send(connect("sp3-clean", clean=False))
    assert connack_of(c) == (0, 0)


def _stored(port, cid):
    c = session(port, cid, clean=False)
    sub(c, [(cid, 1)])
    disconnect(c)


def test_mqtt_3_2_2_4_refusal_has_session_present_0(broker):
    """Non-zero return codes come with Session Present 0, also when a
    session is stored for the client id."""
    _stored(broker.port, "sp4")
    c = Client(broker.port)
    c.send(connect_raw(0x00, raw_str(b"sp4"), level=7))
    connack_then_close(c, 1)
    c = Client(broker.port)
    c.send(connect("", clean=False))
    connack_then_close(c, 2)


def test_mqtt_3_2_2_4_not_authorized_session_present_0(broker_factory):
    """With anonymous access disabled an anonymous CleanSession 0 CONNECT
    for a client id is refused with Session Present 0 and return code 5
    (not authorized)."""
    b = broker_factory(conf=["allow_anonymous false"])
    c = Client(b.port)
    c.send(connect("sp4b", clean=False))
    sp, rc = connack_of(c)
    assert rc in (4, 5), rc
    assert sp == 0


@pytest.mark.parametrize("case", ["level", "empty_id", "v31_empty_id"])
def test_mqtt_3_2_2_5_refusal_closes_connection(broker, case):
    c = Client(broker.port)
    if case == "level":
        c.send(connect_raw(0x02, raw_str(b"x"), level=9))
        code = 1
    elif case == "empty_id":
        c.send(connect("", clean=False))
        code = 2
    else:
        c.send(connect("", clean=True, version=3))
        code = 2
    connack_then_close(c, code)


def test_mqtt_3_2_2_5_not_authorized_closes_connection(broker_factory):
    b = broker_factory(conf=["allow_anonymous false"])
    c = Client(b.port)
    c.send(connect("anon"))
    sp, rc = connack_of(c)
    assert rc in (4, 5) and sp == 0
    assert c.closed(), "connection left open after refusal"


@pytest.mark.parametrize("case", ["malformed_will", "reserved_flag",
                                  "garbage_payload"])
def test_mqtt_3_2_2_6_no_applicable_code_close_without_connack(broker, case):
    """A CONNECT that none of the return codes describes (it is not a
    valid CONNECT at all) is answered by closing the connection, without
    a CONNACK."""
    c = Client(broker.port)
    c.send({
        "malformed_will": connect_raw(0x06, raw_str(b"mw") + b"\x00"),
        "reserved_flag": connect_raw(0x03, raw_str(b"rf")),
        "garbage_payload": connect_raw(0x02, b"\xff\xff\xff"),
    }[case])
    assert closed_without_connack(c)
