"""Hostile framing: the fixed header (type, flags, Remaining Length),
truncated packets, and the order of packets around CONNECT.

Each test checks (a) the hostile connection is closed (or answered as the
spec says) within a bounded time, (b) a client connected before the attack
still publishes and receives, (c) a new client still connects, subscribes,
publishes and receives.
"""
import struct
import time

import pytest

import mqttraw
from hostile_lib import S, Raw, connected, survives, uid

pytestmark = pytest.mark.tern_only

# The body of a valid packet of each type a client may send (3.1.1); the
# server-to-client types get a plausible body too.
BODIES = {
    1: mqttraw.connect("x")[2:],
    2: b"\x00\x00",
    3: S("f/x") + b"\x00\x07payload",
    4: b"\x00\x07",
    5: b"\x00\x07",
    6: b"\x00\x07",
    7: b"\x00\x07",
    8: b"\x00\x07" + S("f/y") + b"\x00",
    9: b"\x00\x07\x00",
    10: b"\x00\x07" + S("f/y"),
    11: b"\x00\x07",
    12: b"",
    13: b"",
    14: b"",
    15: b"",
}
# [MQTT-2.2.2-1] / 3.1.1 table 2.2: the only flags allowed per type.
# PUBLISH may use any flags but QoS 3 ([MQTT-3.3.1-4]).
VALID_FLAGS = {1: {0}, 4: {0}, 5: {0}, 6: {2}, 7: {0}, 8: {2}, 10: {2},
               12: {0}, 14: {0}}


def hostile_after_connect(broker, raws, by, data, timeout=3.0,
                          what="hostile connection"):
    bad = raws(broker)
    assert bad.connect(uid()).body[1] == 0
    bad.send_quiet(data)
    bad.assert_closed(timeout, what)
    survives(broker, by)


def hostile_before_connect(broker, raws, by, data, timeout=3.0,
                           what="hostile connection"):
    bad = raws(broker)
    bad.send_quiet(data)
    bad.assert_closed(timeout, what)
    survives(broker, by)


# --- Remaining Length --------------------------------------------------


FIVE_BYTE_LENGTHS = [
    b"\xff\xff\xff\xff\x7f",     # would be 2^35 - 1 with a fifth byte
    b"\xff\xff\xff\xff\x01",
    b"\x80\x80\x80\x80\x00",     # zero, padded to five bytes
    b"\xff\xff\xff\xff\xff\xff\xff\xff\x7f",   # nine bytes
]


@pytest.mark.parametrize("first", [0x10, 0x30, 0x82, 0xC0])
def test_remaining_length_of_five_bytes(broker, raws, bystander, first):
    """MQTT 3.1.1 2.2.3 / 5.0 1.5.5: the Remaining Length is at most four
    bytes; a fifth continuation makes the packet malformed. Class of past
    CVEs: remaining-length integer overflows in MQTT parsers (the length
    decoder must stop after four bytes and never shift past 28 bits). The
    broker must close at the fourth byte, without waiting for a body."""
    by = bystander(broker)
    for enc in FIVE_BYTE_LENGTHS:
        if first == 0x10:
            hostile_before_connect(broker, raws, by, bytes([first]) + enc)
        else:
            hostile_after_connect(broker, raws, by, bytes([first]) + enc)
        # Only the four length bytes, nothing after: still closed.
        bad = raws(broker)
        if first != 0x10:
            bad.connect(uid())
        bad.send(bytes([first]) + enc[:4])
        bad.assert_closed(3.0, "four continuation bytes")
        survives(broker, by)


@pytest.mark.parametrize("connect_first", [False, True])
def test_length_over_max_packet_size_closes_on_header(
        broker_factory, raws, bystander, connect_first):
    """max_packet_size (MQTT 5.0 3.1.2.11.4 Maximum Packet Size; 3.x:
    disconnect): the size is known from the fixed header, so the broker
    closes as soon as the header is in, without waiting for (or buffering)
    the body. Only the header is sent and the socket is kept open."""
    b = broker_factory(conf=["max_packet_size 1024"])
    by = bystander(b)
    for announced in (1025, 4096, 1 << 20, 268435455):
        bad = raws(b)
        if connect_first:
            assert bad.connect(uid()).body[1] == 0
            hdr = b"\x30" + mqttraw.varint(announced)
        else:
            hdr = b"\x10" + mqttraw.varint(announced)
        bad.send(hdr)
        bad.assert_closed(2.0, "header announcing %d bytes" % announced)
        survives(b, by)


