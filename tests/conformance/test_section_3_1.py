"""MQTT 3.1.1 section 3.1: CONNECT, and the MQTT 3.1 ("MQIsdp", level 3)
CONNECT that a 3.1.1 Server also accepts."""
import time

import pytest

import mqttraw
from mqttraw import Client, connect, publish, subscribe

from .helpers import (QUIET, closed_without_connack, connack_of,
                      connack_then_close, connect_raw, disconnect, drop,
                      nothing_received, ping, pub, raw_str, recv_msg,
                      session, still_open, sub)


def watch(port, topic, qos=2, cid="watcher"):
    """A subscriber on `topic` (e.g. for Will Messages)."""
    w = session(port, cid)
    sub(w, [(topic, qos)])
    return w


def marker(w, topic="marker"):
    """Publish a marker from the watcher to itself and return the next
    message it receives: if anything else was routed to it earlier, that
    comes first."""
    pub(w, topic, b"marker")
    return recv_msg(w)


def no_retained(port, topic):
    """A fresh subscriber to `topic` receives no retained message."""
    c = session(port, "probe-retained")
    sub(c, [(topic, 2)])
    ok = nothing_received(c, QUIET)
    disconnect(c)
    return ok


# ---------------------------------------------------------------- 3.1.0

@pytest.mark.parametrize("first", ["pingreq", "publish", "subscribe"])
def test_mqtt_3_1_0_1_first_packet_must_be_connect(broker, first):
    """A connection whose first packet is not CONNECT is closed, and the
    packet is not acted upon."""
    w = watch(broker.port, "#", 0)
    c = Client(broker.port)
    c.send({"pingreq": mqttraw.PINGREQ,
            "publish": publish("early", b"x"),
            "subscribe": subscribe(1, [("#", 0)])}[first])
    assert c.closed(), "connection left open"
    assert marker(w).topic == "marker"


def test_mqtt_3_1_0_2_second_connect_closes_connection(broker):
    c = session(broker.port, "twice")
    c.send(connect("twice"))
    assert c.closed(), "second CONNECT did not close the connection"


def test_mqtt_3_1_0_2_second_connect_not_processed(broker):
    """The second CONNECT (with a different client id and a Will) is a
    protocol violation: no CONNACK, connection closed, and the client id of
    the second CONNECT does not take over anything."""
    other = session(broker.port, "other")
    c = session(broker.port, "first")
    c.send(connect("other"))
    assert closed_without_connack(c)
    assert still_open(other), "second CONNECT took over another client"


# ---------------------------------------------------------------- 3.1.2

@pytest.mark.parametrize("name", [b"MQTX", b"mqtt", b"MQTT\x00", b""])
def test_mqtt_3_1_2_1_wrong_protocol_name_not_processed(broker, name):
    """A CONNECT whose protocol name is not "MQTT" is not processed as
    MQTT 3.1.1: not accepted, the connection is closed, and a PUBLISH that
    follows it is not routed."""
    w = watch(broker.port, "#", 0)
    c = Client(broker.port)
    c.send(connect_raw(0x02, raw_str(b"badname"), proto=name)
           + publish("after", b"x", retain=True))
    closed_without_connack(c)
    assert marker(w).topic == "marker"
    assert no_retained(broker.port, "after")


# Levels 3 (MQIsdp), 4 and 5 are served; every other level is refused.
@pytest.mark.parametrize("level", [0, 1, 2, 6, 7, 255])
def test_mqtt_3_1_2_2_unsupported_level_connack_1_then_close(broker, level):
    c = Client(broker.port)
    c.send(connect_raw(0x02, raw_str(b"lvl"), level=level))
    connack_then_close(c, 1)


# mosquitto treats bit 7 of the protocol level as its private "bridge"
# marker and accepts level 0x84 as level 4 (CONNACK 0). No such level
# exists in MQTT 3.1.1, which requires return code 1.
@pytest.mark.mosquitto_differs
def test_mqtt_3_1_2_2_level_with_high_bit_connack_1_then_close(broker):
    c = Client(broker.port)
    c.send(connect_raw(0x02, raw_str(b"lvl"), level=0x84))
    connack_then_close(c, 1)


