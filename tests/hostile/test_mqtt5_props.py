"""Hostile MQTT 5 CONNECT packets: the property parser on the only MQTT 5
path a client can reach today (the broker answers a valid MQTT 5 CONNECT
with CONNACK 0x84, unsupported protocol version). Whatever the packet,
the broker must answer with a refusal or close, never accept, never crash
and never leak.

Classes of past CVEs: mosquitto CVE-2023-3592 (memory leak on a will with
invalid property types), property-parsing out-of-bounds reads found by
fuzzing MQTT 5 brokers (for example the 2023 NanoMQ series such as
CVE-2023-33656), and length-field overflows in the Variable Byte Integer.

Each test checks (a) the hostile connection is closed (or refused) within
a bounded time, (b) a client connected before the attack still publishes
and receives, (c) a new client still connects, subscribes, publishes and
receives.
"""
import struct

import pytest

import mqttraw
from hostile_lib import S, survives, uid

pytestmark = pytest.mark.tern_only

vi = mqttraw.varint


def u8(n):
    return bytes([n])


def u16(n):
    return struct.pack("!H", n)


def u32(n):
    return struct.pack("!I", n)


def connect5(props=b"", flags=0x02, payload=None, props_len=None,
             keepalive=60):
    """A 5.0 CONNECT; props_len overrides the encoded property length
    (bytes, so a bogus varint can be given)."""
    if payload is None:
        payload = S(uid())
    if props_len is None:
        props_len = vi(len(props))
    vh = S("MQTT") + bytes([5, flags]) + u16(keepalive) + props_len + props
    return mqttraw.packet(0x10, vh + payload)


def will_payload(will_props=b"", will_props_len=None, topic="w/t",
                 msg=b"m"):
    if will_props_len is None:
        will_props_len = vi(len(will_props))
    return S(uid()) + will_props_len + will_props + S(topic) + S(msg)


# Valid 5.0 CONNECTs: the broker answers 0x84 today; they must never be
# accepted by accident nor break anything.
VALID = {
    "no-props": connect5(),
    "all-connect-props": connect5(
        b"\x11" + u32(10) + b"\x21" + u16(10) + b"\x27" + u32(1000) +
        b"\x22" + u16(5) + b"\x19\x01" + b"\x17\x00" +
        b"\x26" + S("k") + S("v") + b"\x15" + S("none") +
        b"\x16" + u16(3) + b"abc"),
    "user-props-repeated": connect5((b"\x26" + S("k") + S("v")) * 50),
    "will-with-props": connect5(
        flags=0x06, payload=will_payload(
            b"\x18" + u32(5) + b"\x01\x01" + b"\x02" + u32(60) +
            b"\x03" + S("text/plain") + b"\x08" + S("r/t") +
            b"\x09" + u16(2) + b"cd" + b"\x26" + S("a") + S("b"))),
    # a password without a user name is allowed in 5.0 (3.1.2.9)
    "password-only": connect5(flags=0x42, payload=S(uid()) + S("pw")),
}

DUPLICATES = {
    # 5.0 3.1.2.11.x: "It is a Protocol Error to include the X more than
    # once."
    "session-expiry": b"\x11" + u32(1),
    "receive-max": b"\x21" + u16(5),
    "max-packet-size": b"\x27" + u32(100),
    "topic-alias-max": b"\x22" + u16(3),
    "request-response-info": b"\x19\x01",
    "request-problem-info": b"\x17\x01",
    "auth-method": b"\x15" + S("m"),
    "auth-data": b"\x16" + u16(1) + b"d",
}

