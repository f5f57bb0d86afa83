"""Shared helpers for the integration suite.

- PahoClient: a python3-paho-mqtt client driven by its own network thread
  that never reconnects on its own (paho's loop_start() would, which turns a
  takeover test into a ping-pong), with every event put on a queue.
- raw(): a connected mqttraw.Client.
- cli_pub() / CliSub: the mosquitto_pub / mosquitto_sub command-line tools.
- sentinel(): publish a marker after the messages under test and wait for
  it, so "message X did not arrive" is checked without sleeping.
"""
import queue
import shutil
import socket
import subprocess
import threading
import time
import uuid

import paho.mqtt.client as mqtt

import mqttraw
from brokers import BROKER_KIND

MQTTv31 = mqtt.MQTTv31
MQTTv311 = mqtt.MQTTv311
PROTOCOLS = [MQTTv31, MQTTv311]
PROTO_IDS = {MQTTv31: "v31", MQTTv311: "v311"}
LEVEL = {MQTTv31: 3, MQTTv311: 4}

MOSQUITTO_PUB = shutil.which("mosquitto_pub") or "/usr/bin/mosquitto_pub"
MOSQUITTO_SUB = shutil.which("mosquitto_sub") or "/usr/bin/mosquitto_sub"
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"

WAIT = 5.0          # the longest we wait for something that must happen
QUIET = 0.3         # how long "nothing more arrives" is watched for


def uid(prefix="t"):
    """A fresh client id / topic component (short enough for MQTT 3.1)."""
    return prefix + uuid.uuid4().hex[:10]


def tern_conf(lines):
    """Config lines for a test that may also validate against mosquitto:
    drops the Tern-only directives (workers, connect_timeout) there."""
    if BROKER_KIND != "mosquitto":
        return list(lines)
    return [l for l in lines
            if l.split()[0] not in ("workers", "connect_timeout")]


