"""PUBLISH at QoS 0, 1 and 2 in both directions: acknowledgement flows,
exactly-once, QoS downgrade, ordering, and the inflight / queue limits."""
import socket
import time

import pytest

import mqttraw
from helpers import (MQTTv31, MQTTv311, PROTOCOLS, PROTO_IDS, WAIT,
                     go_offline, pub_fields, publish_in_parallel, raw_quiet,
                     raw_publish, raw_sentinel, sentinel_many, uid)


# -- acknowledgement flows ------------------------------------------------

@pytest.mark.parametrize("version", [3, 4], ids=["v31", "v311"])
def test_mqtt_3_3_4_1_publisher_ack_flows(broker, rawf, version):
    """[MQTT-3.3.4-1] [MQTT-4.3.2-2] [MQTT-4.3.3-2] The server answers a
    QoS 0 PUBLISH with nothing, QoS 1 with PUBACK, QoS 2 with PUBREC and
    then PUBREL with PUBCOMP, each carrying the packet id."""
    topic = "flow/" + uid()
    sub = rawf(broker, version=version)
    sub.subscribe([(topic, 2)])
    p = rawf(broker, version=version)
    p.send(mqttraw.publish(topic, b"q0", qos=0))
    p.send(mqttraw.PINGREQ)
    p.expect("PINGRESP")      # nothing came before it
    p.send(mqttraw.publish(topic, b"q1", qos=1, pid=0x1234))
    assert p.expect("PUBACK").pid() == 0x1234
    p.send(mqttraw.publish(topic, b"q2", qos=2, pid=0xFFFF))
    rec = p.expect("PUBREC")
    assert rec.pid() == 0xFFFF and rec.flags == 0
    p.send(mqttraw.ack("pubrel", 0xFFFF))
    comp = p.expect("PUBCOMP")
    assert comp.pid() == 0xFFFF and comp.flags == 0
    # The subscriber got all three (acks for it are not needed here).
    got = []
    while len(got) < 3:
        pk = sub.recv()
        if pk.name == "PUBLISH":
            got.append(pub_fields(pk))
            if pk.qos == 2:
                sub.send(mqttraw.ack("pubrec", got[-1][1]))
    assert [g[2] for g in got] == [b"q0", b"q1", b"q2"]


@pytest.mark.parametrize("version", [3, 4], ids=["v31", "v311"])
def test_subscriber_ack_flows(broker, rawf, pahof, version):
    """Towards a subscriber: QoS 0 has no packet id and DUP=0
    [MQTT-3.3.1-2]; QoS 1 and 2 carry a non-zero packet id [MQTT-2.3.1-1];
    PUBACK ends QoS 1; PUBREC is answered with PUBREL (flags 0010, same id)
    [MQTT-4.3.3-1] and PUBCOMP ends QoS 2. Nothing is redelivered after."""
    topic = "flow/" + uid()
    sub = rawf(broker, version=version)
    sub.subscribe([(topic, 2)])
    pub = pahof(broker, uid())
    pub.publish(topic, b"zero", qos=0)
    t, pid, payload, qos, dup, retain = pub_fields(sub.expect("PUBLISH"))
    assert (t, pid, payload, qos, dup, retain) == (topic, None, b"zero", 0, False, False)
    pub.publish(topic, b"one", qos=1)
    t, pid, payload, qos, dup, retain = pub_fields(sub.expect("PUBLISH"))
    assert (payload, qos, dup) == (b"one", 1, False) and pid
    sub.send(mqttraw.ack("puback", pid))
    pub.publish(topic, b"two", qos=2)
    t, pid2, payload, qos, dup, retain = pub_fields(sub.expect("PUBLISH"))
    assert (payload, qos, dup) == (b"two", 2, False) and pid2
    sub.send(mqttraw.ack("pubrec", pid2))
    rel = sub.expect("PUBREL")
    assert rel.flags == 0x2 and rel.pid() == pid2
    sub.send(mqttraw.ack("pubcomp", pid2))
    sub.send(mqttraw.PINGREQ)
    sub.expect("PINGRESP")
    raw_quiet(sub)


