"""Small building blocks shared by the conformance tests.

Everything here talks raw MQTT through tests/mqttraw.py, so the tests see
exactly what the broker puts on the wire.
"""
import socket
import struct
import time

import mqttraw
from mqttraw import Client, connect, packet, publish, subscribe, unsubscribe

# How long to wait before concluding that something did NOT happen (no
# packet, no close). Positive events are always awaited with the longer
# default timeouts of mqttraw.
QUIET = 0.5


def connack_of(c, timeout=5.0):
    """(session_present_byte, return_code) of the next packet, a CONNACK."""
    p = c.expect("CONNACK", timeout)
    assert p.flags == 0, "CONNACK fixed header flags must be 0: %r" % p
    assert len(p.body) == 2, "CONNACK remaining length must be 2: %r" % p
    return p.body[0], p.body[1]


def session(port, client_id="", clean=True, version=4, expect_present=None,
            **kw):
    """A connected Client; asserts the CONNACK accepted the connection."""
    c = Client(port)
    c.send(connect(client_id, clean=clean, version=version, **kw))
    sp, rc = connack_of(c)
    assert rc == 0, "CONNACK return code %d" % rc
    if expect_present is not None:
        assert sp == (1 if expect_present else 0), \
            "session present %d, expected %d" % (sp, expect_present)
    return c


def connack_then_close(c, code):
    """The next packet is a CONNACK with return code `code` (session
    present 0) and the broker then closes the connection."""
    sp, rc = connack_of(c)
    assert rc == code, "CONNACK return code %d, expected %d" % (rc, code)
    assert sp == 0, "session present must be 0 with a non-zero return code"
    assert c.closed(), "connection not closed after refusing CONNACK"


def closed_without_connack(c, timeout=5.0):
    """The broker closes the connection and sends no CONNACK first."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            p = c.recv(deadline - time.time())
        except (ConnectionError, OSError) as e:
            if isinstance(e, socket.timeout):
                break
            return True
        assert p.name != "CONNACK", "unexpected CONNACK %r" % p
    raise AssertionError("connection still open after %.1fs" % timeout)


def next_packet(c, timeout=5.0):
    """Next packet, taking first any PUBLISH set aside by expect()."""
    pending = getattr(c, "pending", None)
    if pending:
        return pending.pop(0)
    return c.recv(timeout)


def expect(c, name, timeout=5.0, pid=None):
    """Next packet of type `name` (and packet id `pid`, if given). PUBLISH
    packets that arrive first are set aside for recv_msg(); any other
    packet is an error."""
    deadline = time.time() + timeout
    if name != "PUBLISH" and getattr(c, "pending", None) is None:
        c.pending = []
    while True:
        if name == "PUBLISH":
            p = next_packet(c, max(0.01, deadline - time.time()))
        else:
            p = c.recv(max(0.01, deadline - time.time()))
        if p.name == name and (pid is None or p.pid() == pid):
            return p
        if p.name == "PUBLISH" and name != "PUBLISH":
            c.pending.append(p)
            continue
        raise AssertionError("expected %s, got %r" % (name, p))


def sub(c, filters, pid=1, expect_codes=None):
    """SUBSCRIBE to filters (str or (str, qos) items); returns the SUBACK
    return codes. Asserts the SUBACK carries the same packet id."""
    fl = [(f, 0) if isinstance(f, (str, bytes)) else f for f in filters]
    c.send(subscribe(pid, fl))
    p = expect(c, "SUBACK")
    assert p.pid() == pid
    codes = list(p.body[2:])
    if expect_codes is not None:
        assert codes == list(expect_codes), "SUBACK codes %r" % codes
    return codes


def unsub(c, filters, pid=1):
    c.send(unsubscribe(pid, filters))
    p = expect(c, "UNSUBACK")
    assert p.pid() == pid
    assert len(p.body) == 2
    return p


def pub(c, topic, payload=b"", qos=0, retain=False, pid=1, dup=False):
    """Publish and complete the QoS flow as the sending Client."""
    c.send(publish(topic, payload, qos=qos, retain=retain, pid=pid, dup=dup))
    if qos == 1:
        p = expect(c, "PUBACK")
        assert p.pid() == pid
    elif qos == 2:
        p = expect(c, "PUBREC")
        assert p.pid() == pid
        c.send(mqttraw.ack("pubrel", pid))
        p = expect(c, "PUBCOMP")
        assert p.pid() == pid


class Msg:
    """A PUBLISH received from the broker, decoded."""

    def __init__(self, p):
        self.packet = p
        self.topic, self.pid, self.payload = p.publish_fields()
        self.qos, self.retain, self.dup = p.qos, p.retain, p.dup

    def __repr__(self):
        return "<Msg %r q%d r%d d%d pid=%r %r>" % (
            self.topic, self.qos, self.retain, self.dup, self.pid,
            self.payload[:40])


def recv_msg(c, timeout=5.0, ack=True):
    """Next packet, which must be a PUBLISH; with ack=True completes the
    receiver's side of the QoS flow (PUBACK, or PUBREC/PUBREL/PUBCOMP)."""
    p = expect(c, "PUBLISH", timeout)
    m = Msg(p)
    if ack:
        ack_msg(c, m)
    return m


