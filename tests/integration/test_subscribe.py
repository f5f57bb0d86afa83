"""SUBSCRIBE / UNSUBSCRIBE: SUBACK and UNSUBACK, overlapping subscriptions,
wildcard matching, and '$' topics."""
import pytest

import mqttraw
from helpers import (BROKER_KIND, pub_fields,
                     sentinel, sentinel_many, uid)


# -- SUBACK / UNSUBACK ----------------------------------------------------

@pytest.mark.parametrize("version", [3, 4], ids=["v31", "v311"])
def test_mqtt_3_8_4_5_suback_codes_in_order(broker, rawf, version):
    """[MQTT-3.8.4-1] [MQTT-3.8.4-2] [MQTT-3.8.4-5] [MQTT-3.9.3-1] One SUBACK
    per SUBSCRIBE, with its packet id and one granted QoS per filter, in
    the order of the filters."""
    c = rawf(broker, version=version)
    c.send(mqttraw.subscribe(0x4321, [("s/a", 2), ("s/b", 0), ("s/c", 1), ("s/#", 2)]))
    p = c.expect("SUBACK")
    assert p.flags == 0
    assert p.pid() == 0x4321
    assert list(p.body[2:]) == [2, 0, 1, 2]


def test_paho_suback_granted(paho):
    """paho sees the granted QoS list for a multi-filter subscribe."""
    c = paho(uid())
    assert c.subscribe([("p/a", 1), ("p/b", 2), ("p/c", 0)]) == [1, 2, 0]


def test_mqtt_3_8_4_4_multi_filter_subscribe_acts_per_filter(broker, rawf, pahof):
    """[MQTT-3.8.4-4] A SUBSCRIBE with several filters behaves like one
    SUBSCRIBE per filter: each delivers at its own QoS."""
    base = uid()
    c = pahof(broker, uid())
    c.subscribe([(base + "/a", 0), (base + "/b", 1), (base + "/c", 2)])
    pub = pahof(broker, uid())
    for t in ("a", "b", "c"):
        pub.publish(base + "/" + t, t.encode(), qos=2)
    got = sorted((m.topic, m.qos) for m in c.get_n(3))
    assert got == [(base + "/a", 0), (base + "/b", 1), (base + "/c", 2)]


@pytest.mark.parametrize("version", [3, 4], ids=["v31", "v311"])
def test_mqtt_3_10_4_4_unsuback_and_delivery_stops(broker, rawf, pahof, version):
    """[MQTT-3.10.4-4] UNSUBACK carries the UNSUBSCRIBE's packet id;
    [MQTT-3.10.4-2] after it, no new message for that filter arrives."""
    topic = "u/" + uid()
    c = rawf(broker, version=version)
    c.subscribe([(topic, 1), ("sentinel", 0)])
    c.send(mqttraw.unsubscribe(0x0A0B, [topic]))
    p = c.expect("UNSUBACK")
    assert p.flags == 0 and p.body == b"\x0a\x0b"
    pub = pahof(broker, uid())
    pub.publish(topic, b"gone", qos=1)
    pub.publish("sentinel", b"s", qos=1)
    assert pub_fields(c.expect("PUBLISH"))[0] == "sentinel"


def test_mqtt_3_10_4_5_unsubscribe_unknown_filter_acknowledged(broker, rawf):
    """[MQTT-3.10.4-5] UNSUBACK even if no subscription matched."""
    c = rawf(broker)
    c.send(mqttraw.unsubscribe(7, ["never/subscribed", "+/x/#"]))
    assert c.expect("UNSUBACK").pid() == 7