@pytest.mark.parametrize("qos", [0, 1, 2])
@pytest.mark.parametrize("protocol", PROTOCOLS, ids=PROTO_IDS.get)
def test_paho_round_trip_payloads(paho, protocol, qos):
    """paho to paho at each QoS and protocol level: empty, binary and
    64 KiB payloads arrive intact, at the published QoS, on the topic
    published (UTF-8 included) [MQTT-3.3.2-3]."""
    sub = paho(uid(), protocol=protocol)
    pub = paho(uid(), protocol=protocol)
    topic = "rt/" + uid() + "/\u00e9t\u00e9/\u6771\u4eac"
    sub.subscribe(topic, 2)
    payloads = [b"", bytes(range(256)), b"\x00" * 3 + b"x" * 65536]
    for p in payloads:
        pub.publish(topic, p, qos=qos)
    got = sub.get_n(len(payloads))
    assert [m.payload for m in got] == payloads
    assert all(m.qos == qos and m.topic == topic and not m.retain for m in got)


def test_large_payload(paho):
    """A 1 MiB payload (a four-byte remaining length) goes through whole."""
    sub = paho(uid())
    pub = paho(uid())
    topic = "big/" + uid()
    sub.subscribe(topic, 1)
    body = bytes(i % 251 for i in range(1 << 20))
    pub.publish(topic, body, qos=1)
    m = sub.get()
    assert len(m.payload) == len(body) and m.payload == body


def test_publish_without_subscribers_is_acknowledged(rawf, broker):
    """QoS 1 and 2 publishes to a topic nobody subscribes to are still
    acknowledged normally."""
    p = rawf(broker)
    p.send(mqttraw.publish("nobody/" + uid(), b"x", qos=1, pid=1))
    p.expect("PUBACK")
    p.send(mqttraw.publish("nobody/" + uid(), b"x", qos=2, pid=2))
    p.expect("PUBREC")
    p.send(mqttraw.ack("pubrel", 2))
    p.expect("PUBCOMP")


# -- exactly once ---------------------------------------------------------

def qos2_dup_flow(broker, rawf, pahof, version, repeats):
    topic = "eo/" + uid()
    sub = pahof(broker, uid())
    sub.subscribe([(topic, 2), ("sentinel", 2)])
    p = rawf(broker, version=version)
    p.send(mqttraw.publish(topic, b"first", qos=2, pid=5))
    assert p.expect("PUBREC").pid() == 5
    for _ in range(repeats):
        p.send(mqttraw.publish(topic, b"first", qos=2, pid=5, dup=True))
        assert p.expect("PUBREC").pid() == 5
    p.send(mqttraw.ack("pubrel", 5))
    assert p.expect("PUBCOMP").pid() == 5
    p.send(mqttraw.publish(topic, b"second", qos=2, pid=5))
    assert p.expect("PUBREC").pid() == 5
    p.send(mqttraw.ack("pubrel", 5))
    assert p.expect("PUBCOMP").pid() == 5
    got = raw_sentinel(p, sub)
    assert [(m.payload, m.qos) for m in got] == [(b"first", 2), (b"second", 2)]


@pytest.mark.parametrize("version", [3, 4], ids=["v31", "v311"])
def test_mqtt_4_3_3_2_qos2_duplicate_publish_delivered_once(broker, rawf, pahof, version):
    """[MQTT-4.3.3-2] Until PUBREL, a QoS 2 PUBLISH that arrives again with
    the same packet id (DUP=1) is answered with PUBREC and not delivered a
    second time. After PUBCOMP the id is free: a new PUBLISH with it is a
    new message."""
    qos2_dup_flow(broker, rawf, pahof, version, repeats=1)