def ack_msg(c, m):
    if m.qos == 1:
        c.send(mqttraw.ack("puback", m.pid))
    elif m.qos == 2:
        c.send(mqttraw.ack("pubrec", m.pid))
        p = expect(c, "PUBREL", pid=m.pid)
        assert p.flags == 2
        c.send(mqttraw.ack("pubcomp", m.pid))


def recv_msgs(c, n, timeout=5.0, ack=True):
    return [recv_msg(c, timeout, ack) for _ in range(n)]


def nothing_received(c, timeout=QUIET):
    """True if no packet at all arrives within timeout (the connection
    staying open)."""
    if getattr(c, "pending", None):
        raise AssertionError("unexpected packet %r" % c.pending[0])
    try:
        p = c.recv(timeout)
    except socket.timeout:
        return True
    raise AssertionError("unexpected packet %r" % p)


def ping(c, timeout=5.0):
    """Round trip through the broker: PINGREQ, then collect every packet up
    to the PINGRESP. Returns the packets received before it."""
    c.send(mqttraw.PINGREQ)
    before = list(getattr(c, "pending", None) or [])
    c.pending = []
    while True:
        p = c.recv(timeout)
        if p.name == "PINGRESP":
            return before
        before.append(p)


def still_open(c):
    """The broker still answers a PINGREQ on this connection."""
    try:
        return ping(c) == []
    except (ConnectionError, OSError):
        return False


def drop(c):
    """Close the TCP connection without DISCONNECT (a network failure as
    far as the broker can tell)."""
    try:
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                          struct.pack("ii", 1, 0))
    except OSError:
        pass
    c.close()


def disconnect(c):
    c.send(mqttraw.DISCONNECT)
    assert c.closed(), "broker kept the connection open after DISCONNECT"
    c.close()


def raw_str(b):
    """A length-prefixed string from raw bytes (possibly invalid UTF-8)."""
    return struct.pack("!H", len(b)) + b


def connect_raw(flags, payload, proto=b"MQTT", level=4, keepalive=60,
                first=0x10):
    """A CONNECT built byte by byte: protocol name, level, flags, keep
    alive and a ready-made payload."""
    vh = raw_str(proto) + bytes([level, flags]) + struct.pack("!H", keepalive)
    return packet(first, vh + payload)


def wait_closed_or_refused(c, timeout=5.0):
    """For a subscription the broker may refuse either by closing the
    connection or by answering 0x80: returns 'closed' or the SUBACK codes."""
    try:
        p = c.recv(timeout)
    except (ConnectionError, OSError) as e:
        if isinstance(e, socket.timeout):
            raise AssertionError("neither SUBACK nor close")
        return "closed"
    assert p.name == "SUBACK", "unexpected %r" % p
    return list(p.body[2:])


def all_msgs(c, timeout=QUIET):
    """Every PUBLISH that arrives until none has come for `timeout`."""
    got = []
    try:
        while True:
            got.append(recv_msg(c, timeout=timeout))
    except socket.timeout:
        pass
    return got