class PahoClient:
    def __init__(self, broker, client_id="", protocol=MQTTv311,
                 clean_session=True, username=None, password=None,
                 will=None, keepalive=60):
        """will = (topic, payload, qos, retain)."""
        self.broker = broker
        if protocol == MQTTv31 and client_id == "":
            client_id = uid("p")
        self.client_id = client_id
        self.c = mqtt.Client(client_id=client_id, clean_session=clean_session,
                             protocol=protocol)
        if username is not None:
            self.c.username_pw_set(username, password)
        if will is not None:
            t, p, q, r = will
            self.c.will_set(t, p, q, r)
        self.keepalive = keepalive
        self.messages = queue.Queue()
        self.connacks = queue.Queue()
        self.subacks = queue.Queue()
        self.unsubacks = queue.Queue()
        self.published = queue.Queue()
        self.disconnects = queue.Queue()
        self.c.on_connect = lambda c, u, flags, rc: self.connacks.put((flags, rc))
        self.c.on_message = lambda c, u, m: self.messages.put(m)
        self.c.on_subscribe = lambda c, u, mid, granted: self.subacks.put((mid, granted))
        self.c.on_unsubscribe = lambda c, u, mid: self.unsubacks.put(mid)
        self.c.on_publish = lambda c, u, mid: self.published.put(mid)
        self.c.on_disconnect = lambda c, u, rc: self.disconnects.put(rc)
        self._stop = threading.Event()
        self._thread = None

    # -- connection -------------------------------------------------------
    def connect(self, expect_rc=0):
        """Connect and wait for CONNACK; returns (flags dict, rc)."""
        self.c.connect(self.broker.host, self.broker.port, self.keepalive)
        self._thread = threading.Thread(target=self._run, daemon=True)
        # paho writes queued packets from the caller's thread when it
        # believes no network thread runs (its _thread is None). Two
        # threads writing at once can swap packets on the wire, so tell
        # paho about ours: publish() then only wakes the loop thread,
        # which does all the writing, in order.
        self.c._thread = self._thread
        self._thread.start()
        flags, rc = self.connacks.get(timeout=WAIT)
        if expect_rc is not None:
            assert rc == expect_rc, "CONNACK rc %d, expected %d" % (rc, expect_rc)
        return flags, rc

    def _run(self):
        while not self._stop.is_set():
            rc = self.c.loop(timeout=0.02)
            if rc != mqtt.MQTT_ERR_SUCCESS:
                break

    def wait_disconnected(self, timeout=WAIT):
        """The rc paho reports when the connection ends."""
        return self.disconnects.get(timeout=timeout)

    def disconnect(self):
        """Clean DISCONNECT; waits for the network thread to finish."""
        self.c.disconnect()
        if self._thread is not None:
            self._thread.join(WAIT)
        self._stop.set()

    def close(self):
        """Stop without sending DISCONNECT (the broker sees the socket close)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(WAIT)
        sock = self.c.socket()
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass

    # -- operations -------------------------------------------------------
    def subscribe(self, topic, qos=0):
        """topic: a filter or a list of (filter, qos). Returns granted list."""
        if isinstance(topic, list):
            rc, mid = self.c.subscribe(topic)
        else:
            rc, mid = self.c.subscribe(topic, qos)
        assert rc == mqtt.MQTT_ERR_SUCCESS
        got_mid, granted = self.subacks.get(timeout=WAIT)
        assert got_mid == mid
        return list(granted)

    def unsubscribe(self, topic):
        rc, mid = self.c.unsubscribe(topic)
        assert rc == mqtt.MQTT_ERR_SUCCESS
        assert self.unsubacks.get(timeout=WAIT) == mid

    def publish(self, topic, payload=b"", qos=0, retain=False, wait=True):
        info = self.c.publish(topic, payload, qos, retain)
        assert info.rc == mqtt.MQTT_ERR_SUCCESS, info.rc
        if wait:
            info.wait_for_publish(timeout=WAIT)
            assert info.is_published(), "publish of %r not acknowledged" % topic
        return info

    def get(self, timeout=WAIT):
        """The next message (raises queue.Empty on timeout)."""
        return self.messages.get(timeout=timeout)

    def get_n(self, n, timeout=WAIT):
        out = []
        deadline = time.time() + timeout
        while len(out) < n:
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError("got %d of %d messages: %r" % (
                    len(out), n, [(m.topic, m.payload) for m in out]))
            try:
                out.append(self.messages.get(timeout=left))
            except queue.Empty:
                pass
        return out

    def get_until(self, topic, timeout=WAIT):
        """All messages up to and including the first one on `topic`."""
        out = []
        deadline = time.time() + timeout
        while True:
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError("no message on %s; got %r" % (
                    topic, [(m.topic, m.payload) for m in out]))
            try:
                m = self.messages.get(timeout=left)
            except queue.Empty:
                continue
            out.append(m)
            if m.topic == topic:
                return out


def raw(broker, client_id=None, version=4, connect=True, **kw):
    """A raw socket; connected (CONNACK rc 0 checked) unless connect=False."""
    c = mqttraw.Client(broker.port)
    if connect:
        if client_id is None:
            client_id = uid("r")
        ack = c.connect(client_id, version=version, **kw)
        assert ack.body[1] == 0, "CONNACK rc %d" % ack.body[1]
        c.connack = ack
    return c


def raw_until(c, pred, timeout=WAIT):
    """Packets read until pred(packet) is true (inclusive)."""
    out = []
    deadline = time.time() + timeout
    while True:
        p = c.recv(max(0.01, deadline - time.time()))
        out.append(p)
        if pred(p):
            return out


def raw_quiet(c, timeout=QUIET):
    """Assert no packet arrives within timeout."""
    try:
        p = c.recv(timeout)
    except socket.timeout:
        return True
    raise AssertionError("unexpected packet %r" % (p,))


def publish_in_parallel(pubs, n, message):
    """Each PahoClient of pubs, in a thread of its own, publishes n QoS 1
    messages, message(i, k) -> (topic, payload) for k = 0..n-1 with i its
    index in pubs, then waits for their PUBACKs."""
    def run(i, p):
        infos = [p.publish(*message(i, k), qos=1, wait=False)
                 for k in range(n)]
        for info in infos:
            info.wait_for_publish(timeout=WAIT)

    threads = [threading.Thread(target=run, args=(i, p))
               for i, p in enumerate(pubs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)


def sentinel(pub, sub, topic=None):
    """Publish a marker from `pub` (a PahoClient) that `sub` is subscribed
    to (topic must match one of sub's filters, at QoS 2) and return every
    message `sub` got before it, marker excluded. The marker goes at QoS 2
    because paho hands a QoS 2 message to the application only at PUBREL:
    a QoS 0 or 1 marker could overtake a QoS 2 message sent before it."""
    topic = topic or "sentinel"
    token = uid("s").encode()
    pub.publish(topic, token, qos=2)
    got = []
    deadline = time.time() + WAIT
    while True:
        left = deadline - time.time()
        if left <= 0:
            raise AssertionError("sentinel never arrived; got %r" % (
                [(m.topic, m.payload) for m in got]))
        try:
            m = sub.get(timeout=left)
        except queue.Empty:
            continue
        if m.topic == topic and m.payload == token:
            return got
        got.append(m)


def raw_publish(c, topic, payload=b"", qos=0, pid=1, retain=False):
    """PUBLISH from a raw client and complete its QoS flow (PUBACK, or
    PUBREC/PUBREL/PUBCOMP); other packets arriving meanwhile are dropped."""
    c.send(mqttraw.publish(topic, payload, qos=qos, pid=pid, retain=retain))
    if qos == 1:
        raw_until(c, lambda p: p.name == "PUBACK" and p.pid() == pid)
    elif qos == 2:
        raw_until(c, lambda p: p.name == "PUBREC" and p.pid() == pid)
        c.send(mqttraw.ack("pubrel", pid))
        raw_until(c, lambda p: p.name == "PUBCOMP" and p.pid() == pid)


def raw_sentinel(c, sub, topic="sentinel"):
    """sentinel() with a raw client as the publisher (QoS 2, packet id
    0xFFFE), so the marker follows that client's own messages."""
    token = uid("s").encode()
    raw_publish(c, topic, token, qos=2, pid=0xFFFE)
    got = []
    while True:
        m = sub.get()
        if m.topic == topic and m.payload == token:
            return got
        got.append(m)


def sentinel_many(pub, subs, topic="sentinel"):
    """sentinel() for several subscribers at once: one marker, and for each
    subscriber the list of messages it got before the marker."""
    token = uid("s").encode()
    pub.publish(topic, token, qos=2)
    out = []
    for sub in subs:
        got = sub.get_until(topic)
        while got[-1].payload != token:
            got += sub.get_until(topic)
        out.append([m for m in got[:-1] if m.topic != topic])
    return out


# -- mosquitto_pub / mosquitto_sub ----------------------------------------

def cli_args(broker, version=None, extra=()):
    a = ["-h", broker.host, "-p", str(broker.port)]
    if version:
        a += ["-V", version]
    return a + list(extra)


def cli_pub(broker, topic, message=None, qos=0, retain=False, version=None,
            extra=(), timeout=WAIT, check=True, stdin=None):
    cmd = [MOSQUITTO_PUB] + cli_args(broker, version, extra) + ["-t", topic,
                                                                 "-q", str(qos)]
    if message is None and stdin is None and "-n" not in extra and "-f" not in extra:
        message = ""
    if message is not None:
        cmd += ["-m", message]
    if retain:
        cmd += ["-r"]
    r = subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout)
    if check:
        assert r.returncode == 0, "mosquitto_pub failed (%d): %s" % (
            r.returncode, r.stderr.decode(errors="replace"))
    return r


