"""A tiny MQTT packet writer/reader for raw-socket tests.

Builds exact bytes (including deliberately wrong ones) and reads packets
back, so tests can assert on the wire behaviour of the broker.
"""
import socket
import struct
import time


def varint(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        if n:
            b |= 0x80
        out.append(b)
        if not n:
            return bytes(out)


def mqtt_str(s):
    if isinstance(s, str):
        s = s.encode("utf-8")
    return struct.pack("!H", len(s)) + s


def packet(type_flags, body):
    return bytes([type_flags]) + varint(len(body)) + body


def connect(client_id="", clean=True, keepalive=60, version=4, will=None,
            username=None, password=None, proto_name=None, flags=None,
            props=b""):
    """will = (topic, payload, qos, retain)."""
    if proto_name is None:
        proto_name = "MQIsdp" if version == 3 else "MQTT"
    f = 0
    if clean:
        f |= 0x02
    payload = mqtt_str(client_id)
    if will is not None:
        topic, msg, qos, retain = will
        f |= 0x04 | (qos << 3) | (0x20 if retain else 0)
        if version == 5:
            payload += varint(0)
        payload += mqtt_str(topic) + mqtt_str(msg)
    if username is not None:
        f |= 0x80
        payload += mqtt_str(username)
    if password is not None:
        f |= 0x40
        payload += mqtt_str(password)
    if flags is not None:
        f = flags
    vh = mqtt_str(proto_name) + bytes([version, f]) + struct.pack("!H", keepalive)
    if version == 5:
        vh += varint(len(props)) + props
    return packet(0x10, vh + payload)


def publish(topic, payload=b"", qos=0, retain=False, dup=False, pid=1,
            version=4, props=b""):
    if isinstance(payload, str):
        payload = payload.encode()
    flags = (qos << 1) | (1 if retain else 0) | (0x08 if dup else 0)
    body = mqtt_str(topic)
    if qos:
        body += struct.pack("!H", pid)
    if version == 5:
        body += varint(len(props)) + props
    return packet(0x30 | flags, body + payload)


def subscribe(pid, filters, version=4, props=b""):
    """filters: list of (filter, options_byte)."""
    body = struct.pack("!H", pid)
    if version == 5:
        body += varint(len(props)) + props
    for f, o in filters:
        body += mqtt_str(f) + bytes([o])
    return packet(0x82, body)


def unsubscribe(pid, filters, version=4):
    body = struct.pack("!H", pid)
    if version == 5:
        body += varint(0)
    for f in filters:
        body += mqtt_str(f)
    return packet(0xA2, body)


def ack(kind, pid):
    """kind: 'puback' | 'pubrec' | 'pubrel' | 'pubcomp'."""
    t = {"puback": 0x40, "pubrec": 0x50, "pubrel": 0x62, "pubcomp": 0x70}[kind]
    return packet(t, struct.pack("!H", pid))


PINGREQ = b"\xc0\x00"
DISCONNECT = b"\xe0\x00"

NAMES = {1: "CONNECT", 2: "CONNACK", 3: "PUBLISH", 4: "PUBACK", 5: "PUBREC",
         6: "PUBREL", 7: "PUBCOMP", 8: "SUBSCRIBE", 9: "SUBACK",
         10: "UNSUBSCRIBE", 11: "UNSUBACK", 12: "PINGREQ", 13: "PINGRESP",
         14: "DISCONNECT", 15: "AUTH"}


class Packet:
    def __init__(self, first, body):
        self.type = first >> 4
        self.flags = first & 0x0F
        self.body = body

    @property
    def name(self):
        return NAMES.get(self.type, "?")

    # PUBLISH helpers (3.1.1 layout; v5 callers parse props themselves)
    @property
    def qos(self):
        return (self.flags >> 1) & 3

    @property
    def retain(self):
        return bool(self.flags & 1)

    @property
    def dup(self):
        return bool(self.flags & 8)

    def publish_fields(self):
        n = struct.unpack("!H", self.body[:2])[0]
        topic = self.body[2:2 + n].decode()
        rest = self.body[2 + n:]
        pid = None
        if self.qos:
            pid = struct.unpack("!H", rest[:2])[0]
            rest = rest[2:]
        return topic, pid, rest

    def pid(self):
        return struct.unpack("!H", self.body[:2])[0]

    def __repr__(self):
        return "<%s flags=%x body=%r>" % (self.name, self.flags, self.body[:40])


class Client:
    """A raw TCP connection to the broker. Received bytes wait in a
    bytearray, which stays fast when large packets come in pieces."""

    RECV_MAX = 65536  # bytes asked of one recv()

    def __init__(self, port, host="127.0.0.1", timeout=5.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, timeout):
        self.sock.settimeout(timeout)
        data = self.sock.recv(self.RECV_MAX)
        if not data:
            raise ConnectionError("closed by broker")
        self.buf += data

    def recv(self, timeout=5.0):
        """Next packet, or raises socket.timeout / ConnectionError."""
        deadline = time.time() + timeout
        while True:
            p = self._parse()
            if p is not None:
                return p
            left = deadline - time.time()
            if left <= 0:
                raise socket.timeout("no packet")
            self._fill(left)

    def _parse(self):
        if len(self.buf) < 2:
            return None
        mult, length, i = 1, 0, 1
        while True:
            if i >= len(self.buf):
                return None
            b = self.buf[i]
            length += (b & 0x7F) * mult
            mult *= 128
            i += 1
            if not b & 0x80:
                break
        if len(self.buf) < i + length:
            return None
        p = Packet(self.buf[0], bytes(self.buf[i:i + length]))
        del self.buf[:i + length]
        return p

    def expect(self, name, timeout=5.0):
        p = self.recv(timeout)
        assert p.name == name, "expected %s, got %r" % (name, p)
        return p

    def connect(self, client_id="", version=4, **kw):
        self.send(connect(client_id, version=version, **kw))
        return self.expect("CONNACK")

    def subscribe(self, filters, pid=1):
        """filters: list of (filter, qos); returns the SUBACK codes."""
        self.send(subscribe(pid, filters))
        p = self.expect("SUBACK")
        assert p.pid() == pid
        return list(p.body[2:])

    def closed(self, timeout=5.0):
        """True if the broker closes the connection within timeout (any
        packets sent before the close are discarded)."""
        deadline = time.time() + timeout
        try:
            while time.time() < deadline:
                self.sock.settimeout(max(0.01, deadline - time.time()))
                data = self.sock.recv(65536)
                if not data:
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False
        return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