def test_mqtt_3_1_2_2_level_3_with_mqtt_name_refused(broker):
    """Level 3 belongs to protocol name "MQIsdp"; "MQTT" with level 3 is
    not a protocol level the Server supports under that name."""
    c = Client(broker.port)
    c.send(connect_raw(0x02, raw_str(b"lvl"), proto=b"MQTT", level=3))
    connack_then_close(c, 1)


def test_mqtt_3_1_2_3_reserved_connect_flag_closes(broker):
    c = Client(broker.port)
    c.send(connect_raw(0x03, raw_str(b"reserved")))
    assert closed_without_connack(c)


def test_mqtt_3_1_2_4_clean_session_0_resumes_session(broker):
    """CleanSession 0 with no stored session creates one (Session Present
    0); it is stored after the disconnect, and resuming it keeps the
    subscription (Session Present 1) without subscribing again."""
    c = session(broker.port, "resume", clean=False, expect_present=False)
    sub(c, [("r/t", 1)])
    disconnect(c)
    c = session(broker.port, "resume", clean=False, expect_present=True)
    p = session(broker.port, "pub")
    pub(p, "r/t", b"after-resume", qos=1)
    m = recv_msg(c)
    assert m.payload == b"after-resume" and m.qos == 1


@pytest.mark.parametrize("how", ["disconnect", "drop"])
def test_mqtt_3_1_2_5_offline_qos1_qos2_messages_stored(broker, how):
    """After a CleanSession 0 connection ends (cleanly or not), QoS 1 and
    QoS 2 messages matching its subscriptions are stored and delivered on
    reconnection."""
    c = session(broker.port, "offline", clean=False)
    sub(c, [("o/#", 2)])
    if how == "disconnect":
        disconnect(c)
    else:
        drop(c)
        # Wait until the broker has noticed the drop: a new connection with
        # the same id is then a resumption, not a takeover.
        time.sleep(0.2)
    p = session(broker.port, "pub")
    pub(p, "o/1", b"one", qos=1, pid=1)
    pub(p, "o/2", b"two", qos=2, pid=2)
    c = session(broker.port, "offline", clean=False, expect_present=True)
    got = sorted((m.topic, m.payload, m.qos) for m in
                 [recv_msg(c), recv_msg(c)])
    assert got == [("o/1", b"one", 1), ("o/2", b"two", 2)]


def test_mqtt_3_1_2_6_clean_session_1_discards_session(broker):
    """CleanSession 1 discards the stored session (subscriptions and queued
    messages) and its state is not reused by a later session."""
    c = session(broker.port, "cs", clean=False)
    sub(c, [("cs/t", 1)])
    disconnect(c)
    p = session(broker.port, "pub")
    pub(p, "cs/t", b"queued", qos=1)
    c = session(broker.port, "cs", clean=True, expect_present=False)
    pub(p, "cs/t", b"live", qos=1, pid=2)
    assert nothing_received(c), "old session state was used"
    disconnect(c)
    # The clean session ended: a CleanSession 0 session now starts afresh.
    c = session(broker.port, "cs", clean=False, expect_present=False)
    pub(p, "cs/t", b"later", qos=1, pid=3)
    assert nothing_received(c), "subscription of the discarded session"


@pytest.mark.parametrize("clean", [True, False])
def test_mqtt_3_1_2_7_retained_messages_survive_session_end(broker, clean):
    c = session(broker.port, "retainer", clean=clean)
    pub(c, "keep/me", b"retained", qos=1, retain=True)
    disconnect(c)
    # End a CleanSession 0 session explicitly too.
    c = session(broker.port, "retainer", clean=True)
    disconnect(c)
    s = session(broker.port, "late")
    sub(s, [("keep/me", 1)])
    m = recv_msg(s)
    assert m.payload == b"retained" and m.retain


