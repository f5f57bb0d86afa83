"""Hostile use of time and memory: slow senders, connections that never
CONNECT, floods, deep topics, huge and announced-but-absent packets, and
clients that do not read.

Memory is read from $SYS/broker/heap/current (bytes the broker has
allocated, published every `sys_interval 1` second). Each test checks (a)
the hostile connection is closed (or answered) within a bounded time, (b)
a client connected before the attack still publishes and receives, (c) a
new client still connects, subscribes, publishes and receives; the
memory tests also check that the heap stays bounded and comes back to
its baseline once the hostile client is gone.
"""
import os
import socket
import subprocess
import threading
import time

import pytest

import mqttraw
from hostile_lib import (Bystander, HeapWatch, Raw, connected,
                         check_new_client, survives, uid)

pytestmark = pytest.mark.tern_only

KiB = 1024
MiB = 1024 * 1024
# What "back to baseline" allows for: per-worker scratch that grew and
# was not yet trimmed, counters, the $SYS subscriber's own traffic.
SLACK = 64 * KiB


def heap_broker(broker_factory, *conf):
    b = broker_factory(conf=["sys_interval 1"] + list(conf))
    heap = HeapWatch(b)
    by = Bystander(b)
    return b, heap, by


def assert_back_to_baseline(heap, base, what):
    """The heap returns within SLACK of base within a few ticks."""
    seen = []
    for _ in range(4):
        now = heap.next()
        seen.append(now)
        if now <= base + SLACK:
            return
    pytest.fail("%s: heap did not come back: baseline %d, then %r" %
                (what, base, seen))


# --- slow and silent connections ------------------------------------------


def test_slowloris_connect_one_byte_per_second(broker_factory, raws,
                                               bystander):
    """A client sending its CONNECT one byte a second is closed by
    connect_timeout (2 s here), well before the CONNECT could complete;
    the broker serves others meanwhile. Class: slow-connection DoS on MQTT
    brokers (CVE-2020-13849, "SlowITe")."""
    b = broker_factory(conf=["connect_timeout 2"])
    by = bystander(b)
    data = mqttraw.connect(uid())
    bad = raws(b)
    t0 = time.time()
    closed = False
    for i in range(len(data)):
        if not bad.send_quiet(data[i:i + 1]):
            closed = True
            break
        by.check()
        closed, got = bad.wait_close(1.0)
        assert got == [], got
        if closed:
            break
    elapsed = time.time() - t0
    assert closed, "slow CONNECT never closed"
    assert 1.5 <= elapsed <= 4.0, "closed after %.1fs" % elapsed
    survives(b, by)


def test_slow_packet_after_connect_closed_by_keepalive(broker_factory, raws,
                                                       bystander):
    """After CONNECT, a PUBLISH trickled one byte a second: bytes keep
    coming, but no packet completes, so the keep-alive (1.5 x 2 s,
    [MQTT-3.1.2-24]) still ends the connection."""
    b = broker_factory()
    by = bystander(b)
    bad = raws(b)
    assert bad.connect(uid(), keepalive=2).body[1] == 0
    data = mqttraw.publish("slow/t", b"x" * 100)
    t0 = time.time()
    closed = False
    for i in range(len(data)):
        if not bad.send_quiet(data[i:i + 1]):
            closed = True
            break
        by.check()
        closed, got = bad.wait_close(1.0)
        if closed:
            break
    elapsed = time.time() - t0
    assert closed, "trickled packet kept the connection open"
    assert elapsed <= 5.0, "closed after %.1fs" % elapsed
    survives(b, by)


