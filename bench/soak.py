#!/usr/bin/python3
"""Soak test: a mixed, churning load on ternd for a chosen time.

Not part of CI. Starts its own ternd on a free loopback port (or uses
--port of one already running, with --pid to sample its memory), then for
--minutes runs, concurrently:
  - steady pairs: publisher/subscriber pairs at QoS 0, 1 and 2, every
    message numbered, checked for loss (QoS 1/2), duplicates (QoS 2) and
    order;
  - session churn: clients connecting with clean and persistent sessions,
    subscribing to random filters, publishing (some retained), and leaving
    with DISCONNECT or by dropping the socket (wills);
  - hostile churn: sockets sending garbage, half packets, or nothing.
Every --interval seconds it prints the broker's RSS and its own heap count
($SYS/broker/heap/current), connection count and errors. At the end it
stops the load, waits for the broker to settle, and reports whether RSS
and heap came back to within a tolerance of the baseline taken after
warm-up. Exit code 0 when no acknowledged message was lost, no QoS 2
message was duplicated, nothing arrived out of order, and the heap
returned to baseline.

  /usr/bin/python3 bench/soak.py --minutes 30 --ternd build/ternd
"""
import argparse
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time

import paho.mqtt.client as mqtt

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
import mqttraw  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.sent = 0
        self.received = 0
        self.lost = 0
        self.dups = 0
        self.disorder = 0
        self.errors = 0
        self.sessions = 0
        self.hostile = 0

    def add(self, **kw):
        with self.lock:
            for k, v in kw.items():
                setattr(self, k, getattr(self, k) + v)


class Heap:
    """Follows $SYS/broker/heap/current and clients/connected."""

    def __init__(self, port):
        self.value = None
        self.connected = None
        self.c = mqtt.Client("soak-sys-%d" % os.getpid())
        self.c.on_message = self.on_message
        self.c.connect("127.0.0.1", port)
        self.sys = {}
        self.c.subscribe([("$SYS/broker/#", 0)])
        self.c.loop_start()

    def on_message(self, c, u, m):
        self.sys[m.topic[len("$SYS/broker/"):]] = m.payload.decode()
        if m.topic.endswith("heap/current"):
            self.value = int(m.payload)
        elif m.topic.endswith("clients/connected"):
            self.connected = int(m.payload)

    def summary(self):
        keys = ("clients/total", "clients/disconnected",
                "subscriptions/count", "retained messages/count",
                "publish/messages/dropped")
        return ", ".join("%s=%s" % (k, self.sys.get(k)) for k in keys)

    def stop(self):
        self.c.loop_stop()
        self.c.disconnect()


def pair(port, qos, idx, stop, stats):
    """One publisher and one subscriber on their own topic, numbered
    messages, at most 200 per second."""
    topic = "soak/pair/%d/%d" % (idx, qos)
    seen = {}
    lock = threading.Lock()

    def on_message(c, u, m):
        n = int(m.payload)
        with lock:
            if n in seen:
                if qos == 2:
                    stats.add(dups=1)
                return
            if seen and n < max(seen):
                stats.add(disorder=1)
            seen[n] = True
        stats.add(received=1)

    sub = mqtt.Client("soak-psub-%d-%d" % (idx, qos))
    sub.on_message = on_message
    sub.connect("127.0.0.1", port)
    sub.subscribe(topic, qos)
    sub.loop_start()
    pub = mqtt.Client("soak-ppub-%d-%d" % (idx, qos))
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    time.sleep(0.5)
    n = 0
    infos = []
    while not stop.is_set():
        infos.append(pub.publish(topic, b"%d" % n, qos=qos))
        n += 1
        stats.add(sent=1)
        time.sleep(0.005)
        if len(infos) > 1000:
            infos = infos[-100:]
    for info in infos:
        if qos:
            info.wait_for_publish(timeout=10)
    time.sleep(2)
    with lock:
        if qos:
            stats.add(lost=n - len(seen))
    pub.loop_stop()
    pub.disconnect()
    sub.loop_stop()
    sub.disconnect()


def churn(port, idx, stop, stats):
    """Clients that come and go: sessions, subscriptions, retained
    messages, wills."""
    rnd = random.Random(idx)
    while not stop.is_set():
        cid = "soak-churn-%d-%d" % (idx, rnd.randrange(50))
        clean = rnd.random() < 0.6
        c = mqtt.Client(cid, clean_session=clean)
        if rnd.random() < 0.3:
            c.will_set("soak/will/%s" % cid, b"gone", qos=1)
        try:
            c.connect("127.0.0.1", port, keepalive=10)
            c.loop_start()
            for _ in range(rnd.randrange(1, 20)):
                f = rnd.choice(["soak/+/x", "soak/#", "soak/r/%d" % idx,
                                "soak/churn/%d/+" % rnd.randrange(100)])
                c.subscribe(f, rnd.randrange(3))
            for k in range(rnd.randrange(1, 30)):
                retain = rnd.random() < 0.1
                c.publish("soak/r/%d/%d" % (idx, k),
                          b"x" * rnd.randrange(0, 2000),
                          qos=rnd.randrange(3), retain=retain)
            time.sleep(rnd.random() * 0.5)
            if rnd.random() < 0.5:
                c.disconnect()
            c.loop_stop()
            if rnd.random() >= 0.5:
                c.socket().close()
            stats.add(sessions=1)
        except (OSError, AttributeError):
            stats.add(errors=1)