@pytest.mark.mosquitto_differs
def test_mqtt_4_3_3_2_qos2_repeated_duplicates_answered(broker, rawf, pahof):
    """[MQTT-4.3.3-2] "Until it has received the corresponding PUBREL ...
    MUST acknowledge any subsequent PUBLISH packet with the same Packet
    Identifier by sending a PUBREC": three duplicates, three PUBRECs, one
    delivery. (mosquitto 2.0.11 answers the first duplicate and closes the
    connection as a protocol error on the second.)"""
    qos2_dup_flow(broker, rawf, pahof, 4, repeats=3)


def test_qos2_pubrel_for_unknown_id_gets_pubcomp(rawf, broker):
    """A PUBREL for a packet id the server does not know (already
    completed) is still answered with PUBCOMP, so a client retrying after
    a lost PUBCOMP finishes its flow."""
    p = rawf(broker)
    p.send(mqttraw.ack("pubrel", 4242))
    assert p.expect("PUBCOMP").pid() == 4242


# -- QoS downgrade --------------------------------------------------------

def test_mqtt_3_8_4_6_delivered_qos_is_minimum(broker, pahof):
    """[MQTT-3.8.4-6] A message goes to each subscriber at the minimum of the
    published QoS and the QoS granted to that subscription."""
    topic = "min/" + uid()
    subs = {}
    for g in (0, 1, 2):
        s = pahof(broker, uid())
        assert s.subscribe([(topic, g), ("sentinel", 2)]) == [g, 2]
        subs[g] = s
    pub = pahof(broker, uid())
    for q in (0, 1, 2):
        pub.publish(topic, b"q%d" % q, qos=q)
    got = sentinel_many(pub, subs.values())
    for g, msgs in zip(subs, got):
        seen = sorted((m.payload, m.qos) for m in msgs)
        assert seen == [(b"q%d" % q, min(q, g)) for q in (0, 1, 2)], (g, seen)


@pytest.mark.parametrize("version", [3, 4], ids=["v31", "v311"])
def test_mqtt_3_8_4_6_downgrade_on_the_wire(broker, rawf, version):
    """[MQTT-3.8.4-6] on the wire: a QoS 2 publish to a QoS 1 subscription
    arrives as QoS 1 (PUBLISH flags 0010, a packet id), and to a QoS 0
    subscription as QoS 0 (no packet id)."""
    topic = "min/" + uid()
    s1 = rawf(broker, version=version)
    s0 = rawf(broker, version=version)
    s1.subscribe([(topic, 1)])
    s0.subscribe([(topic, 0)])
    p = rawf(broker, version=version)
    p.send(mqttraw.publish(topic, b"x", qos=2, pid=1))
    p.expect("PUBREC")
    p.send(mqttraw.ack("pubrel", 1))
    p.expect("PUBCOMP")
    m1 = s1.expect("PUBLISH")
    assert m1.flags == 0x2 and pub_fields(m1)[1]
    m0 = s0.expect("PUBLISH")
    assert m0.flags == 0x0 and pub_fields(m0)[1] is None
    assert pub_fields(m0)[2] == b"x"


# -- ordering -------------------------------------------------------------

@pytest.mark.parametrize("qos,protocol", [(0, MQTTv311), (1, MQTTv311),
                                          (2, MQTTv311), (1, MQTTv31)],
                         ids=["q0", "q1", "q2", "q1-v31"])
def test_mqtt_4_6_0_6_order_kept_per_topic(paho, qos, protocol):
    """[MQTT-4.6.0-6] 500 numbered messages from one publisher on one topic
    reach the subscriber in the order sent, at every QoS."""
    n = 500
    sub = paho(uid(), protocol=protocol)
    pub = paho(uid(), protocol=protocol)
    topic = "order/" + uid()
    sub.subscribe(topic, qos)
    infos = [pub.publish(topic, b"%d" % i, qos=qos, wait=False) for i in range(n)]
    for info in infos:
        info.wait_for_publish(timeout=WAIT)
    got = sub.get_n(n, timeout=15)
    assert [int(m.payload) for m in got] == list(range(n))


