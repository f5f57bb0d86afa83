"""MQTT 3.1.1 section 3.3: PUBLISH."""
import socket

import pytest

import mqttraw
from mqttraw import mqtt_str, publish

from .helpers import (QUIET, disconnect, drop, nothing_received, ping, pub,
                      recv_msg, session, sub)


def retained_for(port, flt, qos=2, cid="late"):
    """Messages a new subscription to `flt` receives within QUIET."""
    c = session(port, cid)
    sub(c, [(flt, qos)])
    got = []
    try:
        while True:
            got.append(recv_msg(c, timeout=QUIET))
    except socket.timeout:
        pass
    disconnect(c)
    return got


# ---------------------------------------------------------------- 3.3.1

@pytest.mark.parametrize("qos", [1, 2])
def test_mqtt_3_3_1_1_dup_set_on_redelivery(broker, qos):
    """An unacknowledged PUBLISH sent again after reconnection has DUP 1;
    its first transmission had DUP 0."""
    s = session(broker.port, "dup", clean=False)
    sub(s, [("dup/t", 2)])
    p = session(broker.port, "pub")
    pub(p, "dup/t", b"again", qos=qos)
    first = recv_msg(s, ack=False)
    assert not first.dup and first.qos == qos
    drop(s)
    s = session(broker.port, "dup", clean=False, expect_present=True)
    again = recv_msg(s)
    assert again.dup, "re-delivery without DUP"
    assert (again.payload, again.pid) == (b"again", first.pid)


def test_mqtt_3_3_1_2_dup_0_for_qos0(broker):
    """Every QoS 0 PUBLISH the Server sends has DUP 0, including messages
    published with DUP 1 at QoS 1 or 2 and downgraded to QoS 0."""
    s = session(broker.port, "q0")
    sub(s, [("q0/#", 0)])
    p = session(broker.port, "pub")
    pub(p, "q0/a", b"a", qos=0)
    pub(p, "q0/b", b"b", qos=1, dup=True, pid=3)
    pub(p, "q0/c", b"c", qos=2, dup=True, pid=4)
    for _ in range(3):
        m = recv_msg(s)
        assert m.qos == 0 and not m.dup, m


@pytest.mark.parametrize("qos", [1, 2])
def test_mqtt_3_3_1_3_dup_not_propagated(broker, qos):
    """A PUBLISH received with DUP 1 is forwarded with DUP 0: the outgoing
    DUP depends only on whether it is a retransmission."""
    s = session(broker.port, "nodup")
    sub(s, [("nd/t", 2)])
    p = session(broker.port, "pub")
    pub(p, "nd/t", b"first-time", qos=qos, dup=True, pid=77)
    m = recv_msg(s)
    assert m.payload == b"first-time" and m.qos == qos
    assert not m.dup, "incoming DUP flag propagated"


@pytest.mark.parametrize("flags", [0x06, 0x07, 0x0E])
def test_mqtt_3_3_1_4_qos_3_closes_connection(broker, flags):
    """A PUBLISH with both QoS bits set closes the connection and is not
    routed."""
    w = session(broker.port, "watch")
    sub(w, [("#", 0)])
    c = session(broker.port, "q3")
    c.send(mqttraw.packet(0x30 | flags, mqtt_str("q3/t") + b"\x00\x01x"))
    assert c.closed(), "QoS 3 PUBLISH accepted"
    pub(w, "marker", b"m")
    assert recv_msg(w).topic == "marker"


@pytest.mark.parametrize("pub_qos,sub_qos", [(0, 2), (1, 2), (2, 2), (2, 1),
                                             (1, 0)])
def test_mqtt_3_3_1_5_retained_message_and_qos_stored(broker, pub_qos,
                                                      sub_qos):
    """A retained message is stored with its QoS and delivered to a later
    subscriber at min(stored QoS, granted QoS)."""
    p = session(broker.port, "pub")
    pub(p, "rs/t", b"stored", qos=pub_qos, retain=True)
    got = retained_for(broker.port, "rs/t", sub_qos)
    assert len(got) == 1
    assert got[0].payload == b"stored"
    assert got[0].qos == min(pub_qos, sub_qos)


