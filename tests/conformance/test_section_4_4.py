"""MQTT 3.1.1 section 4.4: message delivery retry."""
import time

import mqttraw

from .helpers import (drop, expect, nothing_received, pub, recv_msg,
                      session, sub)


def test_mqtt_4_4_0_1_resend_unacknowledged_on_reconnect(broker):
    """On reconnection with CleanSession 0 the Server re-sends the
    unacknowledged PUBLISH packets (QoS 1 without PUBACK, QoS 2 without
    PUBREC) and the PUBREL without PUBCOMP, with their original Packet
    Identifiers."""
    s = session(broker.port, "rs", clean=False)
    sub(s, [("rs/#", 2)])
    p = session(broker.port, "pub")
    pub(p, "rs/q1", b"q1", qos=1, pid=1)
    pub(p, "rs/q2", b"q2", qos=2, pid=2)
    pub(p, "rs/rel", b"rel", qos=2, pid=3)
    got = {m.payload: m for m in [recv_msg(s, ack=False) for _ in range(3)]}
    s.send(mqttraw.ack("pubrec", got[b"rel"].pid))
    assert expect(s, "PUBREL").pid() == got[b"rel"].pid
    drop(s)
    time.sleep(0.2)
    s = session(broker.port, "rs", clean=False, expect_present=True)
    seen = {}
    for _ in range(3):
        pk = s.recv()
        if pk.name == "PUBLISH":
            t, pid, payload = pk.publish_fields()
            assert pk.dup, "re-sent PUBLISH without DUP"
            seen[payload] = (pk.qos, pid)
        else:
            assert pk.name == "PUBREL" and pk.flags == 2, pk
            seen["PUBREL"] = pk.pid()
    assert seen == {b"q1": (1, got[b"q1"].pid), b"q2": (2, got[b"q2"].pid),
                    "PUBREL": got[b"rel"].pid}
    # Complete them all; nothing is left afterwards.
    s.send(mqttraw.ack("puback", got[b"q1"].pid))
    s.send(mqttraw.ack("pubrec", got[b"q2"].pid))
    assert expect(s, "PUBREL").pid() == got[b"q2"].pid
    s.send(mqttraw.ack("pubcomp", got[b"q2"].pid))
    s.send(mqttraw.ack("pubcomp", got[b"rel"].pid))
    assert nothing_received(s, 0.2)
    drop(s)
    time.sleep(0.2)
    s = session(broker.port, "rs", clean=False, expect_present=True)
    assert nothing_received(s)