def test_mqtt_3_10_4_6_multi_filter_unsubscribe(broker, rawf, pahof):
    """[MQTT-3.10.4-6] One UNSUBSCRIBE for several filters removes each and
    is answered by a single UNSUBACK; [MQTT-3.10.4-1] filters are compared
    character by character: unsubscribing "x/+" leaves "x/a" in place."""
    base = uid()
    c = rawf(broker)
    c.subscribe([(base + "/a", 0), (base + "/b", 0), (base + "/+", 0),
                      ("sentinel", 0)])
    c.send(mqttraw.unsubscribe(9, [base + "/b", base + "/+"]))
    assert c.expect("UNSUBACK").pid() == 9
    pub = pahof(broker, uid())
    pub.publish(base + "/b", b"b", qos=1)
    pub.publish(base + "/a", b"a", qos=1)
    pub.publish("sentinel", b"s", qos=1)
    got = [pub_fields(c.expect("PUBLISH"))[:3:2] for _ in range(2)]
    assert got == [(base + "/a", b"a"), ("sentinel", b"s")]


def test_paho_unsubscribe(paho):
    """paho unsubscribe gets its UNSUBACK and stops the flow."""
    c = paho(uid())
    topic = "u/" + uid()
    c.subscribe([(topic, 0), ("sentinel", 2)])
    c.unsubscribe(topic)
    pub = paho(uid())
    pub.publish(topic, b"x", qos=1)
    assert sentinel(pub, c) == []


# -- overlapping subscriptions --------------------------------------------

# With allow_duplicate_messages false (its 2.0.11 default) mosquitto sends one
# copy at the QoS of whichever matching subscription its tree walk meets
# first, not the highest; with it true, one copy per subscription, which
# [MQTT-3.3.5-1] allows. The spec-level test therefore turns duplicates on
# for mosquitto. Tern sends one copy at the highest QoS.
DUPS_ON = ["allow_duplicate_messages true"] if BROKER_KIND == "mosquitto" else []

OVERLAPS = [
    # (subscriptions, published QoS)
    ([("o/a/b", 2), ("o/a/#", 0)], 2),
    ([("o/a/#", 0), ("o/a/b", 2)], 2),
    ([("o/a/b", 0), ("o/a/#", 1), ("o/+/b", 2), ("#", 0)], 2),
    ([("o/a/b", 1), ("o/a/#", 0)], 2),
    ([("o/a/b", 0), ("o/a/#", 2)], 1),
    ([("o/a/b", 0), ("o/a/#", 0)], 2),
]


OVERLAP_IDS = [",".join("%s:%d" % f for f in subs) + "@q%d" % q
               for subs, q in OVERLAPS]


def overlap_run(broker, rawf, subs, q):
    """Publish one message to o/a/b at QoS q; return the (qos) of every
    copy the subscriber with `subs` receives (acknowledging each)."""
    c = rawf(broker)
    for i, f in enumerate(subs):
        c.subscribe([f], pid=i + 1)
    c.subscribe([("sentinel", 0)], pid=100)
    p = rawf(broker)
    p.send(mqttraw.publish("o/a/b", b"x", qos=q, pid=1))
    if q == 1:
        p.expect("PUBACK")
    elif q == 2:
        p.expect("PUBREC")
        p.send(mqttraw.ack("pubrel", 1))
        p.expect("PUBCOMP")
    p.send(mqttraw.publish("sentinel", b"s", qos=0))
    copies = []
    while True:
        m = c.recv()
        if m.name == "PUBREL":
            c.send(mqttraw.ack("pubcomp", m.pid()))
            continue
        t, pid, payload, qos, dup, _ = pub_fields(m)
        if t == "sentinel":
            # '#' also matches the sentinel; only the o/a/b copies count
            if payload == b"s":
                break
            continue
        copies.append(qos)
        if qos == 1:
            c.send(mqttraw.ack("puback", pid))
        elif qos == 2:
            c.send(mqttraw.ack("pubrec", pid))
    return copies


@pytest.mark.parametrize("subs,q", OVERLAPS, ids=OVERLAP_IDS)
def test_mqtt_3_3_5_1_overlapping_subscriptions_max_qos(broker_factory, rawf, subs, q):
    """[MQTT-3.3.5-1] With several matching subscriptions the message is
    delivered respecting the highest granted QoS: one copy arrives at
    min(published, highest granted); further copies, one per additional
    subscription at most, are allowed."""
    b = broker_factory(DUPS_ON)
    copies = overlap_run(b, rawf, subs, q)
    want = min(q, max(g for _, g in subs))
    assert want in copies, copies
    assert len(copies) <= len(subs)
    assert all(c <= want for c in copies)