def test_max_packet_size_boundary(broker_factory, raws, bystander):
    """A whole packet of exactly max_packet_size bytes is served; one byte
    more is refused on its header."""
    b = broker_factory(conf=["max_packet_size 1024"])
    by = bystander(b)
    c = connected(b)
    topic = "mp/" + uid()
    assert c.subscribe([(topic, 0)]) == [0]
    head = 1 + 2 + 2 + len(topic)          # type, 2-byte length, topic
    payload = b"p" * (1024 - head)
    pkt = mqttraw.publish(topic, payload)
    assert len(pkt) == 1024
    c.send(pkt)
    got = c.expect("PUBLISH")
    assert got.publish_fields()[2] == payload
    c.send(mqttraw.publish(topic, payload + b"!"))
    c.assert_closed(2.0, "publish one byte over max_packet_size")
    survives(b, by)


# --- truncated packets ---------------------------------------------------


TRUNCATED_BEFORE_CONNECT = [
    b"\x10",                               # type only
    b"\x10\x80",                           # inside the length
    mqttraw.connect("trunc")[:7],          # inside the protocol name
    mqttraw.connect("trunc")[:-3],         # inside the client id
]


def test_truncated_connect_then_silence(broker_factory, raws, bystander):
    """A CONNECT that stops half way and then nothing: connect_timeout
    closes it; meanwhile other clients are served (nothing waits on the
    stalled parse). Class: slow or stalled pre-auth connections holding
    broker resources (CVE-2020-13849, "SlowITe")."""
    b = broker_factory(conf=["connect_timeout 2"])
    by = bystander(b)
    bads = []
    for data in TRUNCATED_BEFORE_CONNECT:
        bad = raws(b)
        bad.send(data)
        bads.append(bad)
    survives(b, by)        # while they are stalled
    t0 = time.time()
    for bad in bads:
        bad.assert_closed(2.0 + 2.5 - (time.time() - t0),
                          "stalled CONNECT")
    survives(b, by)


TRUNCATED_AFTER_CONNECT = [
    b"\x30",
    b"\x30\x80",
    b"\x32\x64" + S("t/x"),                 # announces 100, sends 5
    mqttraw.subscribe(1, [("t/#", 0)])[:-1],
    b"\xc0",
]


def test_truncated_packet_then_silence(broker_factory, raws, bystander):
    """A half packet after CONNECT, then nothing: the keep-alive (1.5
    times, [MQTT-3.1.2-24]) closes it, and until then nobody else waits."""
    b = broker_factory()
    by = bystander(b)
    bads = []
    for data in TRUNCATED_AFTER_CONNECT:
        bad = raws(b)
        assert bad.connect(uid(), keepalive=2).body[1] == 0
        bad.send(data)
        bads.append(bad)
    survives(b, by)
    t0 = time.time()
    for bad in bads:
        bad.assert_closed(3.0 + 2.0 - (time.time() - t0), "stalled packet")
    survives(b, by)


@pytest.mark.parametrize("connect_first", [False, True])
def test_truncated_packet_then_close(broker, raws, bystander, connect_first):
    """Half a packet, then the client hangs up. The broker must notice the
    close (the will of a connected client is published, so the close was
    handled without waiting for the rest of the packet)."""
    by = bystander(broker)
    will_topic = "will/" + uid()
    watcher = connected(broker)
    assert watcher.subscribe([(will_topic, 0)]) == [0]
    cases = TRUNCATED_AFTER_CONNECT if connect_first else \
        TRUNCATED_BEFORE_CONNECT
    for i, data in enumerate(cases):
        bad = raws(broker)
        if connect_first:
            bad.connect(uid(), will=(will_topic, b"w%d" % i, 0, False))
        bad.send(data)
        bad.close()
        if connect_first:
            p = watcher.expect("PUBLISH", 3.0)
            assert p.publish_fields()[2] == b"w%d" % i
        survives(broker, by)


# --- packet types and fixed-header flags ---------------------------------


@pytest.mark.parametrize("connect_first", [False, True])
def test_reserved_packet_types(broker, raws, bystander, connect_first):
    """Type 0 is reserved in both versions (3.1.1 table 2.1, 5.0 table
    2-1); type 15 is reserved in 3.1.1 and is AUTH in 5.0, invalid on a
    3.1.1 connection and before CONNECT. Each flag value is tried."""
    by = bystander(broker)
    for t in (0, 15):
        for flags in (0, 1, 0xF):
            for body in (b"", b"\x00\x00", b"\x00" * 10):
                data = mqttraw.packet((t << 4) | flags, body)
                if connect_first:
                    hostile_after_connect(broker, raws, by, data)
                else:
                    hostile_before_connect(broker, raws, by, data)


@pytest.mark.parametrize("ptype", range(1, 16),
                         ids=[mqttraw.NAMES[t] for t in range(1, 16)])