NOT_IN_CONNECT = {
    # 5.0 2.2.2.2: an identifier not valid for the packet is malformed.
    "payload-format": b"\x01\x01",
    "message-expiry": b"\x02" + u32(1),
    "content-type": b"\x03" + S("x"),
    "response-topic": b"\x08" + S("r"),
    "correlation-data": b"\x09" + u16(1) + b"c",
    "subscription-id": b"\x0b\x01",
    "assigned-client-id": b"\x12" + S("x"),
    "server-keep-alive": b"\x13" + u16(1),
    "will-delay": b"\x18" + u32(1),
    "response-info": b"\x1a" + S("x"),
    "server-reference": b"\x1c" + S("x"),
    "reason-string": b"\x1f" + S("x"),
    "topic-alias": b"\x23" + u16(1),
    "maximum-qos": b"\x24\x01",
    "retain-available": b"\x25\x01",
    "wildcard-sub-available": b"\x28\x01",
    "sub-id-available": b"\x29\x01",
    "shared-sub-available": b"\x2a\x01",
    "unknown-0x00": b"\x00\x01",
    "unknown-0x04": b"\x04\x01",
    "unknown-0x2b": b"\x2b\x01",
    "unknown-0x7f": b"\x7f\x01",
    "unknown-two-byte-id": b"\xff\x01\x00",
    "non-minimal-id": b"\x91\x00" + u32(1),     # 0x11 in two bytes
    "id-varint-unterminated": b"\xff\xff\xff\xff",
}

BAD_VALUES = {
    # values out of their range: Protocol Error
    "receive-max-0": b"\x21" + u16(0),
    "max-packet-size-0": b"\x27" + u32(0),
    "request-problem-info-2": b"\x17\x02",
    "request-response-info-2": b"\x19\x02",
    "request-problem-info-ff": b"\x17\xff",
    # strings inside a property
    "auth-method-bad-utf8": b"\x15" + u16(2) + b"\xc3\x28",
    "auth-method-nul": b"\x15" + u16(3) + b"a\x00b",
    "user-prop-key-surrogate": b"\x26" + u16(3) + b"\xed\xa0\x80" + S("v"),
    "user-prop-value-nul": b"\x26" + S("k") + u16(1) + b"\x00",
}

OVERRUNS = {
    # the property block says more than the packet holds
    "props-len-past-end": (b"\x11" + u32(1), vi(100)),
    "props-len-max-varint": (b"", b"\xff\xff\xff\x7f"),
    "props-len-five-bytes": (b"", b"\xff\xff\xff\xff\x01"),
    "props-len-five-bytes-zero": (b"", b"\x80\x80\x80\x80\x00"),
    "props-len-non-minimal": (b"", b"\x80\x00"),
    "props-len-unterminated": (b"", b"\x80\x80\x80"),
    # a property straddles the end of its block
    "entry-past-block": (b"\x11" + u32(1), vi(3)),
    "entry-id-only": (b"\x11", vi(1)),
    # inner lengths past the block / the packet
    "string-len-past-block": (b"\x15" + u16(50) + b"ab", None),
    "string-len-ffff": (b"\x15\xff\xff", None),
    "binary-len-past-block": (b"\x16" + u16(9) + b"abc", None),
    "user-prop-key-only": (b"\x26" + S("k"), None),
    "user-prop-value-past": (b"\x26" + S("k") + u16(40) + b"v", None),
}


def expect_refused(broker, raws, by, data, what):
    bad = raws(broker)
    bad.send_quiet(data)
    got = bad.assert_closed(3.0, what)
    survives(broker, by)
    return got


def test_valid_mqtt5_connects_are_refused_cleanly(broker, raws, bystander):
    """A well-formed 5.0 CONNECT gets a refusal (0x84 today) and the
    connection closes; its will, if any, is not published."""
    by = bystander(broker)
    for name, data in VALID.items():
        got = expect_refused(broker, raws, by, data, name)
        assert [p.name for p in got] == ["CONNACK"], (name, got)
        assert got[0].body[1] == 0x84, (name, got)


@pytest.mark.parametrize("where", ["connect", "will"])
def test_duplicate_properties(broker, raws, bystander, where):
    """5.0 3.1.2.11 / 3.1.3.2: a property other than User Property given
    twice is a Protocol Error: refused or closed, never accepted."""
    by = bystander(broker)
    will_dups = {
        "will-delay": b"\x18" + u32(1),
        "payload-format": b"\x01\x00",
        "message-expiry": b"\x02" + u32(9),
        "content-type": b"\x03" + S("a"),
        "response-topic": b"\x08" + S("r"),
        "correlation-data": b"\x09" + u16(1) + b"c",
    }
    table = DUPLICATES if where == "connect" else will_dups
    for name, prop in table.items():
        for times in (2, 3, 200):
            if where == "connect":
                data = connect5(prop * times)
            else:
                data = connect5(flags=0x06,
                                payload=will_payload(prop * times))
            expect_refused(broker, raws, by, data,
                           "%s %s x%d" % (where, name, times))