@pytest.mark.tern_only
def test_overlaps_among_many_subscribers_delivered_once(broker, rawf):
    """A topic with 151 subscribed sessions (past the broker's first
    de-duplication table of 64 entries), each with overlapping
    subscriptions: every session gets one copy, at its highest QoS."""
    others = []
    for _ in range(150):
        c = rawf(broker)
        c.subscribe([("o/#", 0)], pid=1)
        c.subscribe([("o/a/+", 1)], pid=2)
        others.append(c)
    subs = [("o/a/b", 0), ("o/a/#", 1), ("o/+/b", 2), ("#", 0)]
    assert overlap_run(broker, rawf, subs, 2) == [2]
    rawf(broker).send(mqttraw.publish("o/end", b"e", qos=0))
    for c in others:
        t, pid, _, qos, _, _ = pub_fields(c.expect("PUBLISH"))
        assert (t, qos) == ("o/a/b", 1)
        c.send(mqttraw.ack("puback", pid))
        # in order: a second copy would come before this
        assert pub_fields(c.expect("PUBLISH"))[0] == "o/end"


@pytest.mark.tern_only
@pytest.mark.parametrize("subs,q", OVERLAPS, ids=OVERLAP_IDS)
def test_overlapping_subscriptions_delivered_once_at_max_qos(broker, rawf, subs, q):
    """Tern delivers a message matching several subscriptions of one client
    exactly once, at min(published QoS, highest granted QoS)."""
    copies = overlap_run(broker, rawf, subs, q)
    assert copies == [min(q, max(g for _, g in subs))]


@pytest.mark.skipif(BROKER_KIND != "mosquitto", reason="documents mosquitto")
def test_overlapping_subscriptions_mosquitto_behaviour(broker_factory, rawf):
    """What mosquitto 2.0.11 does, for reference: by default one copy, at the
    QoS of the subscription its tree walk finds first (the exact topic
    before wildcards, "+" before "#"), which can be below the highest; with
    allow_duplicate_messages true, one copy per matching subscription."""
    b = broker_factory()
    assert overlap_run(b, rawf, [("o/a/#", 0), ("o/a/b", 2)], 2) == [2]
    assert overlap_run(b, rawf, [("o/a/b", 0), ("o/a/#", 2)], 2) == [0]
    assert overlap_run(b, rawf, [("o/a/#", 1), ("o/a/+", 2)], 2) == [2]
    d = broker_factory(["allow_duplicate_messages true"])
    assert sorted(overlap_run(d, rawf, [("o/a/b", 0), ("o/a/#", 2)], 2)) == [0, 2]


# -- wildcard matching ----------------------------------------------------

TOPICS = ["sport", "sport/", "sport/tennis", "sport/tennis/player1",
          "sport/tennis/player1/ranking",
          "sport/tennis/player1/score/wimbledon", "sport/tennis/player2",
          "/finance", "finance", "a//b", "Sport/tennis"]

MATCHES = {
    "sport/tennis/player1/#": ["sport/tennis/player1",
                               "sport/tennis/player1/ranking",
                               "sport/tennis/player1/score/wimbledon"],
    "sport/#": ["sport", "sport/", "sport/tennis", "sport/tennis/player1",
                "sport/tennis/player1/ranking",
                "sport/tennis/player1/score/wimbledon",
                "sport/tennis/player2"],
    "#": TOPICS,
    "+/#": TOPICS,
    "sport/tennis/+": ["sport/tennis/player1", "sport/tennis/player2"],
    "sport/+": ["sport/", "sport/tennis"],
    "+": ["sport", "finance"],
    "+/+": ["sport/", "sport/tennis", "/finance", "Sport/tennis"],
    "/+": ["/finance"],
    "+/tennis/#": ["sport/tennis", "sport/tennis/player1",
                   "sport/tennis/player1/ranking",
                   "sport/tennis/player1/score/wimbledon",
                   "sport/tennis/player2", "Sport/tennis"],
    "a/+/b": ["a//b"],
    "+/+/+": ["sport/tennis/player1", "sport/tennis/player2", "a//b"],
    "sport/tennis/player1": ["sport/tennis/player1"],
    "sport/+/player1": ["sport/tennis/player1"],
    "Sport/#": ["Sport/tennis"],
    "sport/tennis/player1/+": ["sport/tennis/player1/ranking"],
}


