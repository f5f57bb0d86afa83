"""Hostile packet contents on MQTT 3.1.1: strings that are not valid
MQTT UTF-8, invalid topic names and filters, QoS 3, packet id 0, and
lengths inside a packet that run past its end.

Each test checks (a) the hostile connection is closed (or answered as the
spec says) within a bounded time, (b) a client connected before the attack
still publishes and receives, (c) a new client still connects, subscribes,
publishes and receives.
"""
import struct

import pytest

import mqttraw
from hostile_lib import S, connected, survives, uid

pytestmark = pytest.mark.tern_only

# [MQTT-1.5.3-1] ill-formed UTF-8 (including surrogates, overlong forms
# and code points past U+10FFFF) and [MQTT-1.5.3-2] U+0000: the receiver
# closes the connection.
BAD_UTF8 = {
    "nul": b"a\x00b",
    "lone-continuation": b"a\x80b",
    "bad-continuation": b"\xc3\x28",
    "byte-ff": b"x\xff",
    "byte-fe": b"\xfe",
    "overlong-nul": b"\xc0\x80",
    "overlong-slash": b"a\xc0\xafb",
    "overlong-3byte": b"\xe0\x80\xaf",
    "surrogate-high": b"\xed\xa0\x80",
    "surrogate-low": b"\xed\xbf\xbf",
    "surrogate-pair-cesu": b"\xed\xa0\xbd\xed\xb8\x80",
    "above-10ffff": b"\xf4\x90\x80\x80",
    "five-byte-form": b"\xf8\x88\x80\x80\x80",
    "truncated-3byte": b"a\xe2\x82",
    "truncated-at-end": b"abc\xf0\x9f\x98",
}


def bstr(b):
    return struct.pack("!H", len(b)) + b


def connect_v4(flags, payload, keepalive=60):
    return mqttraw.packet(0x10, S("MQTT") + bytes([4, flags]) +
                          struct.pack("!H", keepalive) + payload)


def expect_refused(broker, raws, by, data, what):
    bad = raws(broker)
    bad.send_quiet(data)
    bad.assert_closed(3.0, what)
    survives(broker, by)


def expect_closed_after_connect(broker, raws, by, data, what,
                                allow=("CONNACK",)):
    bad = raws(broker)
    assert bad.connect(uid()).body[1] == 0
    bad.send_quiet(data)
    bad.assert_closed(3.0, what, allow=allow)
    survives(broker, by)


@pytest.mark.parametrize("field", ["client-id", "will-topic", "user-name"])
def test_invalid_utf8_in_connect(broker, raws, bystander, field):
    """[MQTT-1.5.3-1] [MQTT-1.5.3-2] in the UTF-8 fields of CONNECT
    (client id [MQTT-3.1.3-4], will topic [MQTT-3.1.3-10], user name
    [MQTT-3.1.3-11]): closed, never accepted."""
    by = bystander(broker)
    for name, bad in BAD_UTF8.items():
        if field == "client-id":
            data = connect_v4(0x02, bstr(bad))
        elif field == "will-topic":
            data = connect_v4(0x06, S(uid()) + bstr(b"w/" + bad) + S("m"))
        else:
            data = connect_v4(0x82, S(uid()) + bstr(bad))
        expect_refused(broker, raws, by, data, "%s %s" % (field, name))


def test_invalid_utf8_in_publish_topic(broker, raws, bystander):
    """[MQTT-1.5.3-1] [MQTT-1.5.3-2] in a PUBLISH topic, at QoS 0, 1 and
    2: closed, and a subscriber to '#' never sees such a topic."""
    by = bystander(broker)
    watcher = connected(broker)
    assert watcher.subscribe([("#", 0)]) == [0]
    for name, bad in BAD_UTF8.items():
        for qos in (0, 1, 2):
            body = bstr(b"t/" + bad)
            if qos:
                body += b"\x00\x05"
            data = mqttraw.packet(0x30 | (qos << 1), body + b"payload")
            expect_closed_after_connect(broker, raws, by, data,
                                        "topic %s qos %d" % (name, qos))
    drain_and_check_topics(watcher)