@pytest.mark.parametrize("how", ["drop", "protocol_error"])
def test_mqtt_3_1_2_8_will_published_on_network_close(broker, how):
    """The Will Message is stored on CONNECT and published when the
    connection closes without DISCONNECT: a dropped TCP connection, or the
    Server closing it for a protocol violation."""
    w = watch(broker.port, "will/#")
    c = session(broker.port, "dies", will=("will/dies", b"gone", 1, False))
    assert nothing_received(w, 0.2), "Will published too early"
    if how == "drop":
        drop(c)
    else:
        c.send(publish("x", b"", qos=3))
        assert c.closed()
    m = recv_msg(w)
    assert (m.topic, m.payload) == ("will/dies", b"gone")


@pytest.mark.parametrize("wqos", [0, 1, 2])
def test_mqtt_3_1_2_9_will_qos_used(broker, wqos):
    """With the Will Flag set the Server uses the Will QoS: the Will
    Message goes to a QoS 2 subscriber at that QoS."""
    w = watch(broker.port, "wq/#", 2)
    c = session(broker.port, "wq", will=("wq/t", b"will", wqos, False))
    drop(c)
    m = recv_msg(w)
    assert m.payload == b"will" and m.qos == wqos


@pytest.mark.parametrize("missing", ["topic_and_message", "message"])
def test_mqtt_3_1_2_9_will_fields_must_be_present(broker, missing):
    """Will Flag 1 without Will Topic/Will Message in the payload is a
    malformed CONNECT: closed without CONNACK."""
    payload = raw_str(b"wf")
    if missing == "message":
        payload += raw_str(b"will/topic")
    c = Client(broker.port)
    c.send(connect_raw(0x02 | 0x04, payload))
    assert closed_without_connack(c)


def test_mqtt_3_1_2_10_will_removed_after_publication(broker):
    """Once published the Will is gone from the session: a resumed
    CleanSession 0 session without a Will publishes nothing when its
    connection is dropped."""
    w = watch(broker.port, "once/#")
    c = session(broker.port, "once", clean=False,
                will=("once/w", b"w", 1, False))
    drop(c)
    assert recv_msg(w).payload == b"w"
    time.sleep(0.2)
    c = session(broker.port, "once", clean=False, expect_present=True)
    drop(c)
    assert nothing_received(w), "Will published a second time"


def test_mqtt_3_1_2_10_will_removed_on_disconnect(broker):
    """After DISCONNECT the Will is removed: a later takeover-free
    reconnection of the same session and a drop publish nothing."""
    w = watch(broker.port, "dw/#")
    c = session(broker.port, "dw", clean=False,
                will=("dw/w", b"w", 1, False))
    disconnect(c)
    c = session(broker.port, "dw", clean=False, expect_present=True)
    drop(c)
    assert nothing_received(w), "Will published after DISCONNECT"


@pytest.mark.parametrize("flags", [0x08, 0x10, 0x18, 0x20, 0x28])
def test_mqtt_3_1_2_11_will_flag_0_requires_zero_will_fields(broker, flags):
    """Will Flag 0 with a non-zero Will QoS or Will Retain: closed without
    CONNACK."""
    c = Client(broker.port)
    c.send(connect_raw(0x02 | flags, raw_str(b"wf0")))
    assert closed_without_connack(c)


def test_mqtt_3_1_2_11_will_flag_0_without_will_fields(broker):
    """Will Flag 0 but Will Topic and Will Message present in the
    payload: the CONNECT does not conform and is closed without CONNACK."""
    c = Client(broker.port)
    c.send(connect_raw(0x02, raw_str(b"wf0") + raw_str(b"will/t")
                       + raw_str(b"msg")))
    assert closed_without_connack(c)


def test_mqtt_3_1_2_12_no_will_without_will_flag(broker):
    w = watch(broker.port, "#", 0)
    c = session(broker.port, "nowill")
    drop(c)
    time.sleep(0.2)
    assert marker(w).topic == "marker", "a Will Message was published"