def test_many_sockets_that_never_connect(broker_factory):
    """500 sockets that never send CONNECT: each costs little (DESIGN:
    well under a kilobyte beyond the kernel's buffers), connect_timeout
    closes every one, and a normal client keeps working throughout. Class:
    unauthenticated resource exhaustion (CVE-2017-7651, connection
    slots and memory held by clients that never authenticate)."""
    b, heap, by = heap_broker(broker_factory, "connect_timeout 2")
    base = heap.settled()
    socks = []
    try:
        t0 = time.time()
        for _ in range(500):
            socks.append(Raw(b.port))
        by.check()
        check_new_client(b)
        during = heap.next()
        per_conn = (during - base) / 500.0
        assert per_conn < 1024, "%.0f bytes per idle connection" % per_conn
        by.check()
        check_new_client(b)
        # All closed by connect_timeout: 2 s after the last accept, plus a
        # tick, plus slack for a loaded machine.
        deadline = t0 + 2.0 + 3.0
        for i, s in enumerate(socks):
            closed, got = s.wait_close(max(0.05, deadline - time.time()))
            assert closed, "socket %d still open after %.1fs" % (
                i, time.time() - t0)
            assert got == []
        survives(b, by)
        assert_back_to_baseline(heap, base, "500 idle sockets")
    finally:
        for s in socks:
            s.close()


# --- floods ----------------------------------------------------------------


def test_subscribe_flood_then_disconnect_frees_memory(broker_factory):
    """10,000 SUBSCRIBE packets with distinct filters from one client,
    then it disconnects: the heap returns to its baseline (subscriptions,
    trie nodes and session state are all freed), and the broker served
    others during the flood. Class: memory leaks on subscription churn
    (mosquitto CVE-2024-8376 class: leaks and use-after-free through
    sequences of SUBSCRIBE / UNSUBSCRIBE / DISCONNECT)."""
    b, heap, by = heap_broker(broker_factory)
    base = heap.settled()
    for rnd in range(2):
        c = connected(b)
        data = b"".join(
            mqttraw.subscribe(i + 1, [("flood/%d/%s/x" % (i, uid()), i % 3)])
            for i in range(10000))
        c.send(data)
        by.check()
        for i in range(10000):
            p = c.expect("SUBACK")
            assert p.pid() == i + 1
        peak = heap.next()
        assert peak > base + 100 * KiB, "the flood left no trace?"
        by.check()
        if rnd == 0:
            c.send(mqttraw.DISCONNECT)
        c.close()
        assert_back_to_baseline(heap, base, "after 10,000 subscriptions")
    survives(b, by)


def test_qos0_flood_to_a_subscriber_that_never_reads(broker_factory):
    """100,000 QoS 0 PUBLISH packets to a topic whose subscriber never
    reads (a 4 KiB receive buffer, full at once): the heap stays bounded
    (256 KiB of output per connection, then max_queued_messages 10), and
    another publisher/subscriber pair is served during the flood. Class:
    unbounded queues for slow consumers."""
    b, heap, by = heap_broker(broker_factory, "max_queued_messages 10")
    base = heap.settled()
    topic = "flood/" + uid()
    stalled = Raw(b.port, rcvbuf=4096)
    stalled.connect(uid())
    assert stalled.subscribe([(topic, 1)]) == [1]
    pair_topic = "pair/" + uid()
    pair_sub = connected(b)
    assert pair_sub.subscribe([(pair_topic, 0)]) == [0]
    pair_pub = connected(b)
    flooder = connected(b)
    blob = mqttraw.publish(topic, b"x" * 100) * 10000
    worst = 0.0
    for i in range(10):
        flooder.send(blob)
        t1 = time.time()
        pair_pub.send(mqttraw.publish(pair_topic, b"p%d" % i))
        p = pair_sub.expect("PUBLISH")
        assert p.publish_fields()[2] == b"p%d" % i
        by.check()
        worst = max(worst, time.time() - t1)
    assert worst < 2.0, "others waited %.1fs during the flood" % worst
    flooder.send(mqttraw.PINGREQ)
    flooder.expect("PINGRESP", timeout=30)   # the flood is consumed
    peak = max(heap.next(), heap.next())
    assert peak < base + 2 * MiB, "heap grew by %d bytes" % (peak - base)
    survives(b, by)
    stalled.close()
    flooder.close()
    pair_sub.close()
    pair_pub.close()
    assert_back_to_baseline(heap, base, "after the flood")