def hostile(port, idx, stop, stats):
    rnd = random.Random(1000 + idx)
    while not stop.is_set():
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=2)
            kind = rnd.randrange(3)
            if kind == 0:
                s.sendall(bytes(rnd.randrange(256) for _ in range(64)))
            elif kind == 1:
                s.sendall(mqttraw.connect("h%d" % idx)[:7])
            time.sleep(rnd.random() * 0.2)
            s.close()
            stats.add(hostile=1)
        except OSError:
            stats.add(errors=1)
        time.sleep(0.05)


def clear_retained(port, churners):
    """The churners' retained messages are state the broker must keep;
    clear them so the end state is comparable with the baseline."""
    c = mqtt.Client("soak-clear")
    c.connect("127.0.0.1", port)
    c.loop_start()
    infos = [c.publish("soak/r/%d/%d" % (i, k), b"", qos=1, retain=True)
             for i in range(churners) for k in range(30)]
    for info in infos:
        info.wait_for_publish(timeout=10)
    c.loop_stop()
    c.disconnect()


def start_ternd(binary, port, tmp):
    conf = os.path.join(tmp, "soak.conf")
    with open(conf, "w") as f:
        f.write("listener %d 127.0.0.1\nallow_anonymous true\n"
                "sys_interval 1\nmax_queued_messages 1000\n"
                "persistent_client_expiration 60s\n" % port)
    log = open(os.path.join(tmp, "ternd.log"), "wb")
    p = subprocess.Popen([binary, "-c", conf], stdout=log,
                         stderr=subprocess.STDOUT)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return p
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("ternd did not start")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=1.0)
    ap.add_argument("--ternd", default=os.path.join(HERE, "..", "build",
                                                    "ternd"))
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--pid", type=int, default=0)
    ap.add_argument("--interval", type=float, default=30)
    ap.add_argument("--pairs", type=int, default=4)
    ap.add_argument("--churners", type=int, default=4)
    ap.add_argument("--hostile", type=int, default=2)
    ap.add_argument("--tolerance", type=float, default=0.10,
                    help="heap may end this fraction above baseline")
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="tern-soak-")
    proc = None
    port, pid = a.port, a.pid
    if not port:
        port = free_port()
        proc = start_ternd(a.ternd, port, tmp)
        pid = proc.pid
    heap = Heap(port)
    time.sleep(2.5)
    base_heap, base_rss = heap.value, rss_kib(pid) if pid else 0
    print("baseline: heap %s bytes, rss %d KiB" % (base_heap, base_rss))

    stats = Stats()
    stop = threading.Event()
    threads = []
    for i in range(a.pairs):
        for q in (0, 1, 2):
            threads.append(threading.Thread(target=pair, args=(
                port, q, i, stop, stats)))
    threads += [threading.Thread(target=churn, args=(port, i, stop, stats))
                for i in range(a.churners)]
    threads += [threading.Thread(target=hostile, args=(port, i, stop,
                                                       stats))
                for i in range(a.hostile)]
    for t in threads:
        t.daemon = True
        t.start()
    end = time.time() + a.minutes * 60
    peak_rss = 0
    print("time_s rss_kib heap_bytes connected sent received sessions "
          "hostile errors")
    t0 = time.time()
    while time.time() < end:
        time.sleep(min(a.interval, max(0.1, end - time.time())))
        rss = rss_kib(pid) if pid else 0
        peak_rss = max(peak_rss, rss)
        print("%6d %7d %10s %9s %8d %8d %8d %7d %6d" % (
            time.time() - t0, rss, heap.value, heap.connected, stats.sent,
            stats.received, stats.sessions, stats.hostile, stats.errors),
            flush=True)
        if proc is not None and proc.poll() is not None:
            print("broker exited with %s" % proc.returncode)
            return 2
    stop.set()
    for t in threads:
        t.join(30)
    clear_retained(port, a.churners)
    # Persistent sessions expire after a minute; give the broker time.
    time.sleep(70)
    end_heap, end_rss = heap.value, rss_kib(pid) if pid else 0
    print("broker counters: %s" % heap.summary())
    heap.stop()
    print("end: heap %s bytes, rss %d KiB (peak rss %d KiB)" % (
        end_heap, end_rss, peak_rss))
    print("sent %d received %d lost(QoS1/2) %d duplicates(QoS2) %d "
          "out-of-order %d sessions %d hostile %d errors %d" % (
              stats.sent, stats.received, stats.lost, stats.dups,
              stats.disorder, stats.sessions, stats.hostile, stats.errors))
    ok_heap = (base_heap is not None and end_heap is not None and
               end_heap <= base_heap * (1 + a.tolerance) + 65536)
    print("heap back to baseline: %s" % ("yes" if ok_heap else "no"))
    if proc is not None:
        proc.terminate()
        proc.wait(10)
    ok = ok_heap and stats.lost == 0 and stats.dups == 0 and \
        stats.disorder == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