@pytest.mark.parametrize("qos", [1, 2])
def test_mqtt_3_1_2_13_will_qos_nonzero_without_will_flag(broker, qos):
    c = Client(broker.port)
    c.send(connect_raw(0x02 | (qos << 3), raw_str(b"wq0")))
    assert closed_without_connack(c)


def test_mqtt_3_1_2_14_will_qos_3_closes(broker):
    c = Client(broker.port)
    c.send(connect_raw(0x02 | 0x04 | 0x18, raw_str(b"wq3")
                       + raw_str(b"will/t") + raw_str(b"m")))
    assert closed_without_connack(c)


def test_mqtt_3_1_2_15_will_retain_without_will_flag(broker):
    c = Client(broker.port)
    c.send(connect_raw(0x02 | 0x20, raw_str(b"wr0")))
    assert closed_without_connack(c)


def test_mqtt_3_1_2_16_will_retain_0_published_not_retained(broker):
    w = watch(broker.port, "wr/#")
    c = session(broker.port, "wr", will=("wr/t", b"will", 1, False))
    drop(c)
    m = recv_msg(w)
    assert m.payload == b"will" and not m.retain
    assert no_retained(broker.port, "wr/t")


def test_mqtt_3_1_2_17_will_retain_1_published_retained(broker):
    w = watch(broker.port, "wr/t")
    c = session(broker.port, "wr", will=("wr/t", b"will", 1, True))
    drop(c)
    assert recv_msg(w).payload == b"will"     # published now
    s = session(broker.port, "late")
    sub(s, [("wr/t", 1)])
    m = recv_msg(s)
    assert m.payload == b"will" and m.retain and m.qos == 1


def test_mqtt_3_1_2_18_user_name_absent_without_flag(broker):
    """User Name Flag 0 but a user name in the payload: closed without
    CONNACK."""
    c = Client(broker.port)
    c.send(connect_raw(0x02, raw_str(b"u0") + raw_str(b"someone")))
    assert closed_without_connack(c)


def test_mqtt_3_1_2_19_user_name_present_with_flag(broker):
    """User Name Flag 1 but no user name: closed without CONNACK; with the
    user name the CONNECT is accepted."""
    c = Client(broker.port)
    c.send(connect_raw(0x02 | 0x80, raw_str(b"u1")))
    assert closed_without_connack(c)
    session(broker.port, "u1", username="someone")


def test_mqtt_3_1_2_20_password_absent_without_flag(broker):
    c = Client(broker.port)
    c.send(connect_raw(0x02 | 0x80, raw_str(b"p0") + raw_str(b"user")
                       + raw_str(b"secret")))
    assert closed_without_connack(c)


def test_mqtt_3_1_2_21_password_present_with_flag(broker):
    c = Client(broker.port)
    c.send(connect_raw(0x02 | 0xC0, raw_str(b"p1") + raw_str(b"user")))
    assert closed_without_connack(c)
    session(broker.port, "p1", username="user", password=b"\x00\xffbin")


@pytest.mark.parametrize("version", [4, 3])
def test_mqtt_3_1_2_22_password_without_user_name(broker, version):
    c = Client(broker.port)
    proto = b"MQTT" if version == 4 else b"MQIsdp"
    c.send(connect_raw(0x02 | 0x40, raw_str(b"pw") + raw_str(b"secret"),
                       proto=proto, level=version))
    assert closed_without_connack(c)


def _keepalive_expiry(broker, bound):
    w = watch(broker.port, "ka/#")
    c = session(broker.port, "ka", keepalive=1,
                will=("ka/will", b"timed out", 1, False))
    t0 = time.time()
    assert c.closed(bound), "not disconnected within %.1fs" % bound
    # "as if the network had failed": the Will is published.
    m = recv_msg(w)
    assert m.payload == b"timed out"
    return time.time() - t0


