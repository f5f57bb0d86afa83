"""Sessions: clean session 0 keeps subscriptions and queues messages while
the client is away; clean session 1 starts afresh; takeover by client id;
unacknowledged QoS 1/2 messages are resent on reconnect."""
import pytest

import mqttraw
from helpers import (LEVEL, MQTTv311, PROTOCOLS, PROTO_IDS,
                     go_offline, pub_fields, raw_disconnect, raw_drop,
                     raw_quiet, raw_sentinel, sentinel, uid)


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=PROTO_IDS.get)
def test_mqtt_3_1_2_5_persistent_session_queues_qos1_and_qos2(broker, pahof, protocol):
    """[MQTT-3.1.2-4] [MQTT-3.1.2-5] [MQTT-3.2.2-2] A clean-session-0 client
    keeps its subscriptions while away; QoS 1 and 2 messages published
    meanwhile are delivered on reconnect, without subscribing again, at
    their QoS and in order. Session present is 1 at 3.1.1 (at 3.1 that
    CONNACK byte is reserved and stays 0)."""
    cid = uid("s")
    topic = "sess/" + uid()
    sp = go_offline(broker, cid, [(topic, 2)], version=LEVEL[protocol])
    assert sp == 0   # [MQTT-3.2.2-3] no session existed
    pub = pahof(broker, uid())
    pub.publish(topic, b"one", qos=1)
    pub.publish(topic, b"two", qos=2)
    pub.publish(topic, b"three", qos=1)
    c = pahof(broker, cid, protocol=protocol, clean_session=False, connect=False)
    flags, rc = c.connect()
    assert flags["session present"] == (1 if protocol == MQTTv311 else 0)
    got = c.get_n(3)
    # Order is promised per topic and QoS [MQTT-4.6.0-6]; paho hands QoS 2
    # messages over at PUBREL, so compare each QoS on its own.
    assert [m.payload for m in got if m.qos == 1] == [b"one", b"three"]
    assert [m.payload for m in got if m.qos == 2] == [b"two"]
    assert all(m.topic == topic for m in got)
    # Still subscribed for live traffic.
    pub.publish(topic, b"live", qos=1)
    assert c.get().payload == b"live"


def test_qos0_not_queued_for_offline_session_by_default(broker, pahof):
    """Only QoS 1 and 2 messages are stored for an absent client by default
    (3.1.1 section 3.1.2.4: QoS 0 messages MAY be stored, mosquitto does not
    unless queue_qos0_messages is set)."""
    cid = uid("s")
    topic = "sess/" + uid()
    go_offline(broker, cid, [(topic, 1)])
    pub = pahof(broker, uid())
    pub.publish(topic, b"zero", qos=0)
    pub.publish(topic, b"one", qos=1)
    c = pahof(broker, cid, clean_session=False)
    m = c.get()
    assert (m.payload, m.qos) == (b"one", 1)
    c.subscribe("sentinel", 2)
    assert sentinel(pub, c) == []


def test_queue_qos0_messages_true_queues_qos0(broker_factory, pahof):
    """With queue_qos0_messages true, QoS 0 messages are also kept for an
    absent persistent session and delivered in order with the others."""
    b = broker_factory(["queue_qos0_messages true"])
    cid = uid("s")
    topic = "sess/" + uid()
    go_offline(b, cid, [(topic, 1)])
    pub = pahof(b, uid())
    pub.publish(topic, b"zero-a", qos=0)
    pub.publish(topic, b"one", qos=1)
    pub.publish(topic, b"zero-b", qos=0)
    pub.publish(topic, b"end", qos=1)
    c = pahof(b, cid, clean_session=False)
    got = c.get_n(4)
    assert [(m.payload, m.qos) for m in got] == [
        (b"zero-a", 0), (b"one", 1), (b"zero-b", 0), (b"end", 1)]


@pytest.mark.parametrize("version", [3, 4], ids=["v31", "v311"])
def test_mqtt_3_1_2_6_clean_session_discards_old_session(broker, rawf, pahof, version):
    """[MQTT-3.1.2-6] [MQTT-3.2.2-1] Connecting with clean session 1 discards
    the stored session: session present 0, the old subscription is gone
    and queued messages are dropped; a later clean-session-0 connect finds
    no session either [MQTT-3.2.2-3]."""
    cid = uid("s")
    topic = "sess/" + uid()
    go_offline(broker, cid, [(topic, 1)], version=version)
    pub = pahof(broker, uid())
    pub.publish(topic, b"queued", qos=1)
    c = rawf(broker, cid, version=version, clean=True)
    assert c.connack.body == b"\x00\x00"
    c.subscribe([("sentinel", 2)])
    pub.publish(topic, b"live", qos=1)
    pub.publish("sentinel", b"s", qos=1)
    assert pub_fields(c.expect("PUBLISH"))[0] == "sentinel"
    raw_disconnect(c)
    r = rawf(broker, cid, version=version, clean=False)
    assert r.connack.body == b"\x00\x00"
    r.subscribe([("sentinel", 2)])
    pub.publish(topic, b"after", qos=1)
    pub.publish("sentinel", b"s", qos=1)
    assert pub_fields(r.expect("PUBLISH"))[0] == "sentinel"