def drain_and_check_topics(watcher):
    """Everything the '#' watcher got has a valid topic."""
    while True:
        try:
            p = watcher.recv(0.2)
        except Exception:
            break
        if p.name == "PUBLISH":
            n = struct.unpack("!H", p.body[:2])[0]
            t = p.body[2:2 + n]
            assert b"\x00" not in t, t
            t.decode("utf-8")           # raises on ill-formed UTF-8
            assert "+" not in t.decode() and "#" not in t.decode(), t


@pytest.mark.parametrize("kind", ["subscribe", "unsubscribe"])
def test_invalid_utf8_in_filters(broker, raws, bystander, kind):
    """[MQTT-1.5.3-1] [MQTT-1.5.3-2] in a SUBSCRIBE / UNSUBSCRIBE topic
    filter ([MQTT-3.8.3-1], [MQTT-3.10.3-1]), alone and after a valid
    filter in the same packet: closed."""
    by = bystander(broker)
    for name, bad in BAD_UTF8.items():
        for lead in (b"", S("ok/filter") + (b"\x00" if kind ==
                                            "subscribe" else b"")):
            if kind == "subscribe":
                body = b"\x00\x01" + lead + bstr(b"f/" + bad) + b"\x00"
                data = mqttraw.packet(0x82, body)
            else:
                body = b"\x00\x01" + lead + bstr(b"f/" + bad)
                data = mqttraw.packet(0xA2, body)
            expect_closed_after_connect(broker, raws, by, data,
                                        "%s filter %s" % (kind, name))


# --- topic names and filters ---------------------------------------------


WILDCARD_NAMES = ["+", "#", "a/+", "a/#", "+/a", "a/+/b", "a+b", "a#",
                  "#/a", "a/b/c#", "$SYS/#"]


def test_wildcards_in_topic_names(broker, raws, bystander):
    """[MQTT-3.3.2-2] a topic name (PUBLISH, will) holds no wildcard
    character: closed, and a subscriber to '#' never gets the message."""
    by = bystander(broker)
    watcher = connected(broker)
    assert watcher.subscribe([("#", 0)]) == [0]
    for t in WILDCARD_NAMES:
        for qos in (0, 1):
            expect_closed_after_connect(
                broker, raws, by, mqttraw.publish(t, b"x", qos=qos, pid=3),
                "publish to %r qos %d" % (t, qos))
        expect_refused(broker, raws, by,
                       mqttraw.connect(uid(), will=(t, b"w", 0, False)),
                       "will topic %r" % t)
    drain_and_check_topics(watcher)


def test_empty_topics_and_filters(broker, raws, bystander):
    """[MQTT-4.7.3-1] topic names and filters are at least one character:
    an empty PUBLISH topic (3.1.1 has no topic alias; class: mosquitto
    CVE-2021-34432, a zero-length topic crashed the broker), an empty will
    topic, an empty SUBSCRIBE / UNSUBSCRIBE filter: closed."""
    by = bystander(broker)
    for qos in (0, 1, 2):
        expect_closed_after_connect(
            broker, raws, by, mqttraw.publish("", b"x", qos=qos, pid=4),
            "empty topic qos %d" % qos)
    expect_refused(broker, raws, by,
                   mqttraw.connect(uid(), will=("", b"w", 0, False)),
                   "empty will topic")
    expect_closed_after_connect(broker, raws, by,
                                mqttraw.subscribe(1, [("", 0)]),
                                "empty filter", allow=("SUBACK",))
    expect_closed_after_connect(broker, raws, by,
                                mqttraw.subscribe(1, [("a", 0), ("", 0)]),
                                "empty second filter", allow=("SUBACK",))
    expect_closed_after_connect(broker, raws, by,
                                mqttraw.unsubscribe(1, [""]),
                                "empty unsubscribe filter")