# mosquitto 2.0.11 checks keep alive only every few seconds: with Keep
# Alive 1 it disconnects a silent client after about 5.6 s instead of
# 1.5 s (test_mqtt_3_1_2_24_keepalive_expiry_disconnects checks the
# disconnection itself with a loose bound).
@pytest.mark.mosquitto_differs
def test_mqtt_3_1_2_24_keepalive_one_and_a_half_times(broker):
    """Keep Alive 1 and no packet from the Client: disconnected after 1.5
    seconds (plus scheduling slack)."""
    _keepalive_expiry(broker, 1.5 + 1.0)


def test_mqtt_3_1_2_24_keepalive_expiry_disconnects(broker):
    _keepalive_expiry(broker, 10.0)


def test_mqtt_3_1_2_24_traffic_keeps_connection(broker):
    """A Client that sends a packet at least every Keep Alive period is not
    disconnected."""
    c = session(broker.port, "alive", keepalive=1)
    t0 = time.time()
    while time.time() - t0 < 3.0:
        assert ping(c) == []
        time.sleep(0.5)
    assert still_open(c)


# ---------------------------------------------------------------- 3.1.3

def test_mqtt_3_1_3_1_payload_field_order(broker):
    """Client Identifier, Will Topic, Will Message, User Name, Password are
    read in that order."""
    w = watch(broker.port, "order/#")
    c = Client(broker.port)
    c.send(connect("order-id", will=("order/will", b"will-message", 1, False),
                   username="order-user", password=b"order-pass"))
    assert connack_of(c) == (0, 0)
    # The client id is "order-id": a takeover by that id closes c.
    t = session(broker.port, "order-id")
    assert c.closed(), "client id not read from the first payload field"
    m = recv_msg(w)
    assert (m.topic, m.payload) == ("order/will", b"will-message")
    disconnect(t)


def test_mqtt_3_1_3_2_client_id_identifies_session(broker):
    """State is kept per client id: two CleanSession 0 sessions keep their
    own subscriptions and queued messages."""
    a = session(broker.port, "id-a", clean=False)
    sub(a, [("ida", 1)])
    b = session(broker.port, "id-b", clean=False)
    sub(b, [("idb", 1)])
    disconnect(a)
    disconnect(b)
    p = session(broker.port, "pub")
    pub(p, "ida", b"for-a", qos=1, pid=1)
    pub(p, "idb", b"for-b", qos=1, pid=2)
    b = session(broker.port, "id-b", clean=False, expect_present=True)
    assert recv_msg(b).payload == b"for-b"
    assert nothing_received(b, 0.2)
    a = session(broker.port, "id-a", clean=False, expect_present=True)
    assert recv_msg(a).payload == b"for-a"


@pytest.mark.parametrize("payload", [b"", b"\x00", b"\x00\x05ab"],
                         ids=["no_payload", "one_byte", "short_client_id"])
def test_mqtt_3_1_3_3_client_id_must_be_present(broker, payload):
    c = Client(broker.port)
    c.send(connect_raw(0x02, payload))
    assert closed_without_connack(c)


def test_mqtt_3_1_3_4_client_id_must_be_utf8(broker):
    c = Client(broker.port)
    c.send(connect_raw(0x02, raw_str(b"id\xed\xa0\x80")))
    closed_without_connack(c)


