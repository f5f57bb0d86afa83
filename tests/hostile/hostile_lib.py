"""Helpers for the hostile-input suite.

Every hostile test follows the same pattern:

    by = Bystander(broker)          # a normal client, connected BEFORE
    bad = Raw(broker.port)          # the hostile connection
    bad.send(...)                   # the attack
    bad.assert_closed()             # (a) closed (or answered) in bounded time
    survives(broker, by)            # (b) the bystander still publishes and
                                    #     receives, (c) a NEW client connects,
                                    #     subscribes, publishes and receives

HeapWatch reads $SYS/broker/heap/current (bytes the broker has allocated),
published every sys_interval seconds, so memory tests run with
`sys_interval 1`.
"""
import socket
import time
import uuid

import mqttraw

S = mqttraw.mqtt_str
WAIT = 5.0          # the longest we wait for something that must happen


def uid(prefix="h"):
    return prefix + uuid.uuid4().hex[:10]


class Raw(mqttraw.Client):
    """mqttraw.Client that reads up to 1 MiB at a time, can shrink its
    receive window, and has a close check that records what arrived
    before it."""

    RECV_MAX = 1 << 20

    def __init__(self, port, host="127.0.0.1", timeout=WAIT, rcvbuf=None):
        if rcvbuf is None:
            super().__init__(port, host, timeout)
        else:
            # SO_RCVBUF must be set before connect() to shrink the window.
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            s.settimeout(timeout)
            s.connect((host, port))
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock = s
            self.buf = bytearray()

    def wait_close(self, timeout=WAIT):
        """(closed, packets received before the close or the timeout)."""
        got = []
        deadline = time.time() + timeout
        while True:
            p = self._parse()
            if p is not None:
                got.append(p)
                continue
            left = deadline - time.time()
            if left <= 0:
                return False, got
            try:
                self.sock.settimeout(left)
                data = self.sock.recv(self.RECV_MAX)
            except socket.timeout:
                return False, got
            except (ConnectionResetError, BrokenPipeError):
                return True, got
            if not data:
                return True, got
            self.buf += data

    def assert_closed(self, timeout=WAIT, what="hostile connection",
                      allow=("CONNACK",)):
        """The broker closes within timeout. A CONNACK may precede the
        close (a refusal) but it must not accept; other packets named in
        allow may come first too. Returns the packets seen."""
        t0 = time.time()
        closed, got = self.wait_close(timeout)
        assert closed, "%s not closed within %.1fs (got %r)" % (
            what, timeout, got)
        for p in got:
            assert p.name in allow, "%s: unexpected %r before close" % (
                what, p)
            if p.name == "CONNACK":
                # The return / reason code is the second byte in both
                # the 3.1.1 and the 5.0 layout.
                assert len(p.body) >= 2 and p.body[1] != 0, \
                    "%s: CONNACK accepted it: %r" % (what, p)
        self.close_time = time.time() - t0
        return got

    def send_quiet(self, data):
        """Send, ignoring a reset by a broker that already closed."""
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError):
            return False

    def roundtrip(self, topic, payload, pid=1):
        """Publish QoS 1 on topic (which this client subscribes to at
        QoS 1), expect PUBACK and the message back; acknowledge it."""
        self.send(mqttraw.publish(topic, payload, qos=1, pid=pid))
        got_ack = got_msg = False
        deadline = time.time() + WAIT
        while not (got_ack and got_msg):
            p = self.recv(max(0.01, deadline - time.time()))
            if p.name == "PUBACK" and p.pid() == pid:
                got_ack = True
            elif p.name == "PUBLISH":
                t, rpid, body = p.publish_fields()
                if t == topic and body == payload:
                    got_msg = True
                if p.qos == 1:
                    self.send(mqttraw.ack("puback", rpid))


def connected(broker, client_id=None, keepalive=60, **kw):
    """A Raw client with an accepted CONNECT. A broker object carrying a
    `hostile_creds` dict (username, password) logs in with it."""
    c = Raw(broker.port, **kw)
    creds = getattr(broker, "hostile_creds", {})
    ack = c.connect(client_id or uid(), keepalive=keepalive, **creds)
    assert ack.body[1] == 0, "CONNACK refused: %r" % ack
    return c


class Bystander:
    """A normal client connected before the attack, subscribed to its own
    topic; check() publishes there and must get the message back."""

    def __init__(self, broker):
        self.broker = broker
        self.topic = "by/" + uid()
        self.c = connected(broker)
        assert self.c.subscribe([(self.topic, 1)]) == [1]
        self.n = 0

    def check(self):
        self.n += 1
        pid = self.n % 60000 + 1
        self.c.roundtrip(self.topic, b"alive-%d" % self.n, pid)

    def close(self):
        self.c.close()


def check_new_client(broker):
    """A new client connects, subscribes, publishes and receives."""
    c = connected(broker)
    try:
        topic = "new/" + uid()
        assert c.subscribe([(topic, 1)]) == [1]
        c.roundtrip(topic, b"hello")
        c.send(mqttraw.DISCONNECT)
    finally:
        c.close()


def survives(broker, bystander):
    """(b) and (c) of every hostile test, plus: the process is alive."""
    assert broker.alive(), "broker died:\n" + broker.read_log()[-4000:]
    bystander.check()
    check_new_client(broker)


class HeapWatch:
    """Reads $SYS/broker/heap/current; needs `sys_interval 1`."""

    TOPIC = "$SYS/broker/heap/current"

    def __init__(self, broker):
        self.c = connected(broker)
        assert self.c.subscribe([(self.TOPIC, 0)]) == [0]

    def next(self, timeout=WAIT):
        """The first value published after this call (retained replays
        and values already buffered are skipped)."""
        deadline = time.time() + timeout
        # Drop whatever was already queued.
        while True:
            try:
                p = self.c.recv(0.01)
            except socket.timeout:
                break
        while True:
            p = self.c.recv(max(0.01, deadline - time.time()))
            if p.name == "PUBLISH":
                t, _, body = p.publish_fields()
                if t == self.TOPIC and not p.retain:
                    return int(body)

    def settled(self, samples=2):
        """Smallest of a few fresh samples (one sys tick each)."""
        return min(self.next() for _ in range(samples))

    def close(self):
        self.c.close()


def sanitizer_clean(log):
    for bad in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                "runtime error:", "ThreadSanitizer"):
        if bad in log:
            return False
    return True