def test_subscribe_and_unsubscribe_without_filters(broker, raws,
                                                   bystander):
    """[MQTT-3.8.3-3] a SUBSCRIBE has at least one filter;
    [MQTT-3.10.3-2] so has an UNSUBSCRIBE: closed. (Class: libmosquitto
    CVE-2024-10525, a SUBACK without reason codes read out of bounds.)"""
    by = bystander(broker)
    for data in (mqttraw.packet(0x82, b"\x00\x01"),
                 mqttraw.packet(0xA2, b"\x00\x01"),
                 mqttraw.packet(0x82, b"\x00"),      # not even a packet id
                 mqttraw.packet(0xA2, b""),
                 mqttraw.packet(0x82, b""),
                 mqttraw.packet(0x82, b"\x00\x01\x00")):  # half a length
        expect_closed_after_connect(broker, raws, by, data,
                                    "no filters: %r" % data)


MISPLACED = ["a/#/b", "a+", "#a", "+a", "a/b#", "a/+b", "##", "++",
             "a/#/", "#/", "#/#", "a/b/+c/d", "sport/tennis#", "+#"]


@pytest.mark.parametrize("kind", ["subscribe", "unsubscribe"])
def test_misplaced_wildcards_in_filters(broker, raws, bystander, kind):
    """[MQTT-4.7.1-2] '#' only as the whole last level; [MQTT-4.7.1-3] '+'
    only as a whole level. A SUBSCRIBE may be refused with SUBACK 0x80 or
    closed; an UNSUBSCRIBE is closed. Either way, no subscription exists
    afterwards: publishing to a topic the filter would match (read
    literally) reaches no one."""
    by = bystander(broker)
    for f in MISPLACED:
        bad = raws(broker)
        assert bad.connect(uid()).body[1] == 0
        if kind == "subscribe":
            bad.send_quiet(mqttraw.subscribe(1, [(f, 0)]))
            closed, got = bad.wait_close(1.0)
            if not closed:
                assert [p.name for p in got] == ["SUBACK"], (f, got)
                assert got[0].body[2:] == b"\x80", (f, got)
                # Still served after the refusal; the literal topic (where
                # it is a valid name) reaches nothing.
                lit = f.replace("+", "x").replace("#", "y")
                bad.send(mqttraw.publish(lit, b"z"))
                bad.send(mqttraw.PINGREQ)
                assert bad.expect("PINGRESP").name == "PINGRESP"
        else:
            bad.send_quiet(mqttraw.unsubscribe(1, [f]))
            bad.assert_closed(3.0, "unsubscribe %r" % f,
                              allow=("UNSUBACK",))
        survives(broker, by)


def test_qos_3(broker, raws, bystander):
    """[MQTT-3.3.1-4] QoS 3 in PUBLISH; [MQTT-3-8.3-4] QoS 3 and reserved
    option bits in a SUBSCRIBE (3.1.1: the upper six bits are 0); QoS 3 in
    a will [MQTT-3.1.2-14]. All close."""
    by = bystander(broker)
    for flags in (0x36, 0x37, 0x3E, 0x3F):
        expect_closed_after_connect(
            broker, raws, by,
            mqttraw.packet(flags, S("q/3") + b"\x00\x01x"),
            "publish flags %02x" % flags)
    for opts in (0x03, 0x07, 0x04, 0x08, 0x40, 0x80, 0xFF, 0xC1):
        expect_closed_after_connect(
            broker, raws, by, mqttraw.subscribe(1, [("q/3", opts)]),
            "subscribe options %02x" % opts, allow=("SUBACK",))
        # After a valid filter in the same SUBSCRIBE, too.
        expect_closed_after_connect(
            broker, raws, by,
            mqttraw.subscribe(1, [("q/ok", 1), ("q/3", opts)]),
            "second filter options %02x" % opts, allow=("SUBACK",))
    expect_refused(broker, raws, by, connect_v4(
        0x1E, S(uid()) + S("w/t") + S("m")), "will qos 3")


