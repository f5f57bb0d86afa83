"""MQTT 3.1.1 section 3.8: SUBSCRIBE."""

import pytest

import mqttraw
from mqttraw import mqtt_str, subscribe

from .helpers import (all_msgs, expect, nothing_received, pub, recv_msg,
                      session, still_open, sub)


@pytest.mark.parametrize("first", [0x80, 0x81, 0x83, 0x86, 0x8A])
def test_mqtt_3_8_1_1_subscribe_flags_must_be_0010(broker, first):
    """SUBSCRIBE with fixed header flags other than 0010: closed, no
    SUBACK."""
    c = session(broker.port, "sf")
    c.send(mqttraw.packet(first, b"\x00\x01" + mqtt_str("sf/t") + b"\x00"))
    try:
        p = c.recv()
    except (ConnectionError, OSError):
        return
    raise AssertionError("answered %r" % p)


@pytest.mark.parametrize("flt", [b"a/\xed\xa0\x80", b"\xc0\xaf", b"a\x00"])
def test_mqtt_3_8_3_1_topic_filters_must_be_utf8(broker, flt):
    c = session(broker.port, "u8")
    c.send(subscribe(1, [("ok/t", 0), (flt, 0)]))
    assert c.closed()


def test_mqtt_3_8_3_2_wildcards_supported_or_rejected(broker):
    """Filters with wildcards are either refused (0x80) or work as
    wildcards; a Server that does not support them must not grant them."""
    s = session(broker.port, "wc")
    codes = sub(s, [("wc/+/t", 1), ("wc/#", 1), ("+", 1)])
    p = session(broker.port, "pub")
    expected = 0
    for code, topic in zip(codes, ["wc/x/t", "wc/y", "top"]):
        if code == 0x80:
            continue
        assert code in (0, 1)
        pub(p, topic, b"w", qos=1)
        expected += 1
    got = all_msgs(s)
    # wc/x/t matches two of the filters: one or two copies of it.
    assert expected <= len(got) <= expected + 1


def test_mqtt_3_8_3_3_subscribe_without_payload_closes(broker):
    c = session(broker.port, "np")
    c.send(mqttraw.packet(0x82, b"\x00\x01"))
    assert c.closed()


@pytest.mark.parametrize("options", [0x03, 0x04, 0x08, 0x40, 0x80, 0xFD],
                         ids=lambda o: "0x%02x" % o)
def test_mqtt_3_8_3_4_reserved_bits_or_qos_3_closes(broker, options):
    """Requested QoS 3 or a non-zero reserved bit in the options byte:
    closed as malformed."""
    c = session(broker.port, "rb")
    c.send(mqttraw.packet(0x82, b"\x00\x01" + mqtt_str("rb/t")
                          + bytes([options])))
    assert c.closed()


def test_mqtt_3_8_3_4_missing_options_byte_closes(broker):
    c = session(broker.port, "rb")
    c.send(mqttraw.packet(0x82, b"\x00\x01" + mqtt_str("rb/t")))
    assert c.closed()


def test_mqtt_3_8_4_1_suback_for_every_subscribe(broker):
    """Every SUBSCRIBE gets a SUBACK, also when several are pipelined."""
    c = session(broker.port, "sa")
    data = b"".join(subscribe(i, [("sa/%d" % i, i % 3)])
                    for i in range(1, 11))
    c.send(data)
    acks = [expect(c, "SUBACK") for _ in range(10)]
    assert [a.pid() for a in acks] == list(range(1, 11))


@pytest.mark.parametrize("pid", [1, 0x00FF, 0x0100, 0xABCD, 0xFFFF])
def test_mqtt_3_8_4_2_suback_same_packet_id(broker, pid):
    c = session(broker.port, "sp")
    c.send(subscribe(pid, [("sp/t", 1)]))
    assert expect(c, "SUBACK").pid() == pid


