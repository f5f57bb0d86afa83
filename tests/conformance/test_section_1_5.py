"""MQTT 3.1.1 section 1.5.3: UTF-8 encoded strings.

Every UTF-8 string field a Client sends to the Server is checked: client
identifier, Will Topic and User Name in CONNECT, Topic Name in PUBLISH, and
Topic Filters in SUBSCRIBE and UNSUBSCRIBE.
"""
import pytest

from mqttraw import Client, connect, publish, subscribe, unsubscribe

from .helpers import pub, recv_msg, session, sub, nothing_received

# Ill-formed UTF-8 [MQTT-1.5.3-1]: surrogate code points encoded in UTF-8,
# overlong forms, bytes that never occur in UTF-8, truncated sequences and
# code points beyond U+10FFFF.
ILL_FORMED = {
    "surrogate_high": b"a\xed\xa0\x80b",       # U+D800
    "surrogate_low": b"a\xed\xbf\xbfb",        # U+DFFF
    "overlong_2byte_slash": b"a\xc0\xafb",     # '/' as 2 bytes
    "overlong_3byte_slash": b"a\xe0\x80\xafb",  # '/' as 3 bytes
    "overlong_4byte_slash": b"a\xf0\x80\x80\xafb",
    "overlong_c1": b"a\xc1\xbfb",              # U+007F as 2 bytes
    "invalid_byte_ff": b"a\xffb",
    "lone_continuation": b"a\x80b",
    "truncated_sequence": b"a\xe2\x82",
    "above_10ffff": b"a\xf4\x90\x80\x80b",
}

# U+0000 [MQTT-1.5.3-2], plainly and as the overlong form C0 80 that some
# decoders ("modified UTF-8") turn into U+0000.
NUL = {
    "nul": b"a\x00b",
    "nul_only": b"\x00",
    "nul_overlong": b"a\xc0\x80b",
}

FIELDS = ["client_id", "will_topic", "user_name", "topic_name",
          "subscribe_filter", "unsubscribe_filter"]


def _connect_field_refused(c):
    """After a CONNECT with a bad string: the connection is closed and
    never accepted (a CONNACK, if any, carries a non-zero code)."""
    import socket
    while True:
        try:
            p = c.recv(5.0)
        except socket.timeout:
            raise AssertionError("connection left open")
        except OSError:
            return
        assert p.name == "CONNACK", "unexpected %r" % p
        assert p.body[1] != 0, "CONNECT with a bad string was accepted"


def _send_bad(port, field, bad):
    """Send `bad` in `field`; return the raw client for the checks."""
    if field == "client_id":
        c = Client(port)
        c.send(connect(bad))
        return c, True
    if field == "will_topic":
        c = Client(port)
        c.send(connect("w1", will=(bad, b"x", 0, False)))
        return c, True
    if field == "user_name":
        c = Client(port)
        c.send(connect("u1", username=bad))
        return c, True
    c = session(port, "s1")
    if field == "topic_name":
        c.send(publish(bad, b"payload"))
    elif field == "subscribe_filter":
        c.send(subscribe(1, [(bad, 0)]))
    elif field == "unsubscribe_filter":
        c.send(unsubscribe(1, [bad]))
    return c, False


def _check_closed(broker, field, bad):
    # A well-behaved watcher on "#" sees nothing of a bad PUBLISH.
    watcher = session(broker.port, "watcher")
    sub(watcher, [("#", 0)])
    c, is_connect = _send_bad(broker.port, field, bad)
    if is_connect:
        _connect_field_refused(c)
    else:
        assert c.closed(), "connection not closed after %s %r" % (field, bad)
    # Nothing of the bad packet reached the watcher: its next message is
    # the marker published after the close was seen.
    pub(watcher, "marker", b"m")
    m = recv_msg(watcher)
    assert m.topic == "marker", "bad packet was routed: %r" % m


@pytest.mark.parametrize("case", sorted(ILL_FORMED))
@pytest.mark.parametrize("field", FIELDS)
def test_mqtt_1_5_3_1_ill_formed_utf8_closes_connection(broker, field, case):
    _check_closed(broker, field, ILL_FORMED[case])


@pytest.mark.parametrize("case", sorted(NUL))
@pytest.mark.parametrize("field", FIELDS)
def test_mqtt_1_5_3_2_null_character_closes_connection(broker, field, case):
    _check_closed(broker, field, NUL[case])


def test_mqtt_1_5_3_1_well_formed_multibyte_accepted(broker):
    """Counterpart of the checks above: well-formed 2-, 3- and 4-byte
    sequences (including U+FFFF's neighbour U+FFFD and U+10FFFF's
    neighbour U+10FFFD, which are characters) are accepted in every field
    and routed unchanged."""
    name = "caf\u00e9/\u20ac/\U0001f600/\ufffd/\U0010fffd"
    s = session(broker.port, "\u00e9\u20ac\U0001f600",
                username="\u00fcser\u20ac")
    sub(s, [(name, 0)])
    pub(s, name, b"ok")
    m = recv_msg(s)
    assert m.topic == name and m.payload == b"ok"
    s.send(unsubscribe(2, [name]))
    assert s.expect("UNSUBACK").pid() == 2


def test_mqtt_1_5_3_3_bom_not_stripped(broker):
    """0xEF 0xBB 0xBF is U+FEFF wherever it appears: it must not be
    skipped or stripped, so "\\ufeffa" is a different topic from "a" and
    arrives with the three bytes intact."""
    bom_topic = b"\xef\xbb\xbfa"
    plain = session(broker.port, "plain")
    sub(plain, [("a", 0)])
    bom = session(broker.port, "bom")
    sub(bom, [(bom_topic, 0)])
    mid = session(broker.port, "mid")
    sub(mid, [(b"x/\xef\xbb\xbf/y", 0)])

    p = session(broker.port, "pub")
    pub(p, bom_topic, b"with-bom", qos=1)
    pub(p, b"x/\xef\xbb\xbf/y", b"bom-level", qos=1)
    pub(p, "a", b"plain", qos=1)

    m = recv_msg(bom)
    raw = m.packet.body
    assert raw[:6] == b"\x00\x04" + bom_topic, "BOM stripped: %r" % raw[:8]
    assert m.payload == b"with-bom"
    m = recv_msg(mid)
    assert m.packet.body[:9] == b"\x00\x07x/\xef\xbb\xbf/y"
    # The plain subscriber gets only the plain message.
    m = recv_msg(plain)
    assert m.payload == b"plain", "U+FEFF was stripped before matching"
    assert nothing_received(plain, 0.2)
    assert nothing_received(bom, 0.2)