def test_mqtt_3_1_3_5_server_allows_1_to_23_alphanumeric(broker):
    chars = ("0123456789abcdefghijklmnopqrstuvwxyz"
             "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    ids = ["a", "Z", "9", chars[:23], chars[23:46], chars[39:62]]
    conns = [session(broker.port, cid) for cid in ids]
    assert len(set(ids)) == len(ids)
    for c in conns:
        assert still_open(c)


def test_mqtt_3_1_3_6_zero_length_client_id_unique(broker):
    """A zero-length ClientId (CleanSession 1), if accepted, gets a unique
    ClientId: two such clients coexist and keep separate state."""
    a = Client(broker.port)
    a.send(connect("", clean=True))
    sp, rc = connack_of(a)
    if rc != 0:
        assert rc == 2 and a.closed()
        return
    b = session(broker.port, "")
    sub(a, [("zl/a", 0)])
    sub(b, [("zl/b", 0)])
    assert still_open(a), "second empty-id client took over the first"
    p = session(broker.port, "pub")
    pub(p, "zl/a", b"A")
    pub(p, "zl/b", b"B")
    assert recv_msg(a).payload == b"A"
    assert recv_msg(b).payload == b"B"
    assert nothing_received(a, 0.2) and nothing_received(b, 0.0)


def test_mqtt_3_1_3_8_zero_length_id_with_clean_0_rejected(broker):
    c = Client(broker.port)
    c.send(connect("", clean=False))
    connack_then_close(c, 2)


def test_mqtt_3_1_3_9_rejected_client_id_connack_2_then_close(broker):
    """A ClientId the Server rejects gets CONNACK 0x02 and a close. MQTT
    3.1 requires 1 to 23 characters, so the zero-length ClientId of a 3.1
    CONNECT is rejected."""
    c = Client(broker.port)
    c.send(connect("", version=3, clean=True))
    connack_then_close(c, 2)


def test_mqtt_3_1_3_10_will_topic_must_be_utf8(broker):
    c = Client(broker.port)
    c.send(connect("wt", will=(b"will/\xc0\xaf", b"x", 0, False)))
    closed_without_connack(c)


def test_mqtt_3_1_3_11_user_name_must_be_utf8(broker):
    c = Client(broker.port)
    c.send(connect("un", username=b"user\xed\xbf\xbf"))
    closed_without_connack(c)


# ---------------------------------------------------------------- 3.1.4

MALFORMED_CONNECTS = {
    "trailing_byte": connect_raw(0x02, raw_str(b"tb") + b"\x01"),
    "truncated_header": mqttraw.packet(0x10, raw_str(b"MQTT") + b"\x04"),
    "no_keepalive": mqttraw.packet(0x10, raw_str(b"MQTT") + b"\x04\x02"),
    "protocol_name_overruns": mqttraw.packet(0x10, b"\x00\x08MQTT\x04"),
    "user_name_overruns": connect_raw(0x82, raw_str(b"uo") + b"\x00\x09ab"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED_CONNECTS))
def test_mqtt_3_1_4_1_nonconforming_connect_closed_without_connack(broker,
                                                                   case):
    c = Client(broker.port)
    c.send(MALFORMED_CONNECTS[case])
    assert closed_without_connack(c)


def test_mqtt_3_1_4_2_existing_client_disconnected(broker):
    """A CONNECT with the ClientId of a connected Client disconnects the
    existing one; the new connection works."""
    old = session(broker.port, "dup")
    new = session(broker.port, "dup")
    assert old.closed(), "existing client not disconnected"
    assert still_open(new)


def test_mqtt_3_1_4_2_takeover_publishes_old_will(broker):
    """The existing connection is closed without DISCONNECT, so its Will is
    published."""
    w = watch(broker.port, "tw/#")
    old = session(broker.port, "tw", will=("tw/w", b"old-will", 1, False))
    new = session(broker.port, "tw")
    assert old.closed()
    assert recv_msg(w).payload == b"old-will"
    assert still_open(new)


def test_mqtt_3_1_4_3_clean_session_processed_on_connect(broker):
    """CleanSession is processed for every accepted CONNECT, also one that
    takes over a live connection: CleanSession 0 keeps the session of the
    connected client, CleanSession 1 discards it."""
    a = session(broker.port, "tk", clean=False)
    sub(a, [("tk/t", 1)])
    b = session(broker.port, "tk", clean=False, expect_present=True)
    assert a.closed()
    p = session(broker.port, "pub")
    pub(p, "tk/t", b"kept", qos=1)
    assert recv_msg(b).payload == b"kept"
    c = session(broker.port, "tk", clean=True, expect_present=False)
    assert b.closed()
    pub(p, "tk/t", b"dropped", qos=1, pid=2)
    assert nothing_received(c)


def test_mqtt_3_1_4_4_valid_connect_acknowledged_with_zero(broker):
    c = Client(broker.port)
    c.send(connect("ok"))
    p = c.recv()
    assert p.name == "CONNACK"
    assert bytes([p.type << 4 | p.flags]) + b"\x02" + p.body == \
        b"\x20\x02\x00\x00"


@pytest.mark.parametrize("reason", ["level", "empty_id_clean_0"])
def test_mqtt_3_1_4_5_no_processing_after_rejected_connect(broker, reason):
    """Packets sent right behind a rejected CONNECT (in the same TCP
    segment) are not processed: neither routed nor retained."""
    w = watch(broker.port, "#", 0)
    c = Client(broker.port)
    if reason == "level":
        first = connect_raw(0x02, raw_str(b"rj"), level=7)
    else:
        first = connect("", clean=False)
    c.send(first + publish("rj/t", b"x", qos=0, retain=True)
           + subscribe(1, [("#", 0)]) + mqttraw.PINGREQ)
    got = []
    try:
        while True:
            got.append(c.recv(5.0).name)
    except (ConnectionError, OSError):
        pass
    assert got == ["CONNACK"], "processed after rejection: %r" % got
    assert marker(w).topic == "marker"
    assert no_retained(broker.port, "rj/t")


# ------------------------------------------------------------- MQTT 3.1

def test_mqtt31_connect_accepted(broker):
    """A 3.1.1 Server also accepts the MQTT 3.1 CONNECT (protocol name
    "MQIsdp", level 3) and serves it."""
    c = Client(broker.port)
    c.send(connect("v31", version=3))
    assert connack_of(c) == (0, 0)
    sub(c, [("v31/t", 1)])
    pub(c, "v31/t", b"hello", qos=1)
    m = recv_msg(c)
    assert m.payload == b"hello" and m.qos == 1


def test_mqtt31_client_id_23_characters_accepted(broker):
    c = Client(broker.port)
    c.send(connect("abcdefghijklmnopqrstuvw", version=3))
    assert connack_of(c) == (0, 0)


# MQTT 3.1 allows client identifiers of 1 to 23 characters and requires
# CONNACK 2 (identifier rejected) for longer ones. mosquitto 2.0.11 accepts
# long client ids on 3.1 connections (CONNACK 0).
@pytest.mark.mosquitto_differs
@pytest.mark.parametrize("n", [24, 100])
def test_mqtt31_client_id_longer_than_23_rejected(broker, n):
    c = Client(broker.port)
    c.send(connect("x" * n, version=3))
    connack_then_close(c, 2)


def test_mqtt31_empty_client_id_rejected(broker):
    c = Client(broker.port)
    c.send(connect("", version=3))
    connack_then_close(c, 2)


def test_mqtt31_connack_has_no_session_present_flag(broker):
    """MQTT 3.1 has no Session Present flag: the first CONNACK byte is 0
    even when a stored session is resumed (its queued message arrives)."""
    c = Client(broker.port)
    c.send(connect("v31s", version=3, clean=False))
    assert connack_of(c) == (0, 0)
    sub(c, [("v31s/t", 1)])
    disconnect(c)
    p = session(broker.port, "pub")
    pub(p, "v31s/t", b"queued", qos=1)
    c = Client(broker.port)
    c.send(connect("v31s", version=3, clean=False))
    assert connack_of(c) == (0, 0)
    assert recv_msg(c).payload == b"queued"


def test_mqtt31_unsupported_level_with_mqisdp_refused(broker):
    """"MQIsdp" with a level other than 3: CONNACK 1, then close."""
    c = Client(broker.port)
    c.send(connect_raw(0x02, raw_str(b"v31l"), proto=b"MQIsdp", level=4))
    connack_then_close(c, 1)