def test_mqtt_3_1_2_7_clean_session_end_discards_subscriptions(broker, pahof):
    """A clean-session-1 session ends with its connection: reconnecting
    (clean session 0) gets session present 0 and no old subscription."""
    cid = uid("s")
    topic = "sess/" + uid()
    c = mqttraw.Client(broker.port)
    c.connect(cid, clean=True)
    c.subscribe([(topic, 1), ("sentinel", 2)])
    raw_disconnect(c)
    r = mqttraw.Client(broker.port)
    assert r.connect(cid, clean=False).body == b"\x00\x00"
    r.subscribe([("sentinel", 2)])
    pub = pahof(broker, uid())
    pub.publish(topic, b"x", qos=1)
    pub.publish("sentinel", b"s", qos=1)
    assert pub_fields(r.expect("PUBLISH"))[0] == "sentinel"
    r.close()


# -- takeover -------------------------------------------------------------

@pytest.mark.parametrize("version", [3, 4], ids=["v31", "v311"])
def test_mqtt_3_1_4_2_takeover_closes_first_connection(broker, rawf, version):
    """[MQTT-3.1.4-2] A second CONNECT with the same client id makes the
    server close the first connection; the second one works."""
    cid = uid("k")
    first = rawf(broker, cid, version=version)
    second = rawf(broker, cid, version=version)
    assert second.connack.body[1] == 0
    assert first.closed()
    topic = "take/" + uid()
    second.subscribe([(topic, 1)])
    second.send(mqttraw.publish(topic, b"mine", qos=1, pid=9))
    got = {p.name: p for p in (second.recv(), second.recv())}
    assert got["PUBACK"].pid() == 9
    assert pub_fields(got["PUBLISH"])[2] == b"mine"


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=PROTO_IDS.get)
def test_takeover_with_paho_second_client(broker, rawf, pahof, protocol):
    """Takeover where the new connection is a paho client: the old raw
    connection is closed and paho receives traffic."""
    cid = uid("k")
    first = rawf(broker, cid, version=LEVEL[protocol])
    c = pahof(broker, cid, protocol=protocol)
    assert first.closed()
    topic = "take/" + uid()
    c.subscribe(topic, 0)
    c.publish(topic, b"ok")
    assert c.get().payload == b"ok"


def test_takeover_keeps_persistent_session(broker, rawf):
    """Takeover with clean session 0 hands the session to the new
    connection: session present 1 and the subscription made by the first
    connection delivers to the second."""
    cid = uid("k")
    topic = "take/" + uid()
    first = rawf(broker, cid, clean=False)
    first.subscribe([(topic, 1)])
    second = rawf(broker, cid, clean=False)
    assert second.connack.body == b"\x01\x00"
    assert first.closed()
    p = rawf(broker)
    p.send(mqttraw.publish(topic, b"handed over", qos=1, pid=3))
    p.expect("PUBACK")
    m = second.expect("PUBLISH")
    assert pub_fields(m)[2] == b"handed over"


def test_takeover_repeated(broker, rawf):
    """Ten takeovers in a row: each new connection closes the previous one
    and the session follows."""
    cid = uid("k")
    topic = "take/" + uid()
    prev = rawf(broker, cid, clean=False)
    prev.subscribe([(topic, 1)])
    pub = rawf(broker)
    for i in range(10):
        cur = rawf(broker, cid, clean=False)
        assert cur.connack.body == b"\x01\x00"
        assert prev.closed()
        pub.send(mqttraw.publish(topic, str(i), qos=1, pid=i + 1))
        pub.expect("PUBACK")
        m = cur.expect("PUBLISH")
        t, pid, payload, qos, dup, _ = pub_fields(m)
        assert payload == str(i).encode()
        cur.send(mqttraw.ack("puback", pid))
        prev = cur


# -- resending unacknowledged messages ------------------------------------