def test_packet_id_zero(broker, raws, bystander):
    """[MQTT-2.3.1-1] PUBLISH QoS 1/2, SUBSCRIBE and UNSUBSCRIBE carry a
    non-zero packet id: closed, nothing delivered, nothing subscribed."""
    by = bystander(broker)
    watcher = connected(broker)
    topic = "pid0/" + uid()
    assert watcher.subscribe([(topic, 1)]) == [1]
    for qos in (1, 2):
        expect_closed_after_connect(
            broker, raws, by, mqttraw.publish(topic, b"bad", qos=qos, pid=0),
            "publish qos %d pid 0" % qos)
    expect_closed_after_connect(broker, raws, by,
                                mqttraw.subscribe(0, [(topic, 0)]),
                                "subscribe pid 0", allow=("SUBACK",))
    expect_closed_after_connect(broker, raws, by,
                                mqttraw.unsubscribe(0, [topic]),
                                "unsubscribe pid 0", allow=("UNSUBACK",))
    # Nothing of the above reached the watcher.
    watcher.send(mqttraw.PINGREQ)
    assert watcher.expect("PINGRESP").name == "PINGRESP"
    assert watcher._parse() is None


def test_acks_with_packet_id_zero_or_unknown(broker, raws, bystander):
    """PUBACK / PUBREC / PUBREL / PUBCOMP with packet id 0 or one never
    used: the broker may close or ignore, but must stay consistent (no
    crash, no answer to a stranger's packet id that breaks the session)."""
    by = bystander(broker)
    for kind in ("puback", "pubrec", "pubrel", "pubcomp"):
        for pid in (0, 1, 0xFFFF):
            bad = raws(broker)
            assert bad.connect(uid()).body[1] == 0
            bad.send_quiet(mqttraw.ack(kind, pid))
            closed, got = bad.wait_close(0.3)
            if not closed:
                bad.send(mqttraw.PINGREQ)
                names = []
                while "PINGRESP" not in names:
                    names.append(bad.recv(3.0).name)
                assert set(names) <= {"PINGRESP", "PUBCOMP", "PUBREL"}, names
            survives(broker, by)


INNER_OVERRUNS = [
    # PUBLISH whose topic length runs past the packet
    (0x30, b"\x00\x10ab"),
    (0x30, b"\xff\xff" + b"t" * 20),
    (0x30, b"\x00"),                       # half a topic length
    (0x32, S("t/x") + b"\x00"),            # half a packet id
    (0x32, S("t/x")),                      # no packet id
    # SUBSCRIBE whose filter length runs past the packet
    (0x82, b"\x00\x01\x00\x10ab\x00"),
    (0x82, b"\x00\x01\xff\xffab\x00"),
    (0x82, b"\x00\x01" + S("t/x")),        # options byte missing
    (0xA2, b"\x00\x01\x00\x10ab"),
    # acks and pings with a body of the wrong size (3.1.1: exactly 2 / 0)
    (0x40, b"\x00"),
    (0x40, b"\x00\x01\x00"),
    (0x62, b"\x00\x01\x00\x00"),
    (0xC0, b"\x00"),
    # empty bodies where the type needs one
    (0x30, b""),
    (0x32, b""),
    (0x40, b""),
    (0x50, b""),
    (0x62, b""),
    (0x70, b""),
    (0xA2, b"\x00\x01\x00"),                # half a filter length
    (0xC0, b"\x00\x00"),
]


def test_lengths_inside_a_packet_past_its_end(broker, raws, bystander):
    """A string or field length inside the packet that runs past the
    Remaining Length, or a body of the wrong size for its type (3.1.1
    section 1.5.3, 2.3, 3.x.3): malformed, closed. Class: out-of-bounds
    reads on inner length fields, the most common fuzzer finding in MQTT
    parsers."""
    by = bystander(broker)
    for first, body in INNER_OVERRUNS:
        expect_closed_after_connect(broker, raws, by,
                                    mqttraw.packet(first, body),
                                    "%02x %r" % (first, body),
                                    allow=("SUBACK", "UNSUBACK"))
