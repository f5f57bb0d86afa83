"""Retained messages: stored, replaced, cleared; sent with RETAIN=1 to new
subscriptions (wildcards too) and with RETAIN=0 on live delivery."""
import pytest

import mqttraw
from helpers import (PROTOCOLS, PROTO_IDS, pub_fields, raw_quiet,
                     sentinel, uid)


def retained_for(pahof, broker, filt, qos=2):
    """Subscribe a fresh client to filt (plus the sentinel) and return the
    messages that arrived before the sentinel, i.e. the retained ones."""
    c = pahof(broker, uid())
    c.subscribe([(filt, qos), ("sentinel", 2)])
    return sentinel(pahof(broker, uid()), c)


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=PROTO_IDS.get)
def test_mqtt_3_3_1_6_retained_sent_to_new_subscription(broker, pahof, protocol):
    """[MQTT-3.3.1-5] [MQTT-3.3.1-6] [MQTT-3.3.1-8] A retained message is
    stored and sent to a later subscriber with RETAIN=1, at
    min(stored QoS, granted QoS); the publisher may be gone by then."""
    topic = "ret/" + uid()
    pub = pahof(broker, uid(), protocol=protocol)
    pub.publish(topic, b"kept", qos=1, retain=True)
    pub.disconnect()
    for granted, want in ((2, 1), (1, 1), (0, 0)):
        c = pahof(broker, uid(), protocol=protocol)
        c.subscribe(topic, granted)
        m = c.get()
        assert (m.topic, m.payload, m.retain, m.qos) == (topic, b"kept", True, want)


def test_retained_flag_on_the_wire(broker, rawf):
    """The RETAIN bit itself: set on the PUBLISH sent because of a new
    subscription [MQTT-3.3.1-8], clear on a live delivery of a message
    published with RETAIN=1 [MQTT-3.3.1-9]."""
    topic = "ret/" + uid()
    p = rawf(broker)
    p.send(mqttraw.publish(topic, b"old", qos=1, retain=True, pid=1))
    p.expect("PUBACK")
    s = rawf(broker)
    s.subscribe([(topic, 0)])
    m = s.expect("PUBLISH")
    assert m.retain and pub_fields(m)[2] == b"old"
    assert m.flags == 0x1
    p.send(mqttraw.publish(topic, b"live", qos=1, retain=True, pid=2))
    p.expect("PUBACK")
    m = s.expect("PUBLISH")
    assert not m.retain and pub_fields(m)[2] == b"live"
    assert m.flags == 0x0


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=PROTO_IDS.get)
def test_mqtt_3_3_1_9_live_delivery_has_retain_0(broker, pahof, protocol):
    """[MQTT-3.3.1-9] A subscriber already subscribed gets a message
    published with RETAIN=1 with msg.retain false, at every QoS."""
    topic = "ret/" + uid()
    c = pahof(broker, uid(), protocol=protocol)
    c.subscribe(topic, 2)
    pub = pahof(broker, uid(), protocol=protocol)
    for q in (0, 1, 2):
        pub.publish(topic, b"r%d" % q, qos=q, retain=True)
    got = c.get_n(3)
    assert sorted(m.payload for m in got) == [b"r0", b"r1", b"r2"]
    assert not any(m.retain for m in got)


def test_retained_replaced(broker, pahof):
    """A new retained message on a topic replaces the old one; a QoS 0
    retained message replaces too [MQTT-3.3.1-7]."""
    topic = "ret/" + uid()
    pub = pahof(broker, uid())
    pub.publish(topic, b"v1", qos=1, retain=True)
    pub.publish(topic, b"v2", qos=2, retain=True)
    assert [m.payload for m in retained_for(pahof, broker, topic)] == [b"v2"]
    pub.publish(topic, b"v3", qos=0, retain=True)
    # QoS 0 has no acknowledgement; a QoS 1 publish after it on the same
    # connection is handled after it, so its PUBACK means v3 is stored. (A
    # broker serving connections in parallel may otherwise see the new
    # subscriber first.)
    pub.publish("ret/" + uid(), b"sync", qos=1)
    got = retained_for(pahof, broker, topic)
    assert [(m.payload, m.qos, m.retain) for m in got] == [(b"v3", 0, True)]


def test_mqtt_3_3_1_12_non_retained_publish_leaves_retained(broker, pahof):
    """[MQTT-3.3.1-12] A PUBLISH with RETAIN=0 neither stores nor replaces
    nor removes the retained message of its topic."""
    topic = "ret/" + uid()
    other = "ret/" + uid()
    pub = pahof(broker, uid())
    pub.publish(topic, b"kept", qos=1, retain=True)
    pub.publish(topic, b"passing", qos=1, retain=False)
    pub.publish(other, b"not kept", qos=1, retain=False)
    assert [m.payload for m in retained_for(pahof, broker, topic)] == [b"kept"]
    assert retained_for(pahof, broker, other) == []