def test_mqtt_4_6_0_6_order_kept_per_publisher(paho):
    """[MQTT-4.6.0-6] Three publishers send 200 messages each to the same
    topic at once (QoS 1): the subscriber sees every publisher's messages in
    that publisher's order."""
    n = 200
    sub = paho(uid())
    topic = "order/" + uid()
    sub.subscribe(topic, 1)
    pubs = [paho(uid()) for _ in range(3)]
    publish_in_parallel(pubs, n, lambda i, k: (topic, b"%d:%d" % (i, k)))
    got = sub.get_n(3 * n, timeout=15)
    per = {0: [], 1: [], 2: []}
    for m in got:
        i, k = m.payload.split(b":")
        per[int(i)].append(int(k))
    for i in per:
        assert per[i] == list(range(n)), i


# -- inflight window and queue limits -------------------------------------

def ack_for(c, f):
    """Acknowledge a PUBLISH given as pub_fields(): PUBACK or PUBREC."""
    c.send(mqttraw.ack("puback" if f[3] == 1 else "pubrec", f[1]))


def collect(c, want, ack=True, timeout=WAIT):
    """Read until `want` PUBLISHes arrived; acknowledge each if ack (and
    complete QoS 2 flows). Returns their pub_fields() in arrival order."""
    got = []
    deadline = time.time() + timeout
    while len(got) < want:
        p = c.recv(max(0.01, deadline - time.time()))
        if p.name == "PUBLISH":
            f = pub_fields(p)
            got.append(f)
            if ack:
                ack_for(c, f)
        elif p.name == "PUBREL":
            c.send(mqttraw.ack("pubcomp", p.pid()))
    return got


def collect_all(c, timeout=WAIT):
    """Acknowledge and collect PUBLISHes until none arrives for a while."""
    got = []
    while True:
        try:
            got += collect(c, 1, timeout=0.5)
        except socket.timeout:
            return got


@pytest.mark.parametrize("qos", [1, 2])
def test_max_inflight_messages_window(broker_factory, rawf, pahof, qos):
    """max_inflight_messages 3: a subscriber that does not acknowledge gets
    exactly 3 QoS 1/2 messages and no more; once it acknowledges, the rest
    follow, in order, none lost."""
    b = broker_factory(["max_inflight_messages 3"])
    topic = "infl/" + uid()
    slow = rawf(b)
    slow.subscribe([(topic, qos)])
    watch = pahof(b, uid())
    watch.subscribe(topic, qos)
    pub = pahof(b, uid())
    for i in range(10):
        pub.publish(topic, b"%d" % i, qos=qos)
    watch.get_n(10)          # the broker has routed all ten
    first = collect(slow, 3, ack=False)
    assert [f[2] for f in first] == [b"0", b"1", b"2"]
    raw_quiet(slow)
    for f in first:
        ack_for(slow, f)
    rest = collect(slow, 7)
    assert [f[2] for f in first + rest] == [b"%d" % i for i in range(10)]
    slow.send(mqttraw.PINGREQ)
    while slow.recv().name != "PINGRESP":
        pass
    raw_quiet(slow)


@pytest.mark.mosquitto_differs
def test_max_inflight_one_ack_opens_one_slot(broker_factory, rawf, pahof):
    """max_inflight_messages 3: with three QoS 1 messages unacknowledged,
    one PUBACK lets exactly one more through. (mosquitto 2.0.11 sends three
    more after the first PUBACK of a 3.1.1 client, five unacknowledged
    messages in flight.)"""
    b = broker_factory(["max_inflight_messages 3"])
    topic = "infl/" + uid()
    slow = rawf(b)
    slow.subscribe([(topic, 1)])
    watch = pahof(b, uid())
    watch.subscribe(topic, 1)
    pub = pahof(b, uid())
    for i in range(10):
        pub.publish(topic, b"%d" % i, qos=1)
    watch.get_n(10)
    first = collect(slow, 3, ack=False)
    raw_quiet(slow)
    ack_for(slow, first[0])
    nxt = collect(slow, 1, ack=False)
    assert nxt[0][2] == b"3"
    raw_quiet(slow)


