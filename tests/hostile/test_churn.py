"""Many clients connecting and disconnecting at once, with random
garbage interleaved: valid sessions, take-overs of a few shared client
ids (across workers), wills, resets, half packets and random bytes. The
broker must stay up, keep serving a client connected before, accept new
clients after, and come back to its memory baseline.

Class: fuzzer-found crashes in other brokers come mostly from sequences
(mosquitto CVE-2024-8376: crafted sequences of CONNECT, DISCONNECT,
SUBSCRIBE, UNSUBSCRIBE and PUBLISH gave leaks, crashes and use after
free); this test drives such sequences concurrently.

The garbage is seeded: HOSTILE_SEED=<n> replays a run.
"""
import os
import random
import socket
import struct
import threading
import time

import pytest

import mqttraw
from hostile_lib import Bystander, HeapWatch, Raw, survives, uid

pytestmark = pytest.mark.tern_only

SEED = int(os.environ.get("HOSTILE_SEED", "20260101"))
CYCLES = int(os.environ.get("HOSTILE_CYCLES", "200"))
THREADS = 20
SHARED_IDS = ["churn-shared-%d" % i for i in range(5)]


def garbage(rng):
    kind = rng.randrange(6)
    if kind == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
    if kind == 1:       # a plausible fixed header, random body
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40)))
        return bytes([rng.randrange(256)]) + mqttraw.varint(len(body)) + body
    if kind == 2:       # a valid packet with one byte flipped
        p = bytearray(mqttraw.subscribe(rng.randrange(1, 9), [("c/#", 1)]))
        i = rng.randrange(len(p))
        p[i] ^= 1 << rng.randrange(8)
        return bytes(p)
    if kind == 3:       # a length that lies
        return b"\x30" + mqttraw.varint(rng.randrange(0, 300)) + b"\x00\x01a"
    if kind == 4:
        return b"\xff" * rng.randrange(1, 6)
    return mqttraw.publish("c/\x00", b"nul")


def one_cycle(port, rng, errors):
    c = None
    try:
        c = Raw(port, timeout=5.0)
        action = rng.randrange(8)
        shared = rng.random() < 0.4
        cid = rng.choice(SHARED_IDS) if shared else uid("c")
        # Only the shared ids keep sessions (cleared at the end).
        clean = not shared or rng.random() < 0.5
        if action == 0:                 # garbage first
            c.send_quiet(garbage(rng))
        elif action == 1:               # half a CONNECT, then close
            c.send_quiet(mqttraw.connect(cid)[:rng.randrange(1, 12)])
        else:
            c.send_quiet(mqttraw.connect(
                cid, clean=clean,
                will=("c/will", b"w", rng.randrange(3), False)
                if rng.random() < 0.5 else None))
            ops = [mqttraw.subscribe(rng.randrange(1, 100),
                                     [("c/%d/#" % rng.randrange(5),
                                       rng.randrange(3))]),
                   mqttraw.publish("c/%d/x" % rng.randrange(5), b"m",
                                   qos=rng.randrange(3),
                                   pid=rng.randrange(1, 100)),
                   mqttraw.unsubscribe(rng.randrange(1, 100), ["c/1/#"]),
                   mqttraw.PINGREQ]
            for _ in range(rng.randrange(0, 4)):
                c.send_quiet(rng.choice(ops))
            if action == 2:
                c.send_quiet(garbage(rng))
            elif action == 3:
                c.send_quiet(mqttraw.DISCONNECT)
            elif action == 4:
                c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                  struct.pack("ii", 1, 0))
            elif action == 5:
                c.sock.shutdown(socket.SHUT_WR)
            elif action == 6:
                c.send_quiet(garbage(rng) + mqttraw.connect(cid))
        if rng.random() < 0.5:
            c.wait_close(rng.random() * 0.2)
    except OSError:
        pass            # a reset from a broker that closed us is fine
    except Exception as e:     # pragma: no cover - reported below
        errors.append(repr(e))
    finally:
        if c is not None:
            c.close()


def test_concurrent_connect_disconnect_with_garbage(broker_factory):
    b = broker_factory(conf=["sys_interval 1", "workers 2"])
    heap = HeapWatch(b)
    by = Bystander(b)
    base = min(heap.next(), heap.next())
    errors = []
    master = random.Random(SEED)
    seeds = [master.randrange(1 << 30) for _ in range(CYCLES)]

    def run(k):
        for i in range(k, CYCLES, THREADS):
            one_cycle(b.port, random.Random(seeds[i]), errors)

    threads = [threading.Thread(target=run, args=(k,), daemon=True)
               for k in range(THREADS)]
    t0 = time.time()
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        by.check()
        assert time.time() - t0 < 60, "churn did not finish (seed %d)" % SEED
        time.sleep(0.05)
    for t in threads:
        t.join()
    assert not errors, "seed %d: %r" % (SEED, errors[:5])
    survives(b, by)
    # Clear the persistent sessions the shared ids may have left.
    for cid in SHARED_IDS:
        c = Raw(b.port)
        assert c.connect(cid, clean=True).body[1] == 0
        c.send(mqttraw.DISCONNECT)
        c.close()
    for _ in range(4):
        now = heap.next()
        if now <= base + 64 * 1024:
            break
    assert now <= base + 64 * 1024, \
        "seed %d: heap %d, baseline %d" % (SEED, now, base)
    survives(b, by)