def test_mqtt_3_3_1_6_last_retained_per_matching_topic(broker):
    """A new subscription gets the last retained message of every matching
    topic, and only of matching topics."""
    p = session(broker.port, "pub")
    pub(p, "lr/1", b"one", qos=1, retain=True, pid=1)
    pub(p, "lr/2", b"two-old", qos=1, retain=True, pid=2)
    pub(p, "lr/2", b"two-new", qos=1, retain=True, pid=3)
    pub(p, "lr/3/deeper", b"deep", qos=1, retain=True, pid=4)
    pub(p, "other/1", b"other", qos=1, retain=True, pid=5)
    got = retained_for(broker.port, "lr/+")
    assert sorted((m.topic, m.payload) for m in got) == \
        [("lr/1", b"one"), ("lr/2", b"two-new")]
    got = retained_for(broker.port, "lr/#", cid="late2")
    assert sorted(m.payload for m in got) == [b"deep", b"one", b"two-new"]


def test_mqtt_3_3_1_7_qos0_retain_discards_previous(broker):
    """A QoS 0 retained message replaces (or at least removes) the message
    retained before it."""
    p = session(broker.port, "pub")
    pub(p, "r0/t", b"old", qos=1, retain=True)
    pub(p, "r0/t", b"new", qos=0, retain=True)
    ping(p)
    got = retained_for(broker.port, "r0/t")
    assert [m.payload for m in got] in ([b"new"], []), got


def test_mqtt_3_3_1_8_retain_1_for_new_subscription(broker):
    """Messages sent because a subscription was made carry RETAIN 1, also
    when an existing subscription is made again."""
    p = session(broker.port, "pub")
    pub(p, "rf/t", b"kept", qos=1, retain=True)
    s = session(broker.port, "s")
    sub(s, [("rf/t", 1)])
    m = recv_msg(s)
    assert m.retain and m.payload == b"kept"
    sub(s, [("rf/t", 1)], pid=2)
    m = recv_msg(s)
    assert m.retain and m.payload == b"kept"


@pytest.mark.parametrize("qos", [0, 1, 2])
def test_mqtt_3_3_1_9_retain_0_for_established_subscription(broker, qos):
    s = session(broker.port, "s")
    sub(s, [("rz/t", 2)])
    p = session(broker.port, "pub")
    pub(p, "rz/t", b"live", qos=qos, retain=True)
    m = recv_msg(s)
    assert m.payload == b"live"
    assert not m.retain, "RETAIN 1 on an established subscription"


def test_mqtt_3_3_1_10_zero_byte_retained_clears_and_is_delivered(broker):
    """A zero-byte retained PUBLISH is delivered normally to subscribers
    and removes the retained message: later subscribers get none."""
    p = session(broker.port, "pub")
    pub(p, "zb/t", b"to-clear", qos=1, retain=True)
    s = session(broker.port, "s")
    sub(s, [("zb/t", 1)])
    assert recv_msg(s).retain
    pub(p, "zb/t", b"", qos=1, retain=True, pid=2)
    m = recv_msg(s)
    assert m.payload == b"" and m.topic == "zb/t"
    assert retained_for(broker.port, "zb/t") == []


def test_mqtt_3_3_1_11_zero_byte_retained_not_stored(broker):
    p = session(broker.port, "pub")
    for q in (0, 1, 2):
        pub(p, "zs/%d" % q, b"", qos=q, retain=True, pid=q + 1)
    assert retained_for(broker.port, "zs/#") == []


def test_mqtt_3_3_1_12_retain_0_not_stored_nor_replacing(broker):
    """RETAIN 0: the message is not stored, and the retained message of
    the topic stays as it was."""
    p = session(broker.port, "pub")
    pub(p, "nr/none", b"not-kept", qos=1, pid=1)
    pub(p, "nr/kept", b"kept", qos=1, retain=True, pid=2)
    pub(p, "nr/kept", b"not-retained", qos=1, pid=3)
    pub(p, "nr/kept", b"", qos=1, pid=4)
    got = retained_for(broker.port, "nr/#")
    assert [(m.topic, m.payload) for m in got] == [("nr/kept", b"kept")]


# ---------------------------------------------------------------- 3.3.2

@pytest.mark.parametrize("body", [b"", b"\x00", b"\x00\x10short"],
                         ids=["no_topic", "one_byte", "topic_overruns"])
def test_mqtt_3_3_2_1_topic_name_first_field(broker, body):
    """A PUBLISH without a complete Topic Name as its first field is
    malformed: the connection is closed."""
    c = session(broker.port, "tn")
    c.send(mqttraw.packet(0x30, body))
    assert c.closed()