@pytest.mark.parametrize("where", ["connect", "will"])
def test_properties_not_allowed(broker, raws, bystander, where):
    """5.0 2.2.2.2: an identifier not valid for CONNECT (or for the will
    properties, 3.1.3.2) is a Malformed Packet. Unknown identifiers and a
    non-minimal identifier encoding ([MQTT-1.5.5-1]) too."""
    by = bystander(broker)
    table = dict(NOT_IN_CONNECT)
    if where == "will":
        # Valid in CONNECT but not among the will properties.
        for k in ("payload-format", "message-expiry", "content-type",
                  "response-topic", "correlation-data", "will-delay"):
            table.pop(k)
        table.update({"session-expiry": b"\x11" + u32(1),
                      "receive-max": b"\x21" + u16(5),
                      "auth-method": b"\x15" + S("m"),
                      "request-problem-info": b"\x17\x01"})
    for name, prop in table.items():
        if where == "connect":
            data = connect5(prop)
        else:
            data = connect5(flags=0x06, payload=will_payload(prop))
        expect_refused(broker, raws, by, data, "%s %s" % (where, name))


def test_property_values_out_of_range(broker, raws, bystander):
    """Values outside their range (Receive Maximum 0, Maximum Packet Size
    0, Request * Information > 1) are Protocol Errors; strings inside
    properties follow [MQTT-1.5.4-1] [MQTT-1.5.4-2]."""
    by = bystander(broker)
    for name, prop in BAD_VALUES.items():
        expect_refused(broker, raws, by, connect5(prop), name)


@pytest.mark.parametrize("where", ["connect", "will"])
def test_property_lengths_past_the_end(broker, raws, bystander, where):
    """Property Length (5.0 2.2.2.1) past the end of the packet, huge and
    over-long Variable Byte Integers ([MQTT-1.5.5-1]: at most four bytes,
    minimal), and entries whose inner lengths run past their block."""
    by = bystander(broker)
    for name, (props, plen) in OVERRUNS.items():
        if where == "connect":
            data = connect5(props, props_len=plen)
        else:
            data = connect5(flags=0x06,
                            payload=will_payload(props, will_props_len=plen))
        expect_refused(broker, raws, by, data, "%s %s" % (where, name))
        if plen is not None and props == b"":
            # The CONNECT ends right after the bogus length.
            vh = S("MQTT") + b"\x05\x02" + u16(60) + plen
            expect_refused(broker, raws, by, mqttraw.packet(0x10, vh),
                           "%s %s at end" % (where, name))


def test_many_user_properties(broker, raws, bystander):
    """20,000 user properties in one CONNECT (about 200 KB): the parser
    is linear (a duplicate check that rescans the block would be
    quadratic) and the answer comes in bounded time."""
    by = bystander(broker)
    for count in (20000,):
        props = (b"\x26" + S("k") + S("v")) * count
        got = expect_refused(broker, raws, by, connect5(props),
                             "%d user properties" % count)
        assert [p.name for p in got] == ["CONNACK"], got
    # And the same with one duplicate at the very end.
    props = (b"\x26" + S("k") + S("v")) * 20000 + (b"\x11" + u32(1)) * 2
    expect_refused(broker, raws, by, connect5(props), "late duplicate")


def test_truncated_mqtt5_connects(broker, raws, bystander):
    """Every prefix of a rich 5.0 CONNECT, framed as a whole packet (the
    Remaining Length says the packet ends there): each is malformed."""
    by = bystander(broker)
    full = VALID["will-with-props"]
    i = 1
    while full[i] & 0x80:
        i += 1
    body = full[i + 1:]
    for cut in range(0, len(body) - 1, 3):
        expect_refused(broker, raws, by, mqttraw.packet(0x10, body[:cut]),
                       "prefix of %d bytes" % cut)