def test_max_queued_messages_offline_newest_dropped(broker_factory, rawf, pahof):
    """max_queued_messages caps what a persistent session stores while its
    client is away. The policy (mosquitto's): when full, the newest
    messages are dropped, so the client gets the oldest ones, in order.
    mosquitto counts the cap "above those in flight"; with
    max_inflight_messages 2 and max_queued_messages 3 it keeps 3 of 10 for
    an absent client, so any count from 3 to 5 is accepted. The session
    keeps working afterwards."""
    b = broker_factory(["max_inflight_messages 2", "max_queued_messages 3"])
    cid = uid("q")
    topic = "queue/" + uid()
    go_offline(b, cid, [(topic, 1)])
    pub = pahof(b, uid())
    for i in range(10):
        pub.publish(topic, b"%d" % i, qos=1)
    c = rawf(b, cid, clean=False)
    got = [f[2] for f in collect_all(c)]
    assert 3 <= len(got) <= 5, got
    assert got == [b"%d" % i for i in range(len(got))], "newest must be dropped"
    pub.publish(topic, b"after", qos=1)
    assert [f[2] for f in collect(c, 1)] == [b"after"]


def test_max_queued_messages_online_newest_dropped(broker_factory, rawf, pahof):
    """A connected subscriber that stops acknowledging: max_inflight_messages
    3 are in flight, max_queued_messages 4 wait behind them, newer ones are
    dropped (mosquitto delivers 0..6 of 0..9). Other subscribers get
    everything; the slow one resumes once it acknowledges."""
    b = broker_factory(["max_inflight_messages 3", "max_queued_messages 4"])
    topic = "queue/" + uid()
    slow = rawf(b)
    slow.subscribe([(topic, 1)])
    watch = pahof(b, uid())
    watch.subscribe(topic, 1)
    pub = pahof(b, uid())
    for i in range(10):
        pub.publish(topic, b"%d" % i, qos=1)
        # one at a time, so the watcher never has a backlog of its own
        assert watch.get().payload == b"%d" % i
    # The slow session may live on the other worker, which handles its
    # socket before its inbox in a turn. Its PINGRESP comes after that
    # worker has taken every delivery pushed before the last PUBACK, so
    # none of them can slip into the room the acknowledgements make.
    slow.send(mqttraw.PINGREQ)
    early = []
    while True:
        p = slow.recv(WAIT)
        if p.name == "PINGRESP":
            break
        assert p.name == "PUBLISH", p.name
        early.append(pub_fields(p))
    for f in early:
        ack_for(slow, f)
    got = [f[2] for f in early + collect_all(slow)]
    assert 4 <= len(got) <= 7, got
    assert got == [b"%d" % i for i in range(len(got))], "newest must be dropped"
    pub.publish(topic, b"after", qos=1)
    assert [f[2] for f in collect(slow, 1)] == [b"after"]


# -- message_size_limit ---------------------------------------------------

def test_message_size_limit_drops_larger_payloads(broker_factory, rawf, pahof):
    """message_size_limit 1000: a payload of up to 1000 bytes is delivered;
    a larger one is acknowledged (the publisher's flow completes, at QoS 1
    and 2) but not delivered, and the connection stays up."""
    b = broker_factory(["message_size_limit 1000"])
    topic = "size/" + uid()
    sub = pahof(b, uid())
    sub.subscribe([(topic, 2), ("sentinel", 2)])
    p = rawf(b)
    pid = 0
    for n, qos in ((1000, 1), (1001, 1), (5000, 2), (999, 2), (4000, 0)):
        pid += 1
        raw_publish(p, topic, b"z" * n, qos=qos, pid=pid)
    got = raw_sentinel(p, sub)
    assert sorted(len(m.payload) for m in got) == [999, 1000]
