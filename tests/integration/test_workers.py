"""Several worker threads (`workers 4`, a Tern directive): connections are
spread over the workers by the kernel, so traffic between them crosses
workers; everyone must still get everything, in order, and a client id can
move between connections (and workers) at will."""
import socket
import threading
import time

import pytest

import mqttraw
from helpers import (pub_fields, publish_in_parallel,
                     tern_conf, uid)

pytestmark = pytest.mark.tern_only

WORKERS = tern_conf(["workers 4"])


def test_workers_fan_in_fan_out(broker_factory, pahof):
    """8 publishers x 50 QoS 1 messages, 8 subscribers on "mw/#": every
    subscriber gets all 400, each publisher's messages in order."""
    b = broker_factory(WORKERS)
    subs = [pahof(b, uid()) for _ in range(8)]
    for s in subs:
        s.subscribe("mw/#", 1)
    pubs = [pahof(b, uid()) for _ in range(8)]
    n = 50
    publish_in_parallel(pubs, n, lambda i, k: ("mw/%d" % i, b"%d" % k))
    for s in subs:
        got = s.get_n(8 * n, timeout=15)
        per = {}
        for m in got:
            per.setdefault(m.topic, []).append(int(m.payload))
        assert sorted(per) == sorted("mw/%d" % i for i in range(8))
        for t, seq in per.items():
            assert seq == list(range(n)), t


def test_workers_point_to_point_many_connections(broker_factory, rawf):
    """40 subscribers, each on its own topic, and 4 publishers each sending
    to all of them at QoS 0, 1 and 2: every subscriber gets exactly its
    twelve messages."""
    b = broker_factory(WORKERS)
    subs = []
    for i in range(40):
        c = rawf(b)
        c.subscribe([("p2p/%d" % i, 2)])
        subs.append(c)
    pubs = [rawf(b) for _ in range(4)]
    pid = 0
    for j, p in enumerate(pubs):
        for i in range(40):
            for q in (0, 1, 2):
                pid += 1
                p.send(mqttraw.publish("p2p/%d" % i, b"%d/%d" % (j, q), qos=q, pid=pid))
                if q == 1:
                    p.expect("PUBACK")
                elif q == 2:
                    p.expect("PUBREC")
                    p.send(mqttraw.ack("pubrel", pid))
                    p.expect("PUBCOMP")
    for i, c in enumerate(subs):
        got = []
        while len(got) < 12:
            pk = c.recv()
            if pk.name == "PUBREL":
                c.send(mqttraw.ack("pubcomp", pk.pid()))
                continue
            f = pub_fields(pk)
            assert f[0] == "p2p/%d" % i
            got.append(f[2])
            if f[3] == 1:
                c.send(mqttraw.ack("puback", f[1]))
            elif f[3] == 2:
                c.send(mqttraw.ack("pubrec", f[1]))
        assert sorted(got) == sorted(b"%d/%d" % (j, q) for j in range(4) for q in (0, 1, 2))


def test_workers_takeover_20_times(broker_factory, rawf):
    """A client id moves over 20 new connections in a row, wherever each
    lands: each CONNACK says session present, the previous connection is
    closed, the subscription follows, and a QoS 1 message left
    unacknowledged on the old connection is resent (DUP=1) on the new
    one."""
    b = broker_factory(WORKERS)
    cid = uid("m")
    topic = "move/" + uid()
    cur = rawf(b, cid, clean=False)
    cur.subscribe([(topic, 1)])
    pub = rawf(b)
    for i in range(20):
        pub.send(mqttraw.publish(topic, b"%d" % i, qos=1, pid=i + 1))
        pub.expect("PUBACK")
        f = pub_fields(cur.expect("PUBLISH"))
        assert f[2] == b"%d" % i and not f[4]
        nxt = rawf(b, cid, clean=False)        # takeover, PUBACK withheld
        assert nxt.connack.body == b"\x01\x00", i
        assert cur.closed(), i
        g = pub_fields(nxt.expect("PUBLISH"))
        assert (g[2], g[1], g[4]) == (b"%d" % i, f[1], True), i
        nxt.send(mqttraw.ack("puback", g[1]))
        cur = nxt
    cur.send(mqttraw.PINGREQ)
    cur.expect("PINGRESP")


def test_workers_takeover_under_traffic(broker_factory, pahof):
    """A publisher sends 400 numbered QoS 1 messages while the subscriber's
    client id is taken over 20 times by new connections: nothing is lost,
    and in the order messages are first seen, none overtakes another."""
    b = broker_factory(WORKERS)
    cid = uid("m")
    topic = "move/" + uid()
    n = 400
    first = mqttraw.Client(b.port)
    first.connect(cid, clean=False)
    first.subscribe([(topic, 1)])
    pub = pahof(b, uid())
    done = threading.Event()

    def run():
        for k in range(n):
            pub.publish(topic, b"%d" % k, qos=1)
        done.set()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    seen = []
    conn = first
    deadline = time.time() + 30
    takeovers = 0
    while time.time() < deadline:
        try:
            p = conn.recv(timeout=2)
        except (socket.timeout, ConnectionError, OSError):
            p = None
        if p is not None and p.name == "PUBLISH":
            f = pub_fields(p)
            seen.append(int(f[2]))
            conn.send(mqttraw.ack("puback", f[1]))
        if takeovers < 20 and len(seen) >= (takeovers + 1) * n // 22:
            nxt = mqttraw.Client(b.port)
            ack = nxt.connect(cid, clean=False)
            assert ack.body == b"\x01\x00"
            conn.close()
            conn = nxt
            takeovers += 1
        if done.is_set() and seen and set(range(n)) <= set(seen):
            break
    conn.close()
    t.join(5)
    assert takeovers == 20
    assert set(seen) == set(range(n)), sorted(set(range(n)) - set(seen))[:20]
    order = []
    for k in seen:
        if k not in order:
            order.append(k)
    assert order == list(range(n))
