"""MQTT 3.1.1 section 4.1: storing session state."""
import time

import mqttraw
from mqttraw import publish

from .helpers import (all_msgs, disconnect, drop, expect, ping, pub, recv_msg,
                      session, sub)


def test_mqtt_4_1_0_1_session_state_kept_for_whole_session(broker):
    """The state of a CleanSession 0 session survives its connections: a
    QoS 2 message received by the Server (PUBREC sent) is completed by a
    PUBREL on the next connection and delivered exactly once; the
    subscription and a message queued meanwhile are kept too."""
    s = session(broker.port, "sub", clean=False)
    sub(s, [("st/#", 2)])
    disconnect(s)
    c = session(broker.port, "st", clean=False)
    c.send(publish("st/q2", b"half-done", qos=2, pid=42))
    assert expect(c, "PUBREC").pid() == 42
    drop(c)
    time.sleep(0.2)
    c = session(broker.port, "st", clean=False, expect_present=True)
    c.send(mqttraw.ack("pubrel", 42))
    assert expect(c, "PUBCOMP").pid() == 42
    s = session(broker.port, "sub", clean=False, expect_present=True)
    got = all_msgs(s)
    assert [m.payload for m in got] == [b"half-done"]


def test_mqtt_4_1_0_2_session_lasts_as_long_as_connection(broker):
    """A CleanSession 1 session keeps its state while the connection is
    open: its subscription still delivers after a pause and other
    traffic, and an unfinished inbound QoS 2 flow can be completed."""
    c = session(broker.port, "cs1", clean=True)
    sub(c, [("cs1/t", 1)])
    c.send(publish("cs1/in", b"q2", qos=2, pid=5))
    assert expect(c, "PUBREC").pid() == 5
    time.sleep(1.0)
    for i in range(5):
        assert ping(c) == []
    p = session(broker.port, "pub")
    pub(p, "cs1/t", b"still-subscribed", qos=1)
    assert recv_msg(c).payload == b"still-subscribed"
    c.send(mqttraw.ack("pubrel", 5))
    assert expect(c, "PUBCOMP").pid() == 5