def cli_sub(broker, topics, count=1, qos=0, version=None, extra=(),
            wait=5, timeout=None):
    """Run mosquitto_sub until `count` messages (or `wait` seconds of no
    message); returns the CompletedProcess."""
    cmd = [MOSQUITTO_SUB] + cli_args(broker, version, extra)
    for t in ([topics] if isinstance(topics, str) else topics):
        cmd += ["-t", t]
    cmd += ["-q", str(qos), "-C", str(count), "-W", str(wait)]
    return subprocess.run(cmd, capture_output=True, timeout=timeout or wait + 5)


class CliSub:
    """A long-running mosquitto_sub whose output lines are read by a thread.
    ready() makes sure the subscription is in place: it publishes to a sync
    topic (also subscribed) until the subscriber prints it."""

    def __init__(self, broker, topics, qos=0, version=None, extra=(),
                 fmt="%t|%q|%r|%p"):
        self.broker = broker
        self.sync = "sync/" + uid()
        cmd = [MOSQUITTO_SUB] + cli_args(broker, version, extra)
        for t in ([topics] if isinstance(topics, str) else topics):
            cmd += ["-t", t]
        cmd += ["-t", self.sync, "-q", str(qos), "-F", fmt]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.lines = queue.Queue()
        self._t = threading.Thread(target=self._read, daemon=True)
        self._t.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.decode("utf-8", "replace").rstrip("\n"))
        self.lines.put(None)

    def ready(self, timeout=WAIT):
        """Wait until the subscription is in place; returns the messages
        (as get() tuples) that arrived before the first sync message, i.e.
        the retained ones."""
        before = []
        deadline = time.time() + timeout
        while time.time() < deadline:
            cli_pub(self.broker, self.sync, "sync")
            try:
                while True:
                    line = self.lines.get(timeout=0.3)
                    if line is None:
                        raise AssertionError("mosquitto_sub exited: %s" %
                                             self.proc.stderr.read())
                    if line.startswith(self.sync + "|"):
                        return before
                    before.append(self.parse(line))
            except queue.Empty:
                pass
        raise AssertionError("mosquitto_sub never became ready")

    @staticmethod
    def parse(line):
        t, q, r, p = line.split("|", 3)
        return t, int(q), int(r), p

    def get(self, timeout=WAIT):
        """Next non-sync line split into (topic, qos, retain, payload)."""
        deadline = time.time() + timeout
        while True:
            line = self.lines.get(timeout=max(0.01, deadline - time.time()))
            if line is None:
                raise AssertionError("mosquitto_sub exited")
            if line.startswith(self.sync + "|"):
                continue
            return self.parse(line)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(WAIT)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def make_passwd(path, users):
    """users: dict name -> password; written with mosquitto_passwd."""
    first = True
    for name, pw in users.items():
        args = [MOSQUITTO_PASSWD] + (["-c"] if first else []) + ["-b", path, name, pw]
        subprocess.run(args, check=True, capture_output=True, timeout=WAIT)
        first = False
    return path


def raw_disconnect(c, timeout=WAIT):
    """Send DISCONNECT, half-close, and wait until the broker closes the
    socket: once this returns the broker has read the DISCONNECT."""
    c.send(mqttraw.DISCONNECT)
    try:
        c.sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    assert c.closed(timeout), "broker did not close after DISCONNECT"
    c.close()


def raw_drop(c, timeout=WAIT):
    """Close without DISCONNECT (half-close first, so the broker sees EOF)
    and wait until the broker has closed its end too."""
    try:
        c.sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    assert c.closed(timeout), "broker did not close after EOF"
    c.close()


def go_offline(broker, client_id, filters, version=4):
    """Create a persistent session (clean session 0) subscribed to
    `filters` [(filter, qos)], then disconnect and wait until the broker
    has seen it; returns the session-present flag of that first CONNACK."""
    c = raw(broker, client_id, version, clean=False)
    sp = c.connack.body[0]
    if filters:
        c.subscribe(filters)
    raw_disconnect(c)
    return sp


def pub_fields(p):
    """(topic, pid, payload, qos, dup, retain) of a raw PUBLISH."""
    assert p.name == "PUBLISH", p
    t, pid, payload = p.publish_fields()
    return t, pid, payload, p.qos, p.dup, p.retain