def test_mqtt_3_3_1_10_zero_length_retained_clears(broker, pahof):
    """[MQTT-3.3.1-10] [MQTT-3.3.1-11] A retained PUBLISH with an empty
    payload removes the retained message (new subscribers get nothing) and
    is itself delivered to current subscribers as a normal message."""
    topic = "ret/" + uid()
    live = pahof(broker, uid())
    live.subscribe(topic, 1)
    pub = pahof(broker, uid())
    pub.publish(topic, b"soon gone", qos=1, retain=True)
    assert live.get().payload == b"soon gone"
    pub.publish(topic, b"", qos=1, retain=True)
    m = live.get()
    assert (m.payload, m.retain) == (b"", False)
    assert retained_for(pahof, broker, topic) == []
    assert retained_for(pahof, broker, "ret/#") == []
    # And a new retained message can be set again afterwards.
    pub.publish(topic, b"back", qos=0, retain=True)
    assert [m.payload for m in retained_for(pahof, broker, topic)] == [b"back"]


def test_retained_with_wildcard_subscriptions(broker, pahof):
    """[MQTT-3.3.1-6] Every retained message whose topic matches a new
    wildcard subscription is sent, RETAIN=1, and no other."""
    base = "rw" + uid()
    topics = [base + "/a/1", base + "/a/2", base + "/a/b/c", base + "/b/1", base]
    pub = pahof(broker, uid())
    for t in topics:
        pub.publish(t, t.encode(), qos=1, retain=True)
    cases = {
        base + "/a/#": topics[:3],
        base + "/a/+": topics[:2],
        base + "/+/1": [topics[0], topics[3]],
        base + "/#": topics,            # '#' also matches the parent level
        base + "/+/+/c": [topics[2]],
        base + "/+": [],
    }
    for filt, want in cases.items():
        got = retained_for(pahof, broker, filt)
        assert sorted(m.topic for m in got) == sorted(want), filt
        assert all(m.retain and m.payload == m.topic.encode() for m in got)


def test_mqtt_3_8_4_3_resubscribe_replaces_and_resends_retained(broker, rawf, pahof):
    """[MQTT-3.8.4-3] Subscribing again to the same filter replaces the
    subscription (new QoS, still one copy per message) and sends the
    retained messages again."""
    topic = "ret/" + uid()
    pub = pahof(broker, uid())
    pub.publish(topic, b"kept", qos=2, retain=True)
    c = rawf(broker)
    assert c.subscribe([(topic, 0)]) == [0]
    m = c.expect("PUBLISH")
    assert pub_fields(m)[2:] == (b"kept", 0, False, True)
    assert c.subscribe([(topic, 1)], pid=2) == [1]
    m = c.expect("PUBLISH")
    f = pub_fields(m)
    assert f[2:] == (b"kept", 1, False, True)
    c.send(mqttraw.ack("puback", f[1]))
    pub.publish(topic, b"live", qos=2)
    m = c.expect("PUBLISH")
    f = pub_fields(m)
    assert f[2:] == (b"live", 1, False, False)
    c.send(mqttraw.ack("puback", f[1]))
    c.send(mqttraw.PINGREQ)
    c.expect("PINGRESP")
    raw_quiet(c)


def test_mqtt_3_1_2_7_retained_outlives_sessions(broker, rawf, pahof):
    """[MQTT-3.1.2-7] Retained messages are not part of a session: one
    published by a clean-session client survives that client's session."""
    topic = "ret/" + uid()
    p = rawf(broker, uid(), clean=True)
    p.send(mqttraw.publish(topic, b"stays", qos=1, retain=True, pid=1))
    p.expect("PUBACK")
    p.send(mqttraw.DISCONNECT)
    assert p.closed()
    assert [m.payload for m in retained_for(pahof, broker, topic)] == [b"stays"]


@pytest.mark.parametrize("qos", [0, 1])
def test_retain_available_false_refuses_retained_publish(broker_factory, rawf, pahof, qos):
    """retain_available false: a PUBLISH with RETAIN=1 closes the connection
    (3.x has no reason code to refuse it) and nothing is stored; non-retained
    publishing still works."""
    b = broker_factory(["retain_available false"])
    topic = "ret/" + uid()
    c = rawf(b)
    c.send(mqttraw.publish(topic, b"no", qos=qos, retain=True, pid=1))
    assert c.closed()
    ok = pahof(b, uid())
    ok.subscribe(topic, 1)
    ok.publish(topic, b"plain", qos=1)
    m = ok.get()
    assert (m.payload, m.retain) == (b"plain", False)
    assert retained_for(pahof, b, topic) == []