def test_client_that_never_reads_its_responses(broker_factory):
    """A client that sends 4,000,000 PINGREQ (8 MB) and never reads: each
    earns a PINGRESP the broker cannot send. The broker must stop reading
    from it or disconnect it once its output is over a per-connection cap;
    the heap must not grow with what the client sends. Class: unbounded
    per-connection buffers (DESIGN: "a slow subscriber hits its cap ...
    never the process")."""
    b, heap, by = heap_broker(broker_factory)
    base = heap.settled()
    bad = Raw(b.port, rcvbuf=4096)
    assert bad.connect(uid()).body[1] == 0
    chunk = mqttraw.PINGREQ * 500000
    sent = 0
    bad.sock.settimeout(10)
    try:
        for _ in range(8):
            bad.sock.sendall(chunk)
            sent += len(chunk)
    except (socket.timeout, BrokenPipeError, ConnectionResetError):
        pass    # the broker stopped reading or closed: both bounded
    by.check()
    grown = heap.next() - base
    bad.close()
    assert grown < 2 * MiB, \
        "heap grew by %d bytes for %d bytes of PINGREQ" % (grown, sent)
    survives(b, by)


# --- deep topics -------------------------------------------------------------


def test_topic_with_10000_levels(broker_factory):
    """A topic of 10,000 levels ("a/a/.../a") published and subscribed
    as "+/+/.../#", as the exact name, as "+/+/.../+" and as "#", with
    max_topic_levels raised to its maximum: matched without recursion
    (class: mosquitto CVE-2019-11779, a stack overflow on a topic of some
    65,400 '/' characters), then unsubscribed and freed."""
    b, heap, by = heap_broker(broker_factory, "max_topic_levels 65535")
    base = heap.settled()
    n = 10000
    topic = "/".join(["a"] * n)
    filters = ["/".join(["+"] * (n - 1)) + "/#", topic,
               "/".join(["+"] * n), "#"]
    subs = []
    for f in filters:
        c = connected(b)
        assert c.subscribe([(f, 1)]) == [1]
        subs.append(c)
    pub = connected(b)
    pub.send(mqttraw.publish(topic, b"deep", qos=1, pid=7))
    assert pub.expect("PUBACK").pid() == 7
    for c in subs:
        p = c.expect("PUBLISH")
        t, pid, body = p.publish_fields()
        assert (t, body) == (topic, b"deep")
        c.send(mqttraw.ack("puback", pid))
    # 60,000 '/' (60,001 empty levels), as name and as filter.
    slashes = "/" * 60000
    c = connected(b)
    assert c.subscribe([(slashes + "#", 0)]) == [0]
    pub.send(mqttraw.publish(slashes, b"slashes"))
    assert c.expect("PUBLISH").publish_fields()[2] == b"slashes"
    by.check()
    for i, s in enumerate(subs):
        s.send(mqttraw.unsubscribe(9, [filters[i]]))
        while s.recv().name != "UNSUBACK":
            pass            # "#" also got the slashes
        s.close()
    c.close()
    pub.close()
    survives(b, by)
    assert_back_to_baseline(heap, base, "after deep topics")


def test_topic_with_10000_levels_over_max_topic_levels(broker, raws,
                                                       bystander):
    """The same deep topics with the default max_topic_levels (128, see
    docs/CONFIG.md): the filter gets 0x80, the PUBLISH is acknowledged
    and dropped (a "#" subscriber does not get it), the connection stays
    up, and 60,000 '/' are handled the same way."""
    by = bystander(broker)
    watcher = connected(broker)
    assert watcher.subscribe([("#", 0)]) == [0]
    c = raws(broker)
    assert c.connect(uid()).body[1] == 0
    n = 10000
    topic = "/".join(["a"] * n)
    for f in ("/".join(["+"] * (n - 1)) + "/#", topic, "/" * 60000 + "#"):
        assert c.subscribe([(f, 1), ("ok/" + uid(), 0)]) == [0x80, 0]
    for t in (topic, "/" * 60000):
        c.send(mqttraw.publish(t, b"deep", qos=1, pid=5))
        assert c.expect("PUBACK").pid() == 5
    c.send(mqttraw.publish("ok/marker", b"marker"))
    p = watcher.expect("PUBLISH")
    assert p.publish_fields()[2] == b"marker", "a too-deep topic got through"
    c.send(mqttraw.PINGREQ)
    assert c.expect("PINGRESP").name == "PINGRESP"
    survives(broker, by)