def test_wrong_fixed_header_flags(broker, raws, bystander, ptype):
    """[MQTT-2.2.2-1] [MQTT-2.2.2-2]: reserved flag bits that are not the
    table's values make the packet malformed and the connection closes.
    PUBLISH flags are free except QoS 3 [MQTT-3.3.1-4]. Types only a
    server sends (CONNACK, SUBACK, UNSUBACK, PINGRESP) close with any
    flags (class: mosquitto CVE-2021-28166, a CONNACK sent by a client
    crashed the broker)."""
    by = bystander(broker)
    body = BODIES[ptype]
    if ptype == 3:
        bad_flags = [f for f in range(16) if (f >> 1) & 3 == 3]
    elif ptype in VALID_FLAGS:
        bad_flags = [f for f in range(16) if f not in VALID_FLAGS[ptype]]
    else:
        bad_flags = list(range(16))
    for flags in bad_flags:
        data = mqttraw.packet((ptype << 4) | flags, body)
        hostile_after_connect(broker, raws, by, data,
                              what="%s flags %x" % (mqttraw.NAMES[ptype],
                                                    flags))
        if ptype == 1:
            # A CONNECT with bad flags as the first packet, too.
            hostile_before_connect(broker, raws, by, data,
                                   what="first CONNECT flags %x" % flags)


@pytest.mark.parametrize("ptype", range(2, 16),
                         ids=[mqttraw.NAMES[t] for t in range(2, 16)])
def test_packet_before_connect(broker, raws, bystander, ptype):
    """[MQTT-3.1.0-1]: the first packet must be CONNECT; anything else
    closes the connection (with valid flags and body, so only the order is
    wrong). Class: mosquitto CVE-2023-0809, memory allocated for a first
    packet that is not a CONNECT."""
    by = bystander(broker)
    flags = {3: 0, 6: 2, 8: 2, 10: 2}.get(ptype, 0)
    data = mqttraw.packet((ptype << 4) | flags, BODIES[ptype])
    hostile_before_connect(broker, raws, by, data)
    # Followed at once by a valid CONNECT in the same write: the CONNECT
    # must not be served.
    bad = raws(broker)
    bad.send_quiet(data + mqttraw.connect(uid()))
    bad.assert_closed(3.0, "packet then CONNECT")
    survives(broker, by)


def test_second_connect(broker, raws, bystander):
    """[MQTT-3.1.0-2]: a second CONNECT is a protocol violation; the
    connection closes. Tried with the same and another client id, and
    with a malformed second CONNECT."""
    by = bystander(broker)
    for second in (lambda cid: mqttraw.connect(cid),
                   lambda cid: mqttraw.connect(uid()),
                   lambda cid: mqttraw.connect(cid, version=3),
                   lambda cid: mqttraw.connect(cid)[:-2] + b"\xff\xff"):
        bad = raws(broker)
        cid = uid()
        assert bad.connect(cid).body[1] == 0
        bad.send_quiet(second(cid))
        bad.assert_closed(3.0, "second CONNECT")
        survives(broker, by)


# --- CONNECT variable header ---------------------------------------------


def connect_raw(name, level, flags=0x02, payload=None, keepalive=60):
    if payload is None:
        payload = S(uid())
    if isinstance(name, str):
        name = S(name)
    return mqttraw.packet(0x10, name + bytes([level, flags]) +
                          struct.pack("!H", keepalive) + payload)


WRONG_NAMES = [
    S("MQTX"), S("mqtt"), S("MQTT\x00"), S(""), S("MQIsdpX"), S("MQ"),
    b"\x00\x04MQ\xff\xfe",              # invalid UTF-8
    b"\xff\xff" + b"MQTT",              # length runs past the packet
    b"\x00\x06MQTT",                    # length runs into the level byte
]


def test_wrong_protocol_name(broker, raws, bystander):
    """[MQTT-3.1.2-1]: a protocol name that is not "MQTT" (or "MQIsdp" for
    3.1): the server may refuse or close, but never accept."""
    by = bystander(broker)
    for name in WRONG_NAMES:
        for level in (3, 4, 5):
            hostile_before_connect(broker, raws, by,
                                   connect_raw(name, level),
                                   what="protocol name %r" % name)


def test_unsupported_protocol_levels(broker, raws, bystander):
    """[MQTT-3.1.2-2]: a protocol level the server does not support gets
    CONNACK 0x01 (unacceptable protocol version) and the connection
    closes. Every level 0..255 but 3, 4 and 5, with both names."""
    by = bystander(broker)
    for level in range(256):
        if level in (3, 4, 5):
            continue
        for name in ("MQTT", "MQIsdp"):
            bad = raws(broker)
            bad.send_quiet(connect_raw(name, level))
            got = bad.assert_closed(3.0, "level %d" % level)
            # The spec's answer, if one came: 0x01 in the 3.1.1 layout.
            for p in got:
                assert p.body == b"\x00\x01", (level, p)
        if level % 16 == 0:
            survives(broker, by)
    survives(broker, by)