def test_mqtt_4_7_1_wildcard_matching(broker, pahof):
    """[MQTT-4.7.1-2] '#' matches the parent level and any number of
    levels below; [MQTT-4.7.1-3] '+' matches exactly one level, an empty
    one included; topics are case sensitive; [MQTT-3.3.2-3] messages carry
    the published topic name."""
    subs = {}
    for filt in MATCHES:
        c = pahof(broker, uid())
        c.subscribe([(filt, 2), ("sentinel", 2)])
        subs[filt] = c
    pub = pahof(broker, uid())
    for t in TOPICS:
        pub.publish(t, t.encode(), qos=1)
    got = sentinel_many(pub, subs.values())
    for (filt, want), msgs in zip(MATCHES.items(), got):
        seen = [m.topic for m in msgs]
        assert sorted(seen) == sorted(want), filt
        assert all(m.payload == m.topic.encode() for m in msgs)


def test_mqtt_4_7_2_1_sys_not_matched_by_leading_wildcards(broker_factory, pahof):
    """[MQTT-4.7.2-1] Filters starting with '#' or '+' do not match topics
    starting with '$': with $SYS topics being published, "#", "+/broker/#"
    and "+/+/+" get none (neither retained nor live ones), while
    "$SYS/#" and "$SYS/+/uptime" do."""
    b = broker_factory(["sys_interval 1"])
    blind = {}
    for filt in ("#", "+/broker/#", "+/+/uptime", "+/#", "+/+/+"):
        c = pahof(b, uid())
        c.subscribe([(filt, 0), ("sentinel", 2)])
        blind[filt] = c
    see_all = pahof(b, uid())
    see_all.subscribe("$SYS/#", 0)
    see_up = pahof(b, uid())
    see_up.subscribe("$SYS/+/uptime", 0)
    m = see_up.get()
    assert m.topic == "$SYS/broker/uptime"
    # Wait for a live (not retained) $SYS update: published after every
    # subscription above was in place.
    while True:
        m = see_up.get(timeout=4)
        if not m.retain:
            break
    assert see_all.get().topic.startswith("$SYS/")
    got = sentinel_many(pahof(b, uid()), blind.values())
    for filt, msgs in zip(blind, got):
        assert [m.topic for m in msgs if m.topic.startswith("$")] == [], filt


# -- invalid filters ------------------------------------------------------

@pytest.mark.parametrize("filt", ["a/#/b", "a#", "a/b#", "#/", "a+", "+a/b",
                                  "a/+b", "#+", ""])
def test_mqtt_4_7_1_invalid_filter_rejected(broker, rawf, pahof, filt):
    """[MQTT-4.7.1-2] [MQTT-4.7.1-3] [MQTT-4.7.3-1] A malformed topic filter
    is refused: either SUBACK 0x80 for it or the connection closed
    (mosquitto closes). Other clients are unaffected."""
    ok = pahof(broker, uid())
    topic = "fine/" + uid()
    ok.subscribe(topic, 1)
    c = rawf(broker)
    c.send(mqttraw.subscribe(3, [(filt, 0)]))
    try:
        p = c.recv()
    except ConnectionError:
        p = None
    if p is not None:
        assert p.name == "SUBACK" and p.pid() == 3
        assert list(p.body[2:]) == [0x80]
    ok.publish(topic, b"ok", qos=1)
    assert ok.get().payload == b"ok"


def test_mqtt_3_8_3_4_subscribe_qos_3_closes(broker, rawf):
    """[MQTT-3-8.3-4] A requested QoS of 3 is malformed: the connection is
    closed."""
    c = rawf(broker)
    c.send(mqttraw.subscribe(1, [("x", 3)]))
    assert c.closed()