def test_mqtt_3_8_4_3_identical_filter_replaces_subscription(broker):
    """Subscribing again to an identical filter replaces the subscription
    (new maximum QoS, one copy per message) and re-sends the retained
    messages."""
    p = session(broker.port, "pub")
    pub(p, "rp/t", b"retained", qos=2, retain=True)
    s = session(broker.port, "s")
    assert sub(s, [("rp/t", 0)]) == [0]
    m = recv_msg(s)
    assert m.retain and m.qos == 0
    assert sub(s, [("rp/t", 2)], pid=2) == [2]
    m = recv_msg(s)
    assert m.retain and m.qos == 2 and m.payload == b"retained"
    pub(p, "rp/t", b"live", qos=2, pid=2)
    got = all_msgs(s)
    assert [(m.payload, m.qos) for m in got] == [(b"live", 2)]


def test_mqtt_3_8_4_3_resubscribe_does_not_interrupt_flow(broker):
    """A QoS 1 message in flight before the re-subscription is still
    completed, and messages published after it keep flowing."""
    s = session(broker.port, "s")
    sub(s, [("fl/t", 1)])
    p = session(broker.port, "pub")
    pub(p, "fl/t", b"before", qos=1)
    m = recv_msg(s, ack=False)
    sub(s, [("fl/t", 1)], pid=2)
    s.send(mqttraw.ack("puback", m.pid))
    pub(p, "fl/t", b"after", qos=1, pid=2)
    got = all_msgs(s)
    assert [x.payload for x in got] == [b"after"]
    assert still_open(s)


def test_mqtt_3_8_4_4_multiple_filters_like_sequence(broker):
    """One SUBSCRIBE with several filters acts as that many SUBSCRIBEs in
    sequence, answered by one SUBACK: a repeated filter replaces the
    earlier one."""
    s = session(broker.port, "mf")
    s.send(subscribe(7, [("mf/a", 0), ("mf/b", 1), ("mf/a", 2)]))
    ack = expect(s, "SUBACK")
    assert ack.pid() == 7 and list(ack.body[2:]) == [0, 1, 2]
    assert nothing_received(s, 0.2), "more than one SUBACK"
    p = session(broker.port, "pub")
    pub(p, "mf/a", b"a", qos=2)
    pub(p, "mf/b", b"b", qos=2, pid=2)
    got = all_msgs(s)
    assert sorted((m.payload, m.qos) for m in got) == [(b"a", 2), (b"b", 1)]


def test_mqtt_3_8_4_5_return_code_per_filter(broker):
    """One return code per filter: the granted QoS (at most the requested
    one) or 0x80; messages arrive at the granted QoS."""
    req = [("rc/0", 0), ("rc/1", 1), ("rc/2", 2), ("rc/+/x", 1),
           ("rc/#", 0)]
    s = session(broker.port, "rc")
    codes = sub(s, req)
    assert len(codes) == len(req)
    for (f, q), code in zip(req, codes):
        assert code == 0x80 or code <= q, (f, q, code)
    p = session(broker.port, "pub")
    pub(p, "rc/2", b"two", qos=2)
    got = all_msgs(s)
    granted = [c for (f, q), c in zip(req, codes)
               if f in ("rc/2", "rc/#") and c != 0x80]
    # Overlapping subscriptions: one copy at the highest granted QoS, or
    # one copy per subscription [MQTT-3.3.5-1].
    assert 1 <= len(got) <= len(granted)
    assert max(m.qos for m in got) == max(granted)
    assert all(m.qos in granted for m in got)


def test_mqtt_3_8_4_6_delivered_qos_is_minimum(broker):
    """Delivered QoS = min(published QoS, granted QoS) for every pair."""
    s = session(broker.port, "mq")
    codes = sub(s, [("mq/0", 0), ("mq/1", 1), ("mq/2", 2)])
    p = session(broker.port, "pub")
    n = 0
    for g, code in enumerate(codes):
        for q in (0, 1, 2):
            n += 1
            pub(p, "mq/%d" % g, b"%d%d" % (g, q), qos=q, pid=n)
    got = all_msgs(s)
    assert len(got) == 9
    for m in got:
        g = int(m.topic[-1])
        q = int(m.payload[1:2])
        assert m.qos == min(q, codes[g]), m