def test_mqtt_4_4_0_1_unacked_qos1_resent_with_dup_in_order(broker, rawf):
    """[MQTT-4.4.0-1] [MQTT-3.3.1-1] On reconnect with clean session 0 the
    server resends the QoS 1 messages the client did not acknowledge, with
    DUP=1, the same packet ids, in their original order; an acknowledged
    one is not resent. Messages queued while away follow, with DUP=0."""
    cid = uid("d")
    topic = "dup/" + uid()
    sub = rawf(broker, cid, clean=False)
    sub.subscribe([(topic, 1)])
    pub = rawf(broker)
    for i in range(5):
        pub.send(mqttraw.publish(topic, "m%d" % i, qos=1, pid=i + 1))
        pub.expect("PUBACK")
    first = [pub_fields(sub.expect("PUBLISH")) for _ in range(5)]
    assert [f[2] for f in first] == [b"m0", b"m1", b"m2", b"m3", b"m4"]
    assert not any(f[4] for f in first)
    sub.send(mqttraw.ack("puback", first[1][1]))   # only m1 acknowledged
    sub.send(mqttraw.PINGREQ)
    sub.expect("PINGRESP")                          # the PUBACK was read
    raw_drop(sub)
    pub.send(mqttraw.publish(topic, b"later", qos=1, pid=20))
    pub.expect("PUBACK")
    again = rawf(broker, cid, clean=False)
    assert again.connack.body == b"\x01\x00"
    resent = [pub_fields(again.expect("PUBLISH")) for _ in range(5)]
    assert [f[2] for f in resent] == [b"m0", b"m2", b"m3", b"m4", b"later"]
    want_ids = [first[i][1] for i in (0, 2, 3, 4)]
    assert [f[1] for f in resent[:4]] == want_ids
    assert all(f[4] for f in resent[:4]), "DUP must be 1 on redelivery"
    assert not resent[4][4], "a first delivery has DUP=0"
    assert all(f[3] == 1 for f in resent)
    for f in resent:
        again.send(mqttraw.ack("puback", f[1]))
    again.send(mqttraw.PINGREQ)
    again.expect("PINGRESP")
    raw_drop(again)
    # All acknowledged now: nothing is resent on the next reconnect.
    last = rawf(broker, cid, clean=False)
    assert last.connack.body == b"\x01\x00"
    last.send(mqttraw.PINGREQ)
    last.expect("PINGRESP")
    raw_quiet(last)


def test_mqtt_4_4_0_1_qos2_pubrel_resent_after_pubrec(broker, rawf):
    """[MQTT-4.4.0-1] A QoS 2 message the client has PUBREC'd but not
    PUBCOMP'd gets its PUBREL resent (same packet id, not the PUBLISH) on
    reconnect; one not yet PUBREC'd is resent as PUBLISH with DUP=1, after
    it in the original order."""
    cid = uid("d")
    topic = "dup/" + uid()
    sub = rawf(broker, cid, clean=False)
    sub.subscribe([(topic, 2)])
    pub = rawf(broker)
    for i, body in enumerate((b"rec", b"norec")):
        pub.send(mqttraw.publish(topic, body, qos=2, pid=i + 1))
        pub.expect("PUBREC")
        pub.send(mqttraw.ack("pubrel", i + 1))
        pub.expect("PUBCOMP")
    a = pub_fields(sub.expect("PUBLISH"))
    b = pub_fields(sub.expect("PUBLISH"))
    assert (a[2], a[3], b[2], b[3]) == (b"rec", 2, b"norec", 2)
    sub.send(mqttraw.ack("pubrec", a[1]))
    rel = sub.expect("PUBREL")
    assert rel.flags == 0x2 and rel.pid() == a[1]
    raw_drop(sub)      # PUBCOMP withheld for a, PUBREC withheld for b
    again = rawf(broker, cid, clean=False)
    assert again.connack.body == b"\x01\x00"
    p1 = again.recv()
    assert p1.name == "PUBREL" and p1.pid() == a[1] and p1.flags == 0x2
    p2 = again.expect("PUBLISH")
    t, pid, payload, qos, dup, _ = pub_fields(p2)
    assert (payload, pid, qos, dup) == (b"norec", b[1], 2, True)
    again.send(mqttraw.ack("pubcomp", a[1]))
    again.send(mqttraw.ack("pubrec", b[1]))
    rel = again.expect("PUBREL")
    assert rel.pid() == b[1]
    again.send(mqttraw.ack("pubcomp", b[1]))
    again.send(mqttraw.PINGREQ)
    again.expect("PINGRESP")
    raw_quiet(again)


def test_mqtt_4_3_3_2_inbound_qos2_completed_after_reconnect(broker, rawf, pahof):
    """[MQTT-4.3.3-2] [MQTT-4.4.0-1] A publisher that got PUBREC and lost
    its connection resends PUBREL on reconnect (clean session 0) and gets
    PUBCOMP; a PUBLISH resent with DUP=1 before that is answered with
    PUBREC again; subscribers get the message exactly once."""
    topic = "dup/" + uid()
    sub = pahof(broker, uid())
    sub.subscribe([(topic, 2), ("sentinel", 2)])
    cid = uid("p")
    p = rawf(broker, cid, clean=False)
    p.send(mqttraw.publish(topic, b"once", qos=2, pid=77))
    assert p.expect("PUBREC").pid() == 77
    raw_drop(p)
    p = rawf(broker, cid, clean=False)
    p.send(mqttraw.publish(topic, b"once", qos=2, pid=77, dup=True))
    assert p.expect("PUBREC").pid() == 77
    p.send(mqttraw.ack("pubrel", 77))
    assert p.expect("PUBCOMP").pid() == 77
    got = raw_sentinel(p, sub)
    assert [(m.topic, m.payload, m.qos) for m in got] == [(topic, b"once", 2)]