# --- large and announced packets -----------------------------------------


def read_big_publish(c, timeout=60):
    """Read one PUBLISH into a bytearray without quadratic copying."""
    c.sock.settimeout(timeout)
    hdr = bytearray()
    while len(hdr) < 2 or hdr[-1] & 0x80:
        one = c.sock.recv(1) if not c.buf else bytes([c.buf.pop(0)])
        if not one:
            raise ConnectionError("closed")
        hdr += one
    n, mult = 0, 1
    for byte in hdr[1:]:
        n += (byte & 0x7F) * mult
        mult *= 128
    body = bytearray(n)
    view = memoryview(body)
    got = min(len(c.buf), n)
    body[:got] = c.buf[:got]
    del c.buf[:got]
    while got < n:
        k = c.sock.recv_into(view[got:], min(n - got, 1 << 22))
        if k == 0:
            raise ConnectionError("closed")
        got += k
    return hdr[0], body


def make_payload(n):
    block = bytes(range(256)) * 4096        # 1 MiB
    return (block * (n // len(block) + 1))[:n]


def test_large_publish_without_limits(broker_factory):
    """1 MiB and 100 MiB PUBLISH (QoS 1) with no size limit configured:
    delivered intact, acknowledged, and the heap returns to baseline."""
    b, heap, by = heap_broker(broker_factory)
    base = heap.settled()
    sub = connected(b)
    assert sub.subscribe([("big/x", 1)]) == [1]
    pub = connected(b)
    for size in (1 * MiB, 100 * MiB):
        payload = make_payload(size)
        pkt = b"".join([b"\x32", mqttraw.varint(2 + 5 + 2 + size),
                        mqttraw.mqtt_str("big/x"), b"\x00\x09", payload])
        th = threading.Thread(target=pub.send_quiet, args=(pkt,))
        th.start()
        first, body = read_big_publish(sub)
        th.join(60)
        assert first >> 4 == 3
        assert bytes(body[:7]) == b"\x00\x05big/x"
        pid = body[7:9]
        assert body[9:] == payload, "payload of %d bytes altered" % size
        sub.send(b"\x40\x02" + bytes(pid))
        assert pub.expect("PUBACK", 30).pid() == 9
        by.check()
        del body, payload, pkt
    survives(b, by)
    assert_back_to_baseline(heap, base, "after a 100 MiB message")


def test_large_publish_over_max_packet_size(broker_factory, raws):
    """max_packet_size 1 MiB: a 1 MiB-and-more and a 100 MiB PUBLISH are
    refused on their fixed header (only the header is sent), a packet
    within the limit passes."""
    b, heap, by = heap_broker(broker_factory, "max_packet_size 1048576")
    base = heap.settled()
    sub = connected(b)
    assert sub.subscribe([("big/y", 0)]) == [0]
    ok = make_payload(MiB - 100)
    pub = connected(b)
    pub.send(mqttraw.publish("big/y", ok))
    first, body = read_big_publish(sub)
    assert body[7:] == ok
    for size in (MiB, 100 * MiB):
        bad = raws(b)
        assert bad.connect(uid()).body[1] == 0
        bad.send(b"\x30" + mqttraw.varint(2 + 5 + size))
        bad.assert_closed(2.0, "PUBLISH of %d bytes" % size)
        survives(b, by)
    assert heap.next() < base + 4 * MiB


def test_large_publish_over_message_size_limit(broker_factory):
    """message_size_limit 1 MiB: a payload one byte over, and one of 100
    MiB, are dropped (QoS 1: still acknowledged, as documented in
    COMPATIBILITY.md) or the connection is closed; the subscriber never
    gets them; a payload of exactly the limit is delivered."""
    b, heap, by = heap_broker(broker_factory, "message_size_limit 1048576")
    base = heap.settled()
    sub = connected(b)
    assert sub.subscribe([("big/z", 1)]) == [1]
    pub = connected(b)
    exact = make_payload(MiB)
    pub.send(mqttraw.publish("big/z", exact, qos=1, pid=1))
    assert pub.expect("PUBACK", 10).pid() == 1
    first, body = read_big_publish(sub)
    assert body[9:] == exact
    sub.send(b"\x40\x02" + bytes(body[7:9]))
    for pid, size in ((2, MiB + 1), (3, 100 * MiB)):
        payload = make_payload(size)
        pkt = b"".join([b"\x32", mqttraw.varint(2 + 5 + 2 + size),
                        mqttraw.mqtt_str("big/z"), bytes([0, pid]), payload])
        del payload
        pub.send_quiet(pkt)
        del pkt
        try:
            assert pub.expect("PUBACK", 30).pid() == pid
        except (ConnectionError, OSError):
            pub.close()             # closed instead: also bounded
            pub = connected(b)
        # Whatever happened, the subscriber gets nothing: a marker sent
        # after arrives first.
        pub.send(mqttraw.publish("big/z", b"marker", qos=0))
        p = sub.recv(10)
        assert p.publish_fields()[2] == b"marker", \
            "oversized payload of %d bytes delivered" % size
        by.check()
    survives(b, by)
    assert_back_to_baseline(heap, base, "after oversized messages")


@pytest.mark.parametrize("connect_first", [False, True])
def test_publish_announcing_256_mib_then_little(broker_factory, raws,
                                                connect_first):
    """A PUBLISH header announcing 256 MiB followed by a few bytes: the
    broker must not allocate for the announced size, only for what
    arrived (class: mosquitto CVE-2023-0809 / CVE-2017-7651, memory
    allocated from a length the client claims)."""
    b, heap, by = heap_broker(broker_factory, "connect_timeout 10")
    base = heap.settled()
    bads = []
    for i in range(8):
        bad = raws(b)
        if connect_first:
            assert bad.connect(uid()).body[1] == 0
        bad.send(b"\x30\xff\xff\xff\x7f" + mqttraw.mqtt_str("a/b") +
                 b"x" * (4 * KiB))
        bads.append(bad)
    by.check()
    check_new_client(b)
    grown = heap.next() - base
    assert grown < 1 * MiB, "8 announced 256 MiB packets took %d bytes" % (
        grown)
    for bad in bads:
        bad.close()
    survives(b, by)
    assert_back_to_baseline(heap, base, "after announced packets")


def stream(sock, total, chunk=1 << 20, timeout=10):
    """Send up to total bytes; stop at the first error (broker closed).
    Returns the bytes sent."""
    buf = b"\x00" * chunk
    sent = 0
    sock.settimeout(timeout)
    try:
        while sent < total:
            sock.sendall(buf)
            sent += chunk
    except (BrokenPipeError, ConnectionResetError, socket.timeout):
        pass
    return sent


def test_first_packet_not_connect_closed_on_its_header(broker_factory,
                                                       raws):
    """[MQTT-3.1.0-1]: the first packet must be CONNECT. The first byte
    already says it is not, so the broker closes at once and buffers
    nothing of its body (class: mosquitto CVE-2023-0809, excessive memory
    allocated for malicious initial packets that are not CONNECT)."""
    b, heap, by = heap_broker(broker_factory, "connect_timeout 10")
    base = heap.settled()
    bad = raws(b)
    bad.send(b"\x30\xff\xff\xff\x7f")
    sent = stream(bad.sock, 32 * MiB)
    grown = heap.next() - base
    closed, _ = bad.wait_close(1.0)
    bad.close()
    assert closed, "still open after the header and %d bytes" % sent
    assert grown < 1 * MiB, "buffered %d bytes of a non-CONNECT" % grown
    survives(b, by)


def test_unauthenticated_connect_size_is_bounded(broker_factory, raws):
    """A CONNECT announcing 256 MiB whose body keeps coming: a 3.1.1
    CONNECT cannot exceed about 320 KiB (five strings of at most 65,535
    bytes), so before authentication the broker must refuse to buffer
    more than a bounded amount (close, or cap as with max_packet_size).
    Class: mosquitto CVE-2017-7651, memory exhaustion by unauthenticated
    clients sending a CONNECT with a huge Remaining Length."""
    b, heap, by = heap_broker(broker_factory, "connect_timeout 10")
    base = heap.settled()
    bad = raws(b)
    head = (mqttraw.mqtt_str("MQTT") + b"\x04\x02\x00\x3c" +
            b"\xff\xff")          # a client id of 65,535 bytes follows
    bad.send(b"\x10\xff\xff\xff\x7f" + head)
    sent = stream(bad.sock, 32 * MiB)
    grown = heap.next() - base
    closed, _ = bad.wait_close(0.2)
    bad.close()
    assert closed or grown < 2 * MiB, \
        "unauthenticated CONNECT holds %d bytes (%d sent)" % (grown, sent)
    survives(b, by)


# --- per-session state a client can pile up ----------------------------------


def test_one_subscribe_with_10000_filters(broker_factory):
    """One SUBSCRIBE with 10,000 distinct filters, one with the same
    filter 10,000 times (each replaces the last, [MQTT-3.8.4-3]), and one
    UNSUBSCRIBE naming 20,000: a SUBACK code per filter, in order
    [MQTT-3.8.4-6], and the heap comes back to baseline."""
    b, heap, by = heap_broker(broker_factory)
    base = heap.settled()
    c = connected(b)
    codes = c.subscribe([("many/%d" % i, i % 3) for i in range(10000)])
    assert codes == [i % 3 for i in range(10000)]
    by.check()
    codes = c.subscribe([("same/x", i % 3) for i in range(10000)], pid=2)
    assert codes == [i % 3 for i in range(10000)]
    c.send(mqttraw.publish("same/x", b"once", qos=2, pid=3))
    got = []
    while len(got) < 2:
        p = c.recv()
        got.append(p.name)
        if p.name == "PUBLISH":
            # One copy, at the QoS of the last subscription (10000 % 3).
            assert p.qos == 9999 % 3
            assert p.publish_fields()[2] == b"once"
    assert sorted(got) == ["PUBLISH", "PUBREC"], got
    c.send(mqttraw.unsubscribe(4, ["many/%d" % i for i in range(10000)] * 2))
    assert c.expect("UNSUBACK").pid() == 4
    c.close()
    survives(b, by)
    assert_back_to_baseline(heap, base, "after 10,000 filters in a packet")


def test_qos2_publishes_never_released(broker_factory):
    """65,535 QoS 2 PUBLISH packets (every packet id) never followed by
    PUBREL, then all of them again: each message is delivered once
    ([MQTT-4.3.3-2]: a resent QoS 2 id is not delivered again until its
    PUBREL), the per-session state is bounded by the packet-id space, and
    it is freed when the client goes. Class: mosquitto CVE-2023-28366,
    memory leak from QoS 2 messages with duplicate ids whose exchange is
    never completed."""
    # A queue deep enough that the (slower) Python reader loses nothing.
    b, heap, by = heap_broker(broker_factory, "max_queued_messages 200000")
    base = heap.settled()
    topic = "q2/" + uid()
    sub = connected(b)
    assert sub.subscribe([(topic, 0)]) == [0]
    pub = connected(b)
    blob = b"".join(mqttraw.publish(topic, b"v", qos=2, pid=i)
                    for i in range(1, 65536))
    # The subscriber reads all along, so none is dropped for a full queue.
    counted = []

    def count():
        n = 0
        while True:
            p = sub.expect("PUBLISH", 30)
            if p.publish_fields()[2] == b"marker":
                counted.append(n)
                return
            n += 1

    reader = threading.Thread(target=count, daemon=True)
    reader.start()
    for rnd in range(2):
        pub.send(blob)
        for i in range(1, 65536):
            assert pub.expect("PUBREC").pid() == i
        by.check()
    pub.send(mqttraw.publish(topic, b"marker"))
    reader.join(60)
    assert counted, "the subscriber never saw the marker"
    assert counted[0] == 65535, \
        "%d deliveries for 65,535 distinct ids" % counted[0]
    grown = heap.next() - base
    assert grown < 8 * MiB, "QoS 2 state of %d bytes" % grown
    pub.close()
    sub.close()
    survives(b, by)
    assert_back_to_baseline(heap, base, "after unreleased QoS 2")


# --- file descriptors --------------------------------------------------------


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_out_of_file_descriptors(broker_factory):
    """The broker runs out of file descriptors (its limit lowered to 32
    with prlimit) because clients hold more sockets than it may open:
    the clients it has keep being served, it neither spins on the
    listener nor floods its log (bounded CPU and log growth while
    exhausted), and once the sockets go new clients connect again.
    Class: descriptor exhaustion (mosquitto CVE-2017-7652 concerned the
    broker's state when all descriptors are in use)."""
    b = broker_factory(conf=["workers 1", "connect_timeout 30"])
    by = Bystander(b)
    subprocess.run(["prlimit", "--nofile=32:32", "--pid", str(b.proc.pid)],
                   check=True, timeout=10)
    socks = []
    try:
        for _ in range(40):
            socks.append(socket.create_connection((b.host, b.port), 5))
        by.check()
        c0, l0, t0 = cpu_seconds(b.proc.pid), len(b.read_log()), time.time()
        time.sleep(1.0)
        share = (cpu_seconds(b.proc.pid) - c0) / (time.time() - t0)
        log_growth = len(b.read_log()) - l0
        by.check()
    finally:
        for s in socks:
            s.close()
    deadline = time.time() + 5
    while True:     # the queued connections are accepted, then closed
        try:
            check_new_client(b)
            break
        except (OSError, AssertionError):
            if time.time() > deadline:
                raise
            time.sleep(0.2)
    survives(b, by)
    by.close()
    assert share < 0.2 and log_growth < 256 * KiB, \
        "out of descriptors for 1 s: %.0f%% CPU, %d bytes of log" % (
            share * 100, log_growth)


def test_retained_flood_replayed_to_a_stalled_subscriber(broker_factory):
    """10,000 retained messages of 1 KB, replayed to a new subscriber of
    "ret/#" that never reads: the replay obeys the same per-connection
    caps as live traffic (the heap grows by the retained store, not by a
    copy per replay), and clearing them (empty retained payloads,
    [MQTT-3.3.1-10]) gives the memory back."""
    b, heap, by = heap_broker(broker_factory, "max_queued_messages 10")
    base = heap.settled()
    p = connected(b)
    names = ["ret/%d/%d/x" % (i % 100, i) for i in range(10000)]
    p.send(b"".join(mqttraw.publish(n, b"r" * 1000, retain=True)
                    for n in names))
    p.send(mqttraw.PINGREQ)
    p.expect("PINGRESP", 30)
    stored = heap.next() - base
    assert stored > 10 * MiB
    for _ in range(2):
        s = Raw(b.port, rcvbuf=4096)
        s.connect(uid())
        s.send(mqttraw.subscribe(1, [("ret/#", 0)]))
        by.check()
        grown = heap.next() - base - stored
        assert grown < 2 * MiB, "a stalled replay took %d bytes" % grown
        s.close()
    p.send(b"".join(mqttraw.publish(n, b"", retain=True) for n in names))
    p.send(mqttraw.PINGREQ)
    p.expect("PINGRESP", 30)
    p.close()
    survives(b, by)
    assert_back_to_baseline(heap, base, "after clearing retained messages")


@pytest.mark.parametrize("first", [0x10, 0x30], ids=["connect", "publish"])
def test_memory_limit_stops_unauthenticated_streams(broker_factory, raws,
                                                    first):
    """With memory_limit 32 MiB, a connection that never completed CONNECT
    and streams the body of a 256 MiB packet is closed at the budget
    (docs/CONFIG.md memory_limit), the heap stays under it, and the
    clients already connected are served. Class: CVE-2017-7651 /
    CVE-2023-0809, unauthenticated memory exhaustion."""
    b, heap, by = heap_broker(broker_factory, "memory_limit 33554432",
                              "connect_timeout 10")
    base = heap.settled()
    bad = raws(b)
    bad.send(bytes([first]) + b"\xff\xff\xff\x7f")
    t0 = time.time()
    sent = stream(bad.sock, 128 * MiB)
    assert sent < 64 * MiB, "%d bytes taken past a 32 MiB budget" % sent
    bad.assert_closed(3.0, "stream past memory_limit")
    assert time.time() - t0 < 8.0
    # (Right after the close the broker may still shed others: see the
    # next test.) One $SYS tick later it is back under the budget.
    assert_back_to_baseline(heap, base, "after the stream")
    survives(b, by)


def test_memory_limit_stream_does_not_shed_bystanders(broker_factory):
    """For two seconds an unauthenticated client streams the bodies of
    256 MiB PUBLISH packets (each connection is closed at memory_limit,
    32 MiB, and it opens the next), while a client connected before keeps
    publishing at QoS 1 and new clients keep connecting: none of them may
    be disconnected or refused. The hostile connection must go before the
    broker reaches the point where it sheds other clients (e.g. at the
    90% mark, or by a cap on partial packets before CONNECT). Seen: about
    30 disconnections "memory_limit reached" of the client connected
    before, and a few refused new clients, in two seconds."""
    b = broker_factory(conf=["memory_limit 33554432", "connect_timeout 10"])
    stop = time.time() + 2.0

    def attack():
        while time.time() < stop:
            bad = Raw(b.port)
            bad.send_quiet(b"\x30\xff\xff\xff\x7f")
            bad.sock.settimeout(5)
            try:
                while time.time() < stop:
                    bad.sock.sendall(b"\x00" * MiB)
            except OSError:
                pass
            bad.close()

    attacker = threading.Thread(target=attack, daemon=True)
    attacker.start()
    checks = lost = refused = 0
    while time.time() < stop:
        try:
            by = Bystander(b)
        except (OSError, AssertionError):
            refused += 1
            continue
        try:
            while time.time() < stop:
                by.check()
                checks += 1
        except (OSError, AssertionError):
            lost += 1
        by.close()
    attacker.join(10)
    assert lost == 0 and refused == 0, \
        "%d well-behaved clients disconnected, %d refused (%d publishes " \
        "went through)" % (lost, refused, checks)


def test_pending_connection_cap(broker_factory):
    """max_pending_connections 50 and 200 sockets that never CONNECT: the
    150 past the cap are closed at once, the 50 by connect_timeout, a
    client connected before is served all along, and new clients connect
    once the idle sockets are gone. (While the cap is full a new client's
    socket is pending too, so it is closed: the cap protects the broker
    and its connected clients, not newcomers, for connect_timeout.)"""
    b = broker_factory(conf=["max_pending_connections 50",
                             "connect_timeout 2"])
    by = Bystander(b)
    socks = []
    try:
        t0 = time.time()
        for _ in range(200):
            socks.append(Raw(b.port))
        time.sleep(0.3)
        at_once = sum(1 for s in socks if s.wait_close(0.01)[0])
        assert at_once >= 150, "%d closed at once" % at_once
        by.check()
        for i, s in enumerate(socks):
            closed, got = s.wait_close(max(0.05, t0 + 5.0 - time.time()))
            assert closed, "pending socket %d still open" % i
        survives(b, by)
    finally:
        for s in socks:
            s.close()
        by.close()