def test_mqtt_3_3_2_1_topic_name_utf8(broker):
    c = session(broker.port, "tn")
    c.send(publish(b"bad\xed\xa0\x80", b"x"))
    assert c.closed()


@pytest.mark.parametrize("topic", ["a/+", "a/#", "#", "a+", "b#c"])
@pytest.mark.parametrize("qos", [0, 1])
def test_mqtt_3_3_2_2_wildcards_in_topic_name_close(broker, topic, qos):
    w = session(broker.port, "watch")
    sub(w, [("#", 0)])
    c = session(broker.port, "wild")
    c.send(publish(topic, b"x", qos=qos))
    assert c.closed(), "PUBLISH to %r accepted" % topic
    pub(w, "marker", b"m")
    assert recv_msg(w).topic == "marker"


def test_mqtt_3_3_2_3_topic_name_matches_filter(broker):
    """The Topic Name of a PUBLISH to a subscriber is the published name,
    which matches the subscriber's filter; non-matching names are not
    sent."""
    s = session(broker.port, "s")
    sub(s, [("m/+/x", 1)])
    p = session(broker.port, "pub")
    for t in ["m/a/x", "m/a/y", "m/a/x/z", "m//x", "n/a/x", "m/x"]:
        pub(p, t, t.encode(), qos=1)
    got = [recv_msg(s), recv_msg(s)]
    assert sorted(m.topic for m in got) == ["m//x", "m/a/x"]
    for m in got:
        assert m.payload == m.topic.encode()
    assert nothing_received(s)


# ---------------------------------------------------------------- 3.3.4

def test_mqtt_3_3_4_1_publish_response_by_qos(broker):
    """QoS 0: no response; QoS 1: PUBACK; QoS 2: PUBREC."""
    c = session(broker.port, "resp")
    c.send(publish("resp/t", b"0", qos=0))
    assert ping(c) == [], "response to a QoS 0 PUBLISH"
    c.send(publish("resp/t", b"1", qos=1, pid=5))
    assert c.recv().name == "PUBACK"
    c.send(publish("resp/t", b"2", qos=2, pid=6))
    assert c.recv().name == "PUBREC"
    assert ping(c) == []


# ---------------------------------------------------------------- 3.3.5

@pytest.mark.parametrize("pub_qos", [1, 2])
def test_mqtt_3_3_5_1_overlapping_subscriptions_max_qos(broker, pub_qos):
    """With overlapping subscriptions the message is delivered respecting
    the maximum QoS of all matching subscriptions (further copies at
    lower QoS are allowed)."""
    s = session(broker.port, "ovl")
    sub(s, [("ov/#", 0), ("ov/+", 2), ("+/t", 1)])
    p = session(broker.port, "pub")
    pub(p, "ov/t", b"x", qos=pub_qos)
    got = [recv_msg(s)]
    try:
        while True:
            got.append(recv_msg(s, timeout=QUIET))
    except socket.timeout:
        pass
    assert 1 <= len(got) <= 3
    assert max(m.qos for m in got) == pub_qos, got


def test_mqtt_3_3_5_2_unauthorized_publish_acked_or_closed(broker_factory,
                                                           shared_file):
    """A PUBLISH the Client may not perform is either acknowledged as
    usual or answered by closing the connection; it is not delivered."""
    acl = shared_file("acl", "topic readwrite open/#\ntopic read ro/#\n")
    b = broker_factory(conf=["acl_file %s" % acl])
    s = session(b.port, "s")
    sub(s, [("ro/#", 2), ("open/#", 2)])
    for qos in (0, 1, 2):
        c = session(b.port, "p%d" % qos)
        c.send(publish("ro/t", b"denied", qos=qos, pid=9))
        if qos == 0:
            pass
        else:
            try:
                r = c.recv()
            except (ConnectionError, OSError):
                r = None
            if r is not None:
                assert r.name == ("PUBACK" if qos == 1 else "PUBREC")
                assert r.pid() == 9
                if qos == 2:
                    c.send(mqttraw.ack("pubrel", 9))
                    assert c.expect("PUBCOMP").pid() == 9
        pub(s, "open/marker", b"m", pid=1)
        m = recv_msg(s)
        assert m.topic == "open/marker", "unauthorized PUBLISH delivered"
