#!/usr/bin/python3
"""Benchmark matrix: ternd against mosquitto and nats-server.

Runs a fixed set of scenarios with `tern bench` as the load generator.
Every run gets a fresh broker process on its own free loopback port with
a minimal configuration (bench/conf/*.conf). For each run the harness
records the broker's CPU seconds (utime + stime from /proc/PID/stat,
before and after the load), its peak RSS (VmHWM) and an RSS sample every
second, together with the bench's JSON report. Runs alternate between
brokers (A B C A B C ...), every scenario is repeated (--repeat, at least
3 for numbers worth quoting), and the summary is a table of medians with
the ratios ternd/mosquitto and ternd/nats.

A run in which ternd loses a QoS 1/2 message, duplicates a QoS 2 message
or delivers out of order is a correctness failure and is shown as FAIL in
the table. Peers are held to nothing; their losses are shown as counts.

  /usr/bin/python3 bench/run.py                      # the full matrix
  /usr/bin/python3 bench/run.py --quick              # smoke test, ~4 min
  /usr/bin/python3 bench/run.py --only pairs_q0,conn --brokers ternd,mosquitto
  /usr/bin/python3 bench/run.py --list               # the scenarios

Exit status: 0 when ternd had no correctness failure, 1 otherwise.
See bench/README.md.
"""
import argparse
import json
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CONF_DIR = os.path.join(HERE, "conf")
TICK = os.sysconf("SC_CLK_TCK")

# Queue caps for runs where QoS 1/2 loss is the question: no queue limit
# and no outbound window, the same directives for ternd and mosquitto, so
# that nothing is dropped by policy and any loss is a real one. (The
# window also steps around Debian's mosquitto 2.0.11, which leaves QoS 2
# messages queued behind a full window undelivered; see BENCH_TOOL.md.)
ROOMY = ["max_queued_messages 0", "max_inflight_messages 0"]
# Everything else runs with each broker's defaults: ternd and mosquitto
# both cap a session's queue at max_queued_messages 1000 and
# max_inflight_messages 20, with no byte cap (max_queued_bytes 0).
DEFAULTS_NOTE = ("max_queued_messages 1000, max_queued_bytes 0 (no byte "
                 "cap), max_inflight_messages 20 (ternd's and mosquitto's "
                 "defaults)")


# ---------------------------------------------------------------- scenarios

def S(name, title, args, qos, metric="recv", conf="default", brokers=None,
      variants=None, drain=None, kind="bench", note="", extra=False):
    return dict(name=name, title=title, args=args, qos=qos, metric=metric,
                conf=conf, brokers=brokers, variants=variants, drain=drain,
                kind=kind, note=note, extra=extra)


SCENARIOS = [
    S("conn", "10k connections at 5,000/s, held",
      ["conn", "-c", "10000", "--connect-rate", "5000"], 0, metric="conn"),
    S("fanin_q0", "fan-in 16 -> 1 (wildcard), QoS 0",
      ["fanin", "-c", "16", "-q", "0"], 0),
    S("fanin_q1", "fan-in 16 -> 1 (wildcard), QoS 1",
      ["fanin", "-c", "16", "-q", "1"], 1, conf="roomy"),
    S("fanout32_q0", "fan-out 1 -> 32, QoS 0",
      ["fanout", "-c", "32", "-q", "0"], 0),
    S("fanout1000_q0", "fan-out 1 -> 1,000, QoS 0",
      ["fanout", "-c", "1000", "-q", "0"], 0),
    S("pairs_q0", "100 pairs, QoS 0",
      ["pairs", "-c", "100", "-q", "0"], 0),
    S("pairs_q1", "100 pairs, QoS 1",
      ["pairs", "-c", "100", "-q", "1"], 1, conf="roomy"),
    S("pairs_q2", "100 pairs, QoS 2",
      ["pairs", "-c", "100", "-q", "2"], 2, conf="roomy",
      brokers=["ternd", "mosquitto"], note="nats-server has no QoS 2"),
    S("latency_q1", "100 pairs, QoS 1, 10,000 msg/s in total",
      ["pairs", "-c", "100", "-q", "1", "--rate", "100"], 1,
      metric="latency", conf="roomy"),
    S("pairs_1k", "100 pairs, QoS 0, 1 KiB payload",
      ["pairs", "-c", "100", "-q", "0", "-m", "1024"], 0, metric="bytes"),
    S("pairs_64k", "10 pairs, QoS 0, 64 KiB payload",
      ["pairs", "-c", "10", "-q", "0", "-m", "65536"], 0, metric="bytes"),
    S("scaling", "ternd 1 vs 2 workers, 100 pairs, QoS 0",
      ["pairs", "-c", "100", "-q", "0"], 0,
      variants=[("ternd-1w", "ternd", {"workers": 1}),
                ("ternd-2w", "ternd", {"workers": 2})]),
    S("slow", "20 pairs QoS 0 with / without a stuck subscriber "
      "(bench/+ at QoS 0 and at QoS 1, never reads)",
      ["pairs", "-c", "20", "-q", "0"], 0, kind="slow"),
    # Not in the default matrix: QoS 1 with the default queue caps, where
    # a broker that acknowledges faster than it delivers has to drop (or
    # slow its publishers down).
    S("pairs_q1_caps", "100 pairs, QoS 1, default queue caps",
      ["pairs", "-c", "100", "-q", "1"], 1, extra=True),
    S("fanin_q1_caps", "fan-in 16 -> 1, QoS 1, default queue caps",
      ["fanin", "-c", "16", "-q", "1"], 1, extra=True),
    # Not in the default matrix (--only latency_workers): is the
    # cross-worker hand-off what the latency tail is made of?
    S("latency_workers", "latency_q1 with ternd at 1 and 2 workers, and "
      "mosquitto", ["pairs", "-c", "100", "-q", "1", "--rate", "100"], 1,
      metric="latency", conf="roomy", extra=True,
      variants=[("ternd-1w", "ternd", {"workers": 1}),
                ("ternd-2w", "ternd", {"workers": 2}),
                ("mosquitto", "mosquitto", {})]),
]
BY_NAME = {s["name"]: s for s in SCENARIOS}


# ------------------------------------------------------------------ helpers

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=15.0):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def proc_cpu(pid):
    """utime + stime of the whole process, seconds."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            rest = f.read().rsplit(")", 1)[1].split()
        # rest[0] is field 3 (state); utime is field 14, stime field 15
        return (int(rest[11]) + int(rest[12])) / TICK
    except (OSError, IndexError, ValueError):
        return None


def proc_status(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


class Sampler(threading.Thread):
    """VmRSS of a process every `every` seconds."""

    def __init__(self, pid, every=1.0):
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.samples = []
        self.stop_ev = threading.Event()
        self.t0 = time.time()

    def run(self):
        while not self.stop_ev.is_set():
            rss = proc_status(self.pid, "VmRSS")
            if rss is not None:
                self.samples.append((round(time.time() - self.t0, 2), rss))
            self.stop_ev.wait(self.every)

    def stop(self):
        self.stop_ev.set()
        self.join(2)
        return self.samples


# ------------------------------------------------------------------ brokers

class Broker:
    def __init__(self, kind, opts, tmp, pin, workers=None, conf="default"):
        self.kind, self.tmp = kind, tmp
        self.port = free_port()
        lines = []
        if kind == "ternd":
            template = "ternd.conf"
            exe = [opts.ternd, "-c"]
            if workers:
                lines.append("workers %d" % workers)
            if conf == "roomy":
                lines += ROOMY
        elif kind == "mosquitto":
            template = "mosquitto.conf"
            exe = [opts.mosquitto, "-c"]
            if conf == "roomy":
                lines += ROOMY
        elif kind == "nats":
            template = "nats.conf"
            exe = [opts.nats, "-c"]
        else:
            raise ValueError(kind)
        self.store = tempfile.mkdtemp(prefix="js-", dir=tmp)
        with open(os.path.join(CONF_DIR, template)) as f:
            text = f.read()
        text = (text.replace("@PORT@", str(self.port))
                .replace("@STORE@", self.store)
                .replace("@EXTRA@", "\n".join(lines)))
        self.conf = os.path.join(tmp, "%s-%d.conf" % (kind, self.port))
        with open(self.conf, "w") as f:
            f.write(text)
        cmd = exe + [self.conf]
        if pin:
            cmd = ["taskset", "-c", "0"] + cmd
        self.log_path = os.path.join(tmp, "%s-%d.log" % (kind, self.port))
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=self.log,
                                     stderr=subprocess.STDOUT, cwd=tmp)
        self.pid = self.proc.pid
        if not wait_port(self.port, self.proc):
            self.stop()
            raise RuntimeError("%s did not start:\n%s" % (kind, self.tail()))
        time.sleep(0.2)

    def tail(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-2000:].decode("utf-8", "replace")
        except OSError:
            return ""

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.store, ignore_errors=True)


# ------------------------------------------------------ the stuck subscriber

def _varint(n):
    out = bytearray()
    while True:
        b, n = n % 128, n // 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _str(s):
    s = s.encode()
    return struct.pack("!H", len(s)) + s


def _packet(first, body):
    return bytes([first]) + _varint(len(body)) + body


def _recv_packet(s):
    first = s.recv(1)
    if not first:
        raise OSError("closed")
    mult, n = 1, 0
    while True:
        b = s.recv(1)[0]
        n += (b & 0x7F) * mult
        mult *= 128
        if not b & 0x80:
            break
    body = b""
    while len(body) < n:
        chunk = s.recv(n - len(body))
        if not chunk:
            raise OSError("closed")
        body += chunk
    return first[0], body


class Stuck:
    """A raw MQTT 3.1.1 client that subscribes and then never reads."""

    def __init__(self, port, client_id, topic, qos):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        # keep-alive 0: the broker must not time it out for its silence
        body = _str("MQTT") + bytes([4, 0x02]) + struct.pack("!H", 0) + \
            _str(client_id)
        self.sock.sendall(_packet(0x10, body))
        t, b = _recv_packet(self.sock)
        if t != 0x20 or b[1] != 0:
            raise RuntimeError("stuck subscriber refused: %r" % b)
        self.sock.sendall(_packet(0x82, struct.pack("!H", 1) + _str(topic) +
                                  bytes([qos])))
        t, b = _recv_packet(self.sock)
        if t != 0x90 or b[2] == 0x80:
            raise RuntimeError("stuck subscribe refused: %r" % b)

    def finish(self, timeout=3.0):
        """Read what is buffered; say whether the broker had closed us."""
        self.sock.settimeout(0.2)
        end, total, closed = time.time() + timeout, 0, False
        while time.time() < end:
            try:
                chunk = self.sock.recv(1 << 20)
            except socket.timeout:
                break
            except OSError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            total += len(chunk)
        self.sock.close()
        return {"buffered_bytes_read": total, "closed_by_broker": closed}


# -------------------------------------------------------------------- a run

def bench_cmd(opts, scen, port):
    args = list(scen["args"])
    cmd = [opts.tern, "bench"] + args + [
        "-h", "127.0.0.1", "-p", str(port), "--json",
        "-d", str(opts.duration)]
    if scen["metric"] != "conn":
        cmd += ["--warmup", str(opts.warmup)]
        if "--connect-rate" not in args:
            cmd += ["--connect-rate", "5000"]
        drain = scen["drain"] or (opts.drain_qos1 if scen["qos"] else 3)
        cmd += ["--drain", str(drain)]
    if opts.pin:
        cmd = ["taskset", "-c", "1"] + cmd + ["--threads", "1"]
    return cmd


def run_one(opts, scen, label, kind, extra, tmp):
    conf = scen["conf"]
    workers = extra.get("workers") if extra else None
    if kind == "ternd" and workers is None and opts.workers:
        workers = opts.workers
    rec = {"scenario": scen["name"], "broker": label, "kind": kind,
           "conf": conf, "workers": workers, "extra": extra or {},
           "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
           "loadavg": os.getloadavg()}
    try:
        b = Broker(kind, opts, tmp, opts.pin, workers=workers, conf=conf)
    except RuntimeError as e:
        rec["error"] = str(e)
        return rec
    stuck = []
    try:
        time.sleep(0.3)
        rec["rss_idle_kib"] = proc_status(b.pid, "VmRSS")
        if extra and extra.get("stuck"):
            stuck = [Stuck(b.port, "stuck-q0", "bench/+", 0),
                     Stuck(b.port, "stuck-q1", "bench/+", 1)]
            time.sleep(0.2)
        cmd = bench_cmd(opts, scen, b.port)
        rec["command"] = " ".join(cmd)
        sampler = Sampler(b.pid, 0.25 if scen["metric"] == "conn" else 1.0)
        cpu0 = proc_cpu(b.pid)
        t0 = time.time()
        sampler.start()
        limit = opts.duration + opts.warmup + 60 + (
            opts.drain_qos1 if scen["qos"] else 5)
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=limit)
            rec["exit_code"] = p.returncode
            out = p.stdout.decode("utf-8", "replace")
            try:
                rec["bench"] = json.loads(out)
            except ValueError:
                rec["error"] = "no JSON from tern bench: %s %s" % (
                    out[-500:], p.stderr.decode("utf-8", "replace")[-500:])
        except subprocess.TimeoutExpired:
            rec["error"] = "tern bench did not finish in %d s" % limit
        rec["wall_s"] = round(time.time() - t0, 3)
        cpu1 = proc_cpu(b.pid)
        samples = sampler.stop()
        rec["rss_samples_kib"] = samples
        rec["broker_cpu_s"] = (round(cpu1 - cpu0, 3)
                               if cpu0 is not None and cpu1 is not None
                               else None)
        rec["rss_peak_kib"] = proc_status(b.pid, "VmHWM")
        rec["rss_max_sampled_kib"] = max([s[1] for s in samples] or [0])
        rec["broker_alive"] = b.alive()
        if not b.alive():
            rec["error"] = (rec.get("error", "") + " broker exited: " +
                            b.tail()).strip()
        for s in stuck:
            rec.setdefault("stuck", []).append(s.finish())
    finally:
        b.stop()
    return rec


# ---------------------------------------------------------------- analysis

def derive(rec, scen):
    """The figures of one run, or None for a failed one."""
    j = rec.get("bench")
    if not j:
        return None
    d = {}
    # Deliveries per second over the whole load: every delivery (warm-up
    # and drain included) over warm-up + measured window + drain. The
    # bench's own received_per_s counts only messages stamped inside the
    # measured window; a broker that is seconds behind its publishers (the
    # backlog sits in the publishers' socket buffers) then shows next to
    # nothing although it delivers all the time, so it is kept as a second
    # figure (recv_window_s) only.
    recv_total = j.get("received_total") or 0
    load_s = ((j.get("warmup_s") or 0) + (j.get("measured_s") or 0) +
              (j.get("drain_s") or 0))
    d["recv_s"] = recv_total / load_s if load_s else None
    d["recv_window_s"] = j.get("received_per_s")
    d["sent_s"] = j.get("sent_per_s")
    d["bytes_s"] = (d["recv_s"] or 0) * j.get("size", 0)
    cpu = rec.get("broker_cpu_s")
    d["cpu_us_per_msg"] = (cpu / recv_total * 1e6
                           if cpu is not None and recv_total else None)
    d["broker_cpu_pct"] = (cpu / rec["wall_s"] * 100
                           if cpu is not None and rec.get("wall_s") else None)
    lat = j.get("latency_us") or {}
    d["p50"], d["p99"], d["p999"] = lat.get("p50"), lat.get("p99"), lat.get(
        "p999")
    d["rss_peak_mib"] = (rec.get("rss_peak_kib") or 0) / 1024
    c = j.get("connections") or {}
    d["connected"] = c.get("ready")
    d["failed"] = (c.get("failed") or 0) + (c.get("lost") or 0)
    cu = c.get("connect_us") or {}
    d["conn_p50"], d["conn_p99"] = cu.get("p50"), cu.get("p99")
    if scen["metric"] == "conn":
        idle = rec.get("rss_idle_kib") or 0
        held = rec.get("rss_max_sampled_kib") or 0
        n = c.get("ready") or 0
        d["bytes_per_conn"] = ((held - idle) * 1024 / n) if n else None
    qos = j.get("qos", 0)
    lost = j.get("lost") or 0
    dups = j.get("duplicates") or 0
    ooo = j.get("out_of_order") or 0
    d["lost"], d["dups"], d["ooo"] = lost, dups, ooo
    # At QoS 0 the in-window loss means little when the broker lags (see
    # above); the share of everything published that never arrived does.
    sent, sent_total = j.get("sent") or 0, j.get("sent_total") or 0
    fan = (j["expected"] / sent) if j.get("expected") and sent else 0
    d["loss_frac"] = (max(0.0, 1 - recv_total / (sent_total * fan))
                      if fan and sent_total else 0)
    bad = []
    if qos >= 1 and lost:
        bad.append("lost %d" % lost)
    if qos == 2 and dups:
        bad.append("dup %d" % dups)
    if ooo:
        bad.append("disorder %d" % ooo)
    if rec.get("error"):
        bad.append("error")
    d["bad"] = bad
    cpu_j = j.get("cpu") or {}
    d["bench_saturated"] = bool(cpu_j.get("saturated"))
    d["bench_cpu_pct"] = cpu_j.get("percent_of_core")
    if rec.get("stuck"):
        d["stuck"] = rec["stuck"]
    return d


def summarise(results, scen_names):
    """{scenario: {label: {figure: median, 'bad': [...], 'n': runs}}}."""
    out = {}
    for name in scen_names:
        scen = BY_NAME[name]
        by = {}
        for rec in results:
            if rec["scenario"] != name:
                continue
            by.setdefault(rec["broker"], []).append(derive(rec, scen))
        summ = {}
        for label, ds in by.items():
            good = [d for d in ds if d]
            m = {"n": len(ds), "errors": len(ds) - len(good)}
            for k in ("recv_s", "recv_window_s", "sent_s", "bytes_s", "cpu_us_per_msg",
                      "broker_cpu_pct", "p50", "p99", "p999", "rss_peak_mib",
                      "conn_p50", "conn_p99", "bytes_per_conn",
                      "bench_cpu_pct", "loss_frac"):
                m[k] = median([d.get(k) for d in good])
            m["bad"] = sorted({b for d in good for b in d["bad"]})
            m["bad_runs"] = sum(1 for d in good if d["bad"])
            m["lost_total"] = sum(d["lost"] for d in good)
            m["failed_conns"] = sum(d["failed"] for d in good)
            m["saturated_runs"] = sum(1 for d in good if d["bench_saturated"])
            summ[label] = m
        out[name] = summ
    return out


def fmt(v, kind="n"):
    if v is None:
        return "-"
    if kind == "rate":
        return "%.0f" % v if v < 1e4 else "%.1fk" % (v / 1e3) if v < 1e6 \
            else "%.2fM" % (v / 1e6)
    if kind == "us":
        return "%.0f" % v if v >= 100 else "%.1f" % v
    if kind == "cpu":
        return "%.2f" % v
    if kind == "mib":
        return "%.1f" % v
    if kind == "ratio":
        return "%.2fx" % v
    return str(v)


def ratio(a, b, lower_is_better=False):
    if a is None or b is None or not a or not b:
        return None
    return (b / a) if lower_is_better else (a / b)


def primary(scen, m):
    """(value, lower_is_better, kind) of a scenario's headline figure."""
    if scen["metric"] == "conn":
        return m.get("bytes_per_conn"), True, "n"
    if scen["metric"] == "latency":
        return m.get("p99"), True, "us"
    if scen["metric"] == "bytes":
        return m.get("bytes_s"), False, "bytes"
    return m.get("recv_s"), False, "rate"


def table(summary, brokers):
    lines = []
    hdr = ("| scenario | broker | runs | delivered/s | broker CPU us/msg | "
           "broker CPU % | peak RSS MiB | latency p50/p99/p99.9 us | "
           "correctness | bench CPU % |")
    lines.append(hdr)
    lines.append("|" + "---|" * 10)
    for name, summ in summary.items():
        scen = BY_NAME[name]
        for label in sorted(summ, key=lambda x: (not x.startswith("ternd"),
                                                  x)):
            m = summ[label]
            if scen["metric"] == "conn":
                rate = "%s B/conn; connect p50/p99 %s/%s us; failed %d" % (
                    fmt(m["bytes_per_conn"] and round(m["bytes_per_conn"])),
                    fmt(m["conn_p50"]), fmt(m["conn_p99"]),
                    m["failed_conns"])
            elif scen["metric"] == "bytes":
                rate = "%s (%.0f MB/s)" % (fmt(m["recv_s"], "rate"),
                                           (m["bytes_s"] or 0) / 1e6)
            else:
                rate = fmt(m["recv_s"], "rate")
            if m["bad_runs"]:
                tag = "FAIL" if label.startswith("ternd") else "loss"
                corr = "%s in %d/%d runs: %s" % (tag, m["bad_runs"], m["n"],
                                                 ", ".join(m["bad"])[:60])
            elif scen["qos"] == 0 and m.get("loss_frac"):
                corr = "ok (QoS 0: %.0f%% undelivered)" % (
                    100 * m["loss_frac"])
            else:
                corr = "ok"
            if m["errors"]:
                corr += "; %d run(s) without a report" % m["errors"]
            sat = fmt(m["bench_cpu_pct"] and round(m["bench_cpu_pct"]))
            if m["saturated_runs"]:
                sat += " (saturated %d/%d)" % (m["saturated_runs"], m["n"])
            lat = ("-" if scen["metric"] == "conn" or not m["p50"] else
                   "%s/%s/%s" % (fmt(m["p50"]), fmt(m["p99"]),
                                 fmt(m["p999"])))
            lines.append("| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s |"
                         % (name, label, m["n"], rate,
                            fmt(m["cpu_us_per_msg"], "cpu"),
                            fmt(m["broker_cpu_pct"] and
                                round(m["broker_cpu_pct"])),
                            fmt(m["rss_peak_mib"], "mib"), lat, corr, sat))
    return "\n".join(lines)


def ratio_table(summary):
    lines = ["| scenario | figure | ternd | mosquitto | nats | "
             "ternd/mosquitto | ternd/nats |", "|" + "---|" * 7]
    for name, summ in summary.items():
        scen = BY_NAME[name]
        t = summ.get("ternd")
        if not t:
            continue
        rows = [("headline",) + primary(scen, t)[1:]]
        if scen["qos"] == 0 and scen["metric"] in ("recv", "bytes"):
            rows.append(("cpu_us_per_msg", True, "cpu"))
        for fig, lower, kind in rows:
            if fig == "headline":
                label = {"conn": "bytes/conn", "latency": "p99 us",
                         "bytes": "MB/s"}.get(scen["metric"], "delivered/s")

                def get(m):
                    v = primary(scen, m)[0]
                    return v / 1e6 if scen["metric"] == "bytes" and v else v
            else:
                label = "broker CPU us/msg"

                def get(m, fig=fig):
                    return m.get(fig)
            tv = get(t)
            mv = get(summ["mosquitto"]) if "mosquitto" in summ else None
            nv = get(summ["nats"]) if "nats" in summ else None
            k = "rate" if kind == "rate" else "cpu" if kind in (
                "cpu", "bytes") else "n"
            show = (lambda v: fmt(round(v) if k == "n" and v else v, k))
            lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (
                name, label, show(tv), show(mv), show(nv),
                fmt(ratio(tv, mv, lower), "ratio"),
                fmt(ratio(tv, nv, lower), "ratio")))
    lines.append("")
    lines.append("Ratios are oriented so that above 1x means ternd is "
                 "better (for bytes/conn, latency and CPU/msg: the peer's "
                 "figure over ternd's).")
    return "\n".join(lines)


# --------------------------------------------------------------------- main

def find_exe(cands):
    for c in cands:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", help="scenarios, comma-separated")
    ap.add_argument("--brokers", default="ternd,mosquitto,nats")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--warmup", type=float, default=1)
    ap.add_argument("--drain-qos1", type=float, default=15,
                    help="tern bench --drain for QoS 1/2 runs (15)")
    ap.add_argument("--pin", action="store_true",
                    help="broker on core 0, tern bench on core 1 "
                    "(--threads 1)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke test: --duration 2 --warmup 0 --repeat 1")
    ap.add_argument("--workers", type=int, default=0,
                    help="ternd workers (0: its default, one per core)")
    ap.add_argument("--build", default=os.environ.get("TERN_BUILD"),
                    help="build directory holding ternd and tern")
    ap.add_argument("--ternd")
    ap.add_argument("--tern")
    ap.add_argument("--mosquitto", default="/usr/sbin/mosquitto")
    ap.add_argument("--nats", default=shutil.which("nats-server") or
                    "/usr/sbin/nats-server")
    ap.add_argument("--out", help="raw results (JSON); default "
                    "bench/results/run-TIMESTAMP.json")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--summarise", metavar="FILE",
                    help="print the tables of an earlier run's raw results")
    opts = ap.parse_args()

    if opts.summarise:
        with open(opts.summarise) as f:
            data = json.load(f)
        runs = data["runs"]
        names = [s["name"] for s in SCENARIOS
                 if any(r["scenario"] == s["name"] for r in runs)]
        if opts.only:
            names = [n for n in names if n in opts.only.split(",")]
        return report(runs, names, opts.brokers.split(","), data["meta"])

    if opts.list:
        for s in SCENARIOS:
            print("%-16s %s%s" % (s["name"], s["title"],
                                  " (only with --only)" if s["extra"]
                                  else ""))
        return 0
    if opts.quick:
        opts.duration, opts.warmup, opts.repeat = 2, 0, 1
        opts.drain_qos1 = 5
    builds = [opts.build] if opts.build else [
        os.path.join(ROOT, "build"), "/tmp/build-perf"]
    opts.ternd = opts.ternd or find_exe([os.path.join(b, "ternd")
                                         for b in builds])
    opts.tern = opts.tern or find_exe([os.path.join(b, "tern")
                                       for b in builds])
    if not opts.ternd or not opts.tern:
        sys.exit("ternd/tern not found: give --build DIR")
    brokers = opts.brokers.split(",")
    for b in brokers:
        if b not in ("ternd", "mosquitto", "nats"):
            sys.exit("unknown broker %r" % b)
    names = opts.only.split(",") if opts.only else [
        s["name"] for s in SCENARIOS if not s["extra"]]
    for n in names:
        if n not in BY_NAME:
            sys.exit("unknown scenario %r (see --list)" % n)

    # 10k connections: the bench and the broker each hold one fd per
    # connection, so raise the soft limit to the hard one (inherited).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))

    out = opts.out or os.path.join(
        HERE, "results", time.strftime("run-%Y%m%d-%H%M%S.json"))
    os.makedirs(os.path.dirname(out), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="tern-benchrun-")
    meta = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "argv": sys.argv, "duration": opts.duration, "warmup": opts.warmup,
        "repeat": opts.repeat, "pin": opts.pin, "kernel": platform.release(),
        "cpus": os.cpu_count(), "ternd": opts.ternd, "tern": opts.tern,
        "nofile": want, "defaults": DEFAULTS_NOTE, "roomy": ROOMY,
        "loadavg_start": os.getloadavg(),
    }
    try:
        meta["git"] = subprocess.run(
            ["git", "-C", ROOT, "log", "-1", "--format=%h %s"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            timeout=10).stdout.decode().strip()
    except (OSError, subprocess.SubprocessError):
        pass
    results = []

    def save():
        meta["loadavg_end"] = os.getloadavg()
        with open(out, "w") as f:
            json.dump({"meta": meta, "runs": results}, f, indent=1)

    def on_term(signum, frame):
        raise KeyboardInterrupt
    # A job started in the background ignores SIGINT: SIGTERM stops the
    # matrix cleanly too (the broker of the current run is stopped).
    signal.signal(signal.SIGTERM, on_term)

    t_start = time.time()
    try:
        for name in names:
            scen = BY_NAME[name]
            if scen["variants"]:
                variants = [v for v in scen["variants"] if v[1] in brokers]
            else:
                allowed = scen["brokers"] or brokers
                bs = [b for b in brokers if b in allowed]
                if scen["kind"] == "slow":
                    variants = [(b, b, {}) for b in bs] + [
                        (b + "+stuck", b, {"stuck": True}) for b in bs]
                else:
                    variants = [(b, b, {}) for b in bs]
            if scen["note"]:
                print("# %s: %s" % (name, scen["note"]), file=sys.stderr)
            for rep in range(opts.repeat):
                for label, kind, extra in variants:
                    rec = run_one(opts, scen, label, kind, extra, tmp)
                    rec["repeat"] = rep
                    results.append(rec)
                    d = derive(rec, scen)
                    if d:
                        msg = "recv/s %s  cpu %s us/msg  rss %.1f MiB%s" % (
                            fmt(d["recv_s"], "rate"),
                            fmt(d["cpu_us_per_msg"], "cpu"),
                            d["rss_peak_mib"],
                            "  " + ",".join(d["bad"]) if d["bad"] else "")
                        if scen["metric"] == "conn":
                            msg = "%s B/conn, %d ready, connect p99 %s us" % (
                                fmt(d["bytes_per_conn"] and
                                    round(d["bytes_per_conn"])),
                                d["connected"] or 0, d["conn_p99"])
                        elif scen["metric"] == "latency":
                            msg += "  p50/p99/p99.9 %s/%s/%s us" % (
                                d["p50"], d["p99"], d["p999"])
                    else:
                        msg = "ERROR " + rec.get("error", "?")[:300]
                    print("[%5.0fs] %-14s %-16s #%d  %s" % (
                        time.time() - t_start, name, label, rep + 1, msg),
                        file=sys.stderr, flush=True)
                    save()
    except KeyboardInterrupt:
        print("interrupted; summarising what ran", file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    meta["elapsed_s"] = round(time.time() - t_start, 1)
    return report(results, names, brokers, meta, save, out)


def report(results, names, brokers, meta, save=None, out=None):
    """Print the tables of a set of runs; 1 if ternd failed a check."""
    summary = summarise(results, [n for n in names
                                  if any(r["scenario"] == n
                                         for r in results)])
    meta["summary"] = summary
    if save:
        save()
    print("delivered/s: every delivery over warm-up + window + drain "
          "(see derive()); medians of %s run(s) each" %
          meta.get("repeat", "?"))
    print()
    print(table(summary, brokers))
    print()
    print(ratio_table(summary))
    slow = summary.get("slow")
    if slow:
        print()
        print("slow consumer: pairs delivered/s without -> with the stuck "
              "subscribers; RSS every second with them:")
        for b in brokers:
            if b in slow and b + "+stuck" in slow:
                a, s = slow[b]["recv_s"], slow[b + "+stuck"]["recv_s"]
                print("  %-10s %s -> %s (%s)" % (
                    b, fmt(a, "rate"), fmt(s, "rate"),
                    fmt(ratio(s, a), "ratio")))
        for rec in results:
            if rec["scenario"] == "slow" and rec["broker"].endswith("+stuck"):
                print("  %s #%d RSS MiB: %s; stuck sockets: %s" % (
                    rec["broker"], rec["repeat"] + 1, " ".join(
                        "%.1f" % (kib / 1024)
                        for _, kib in rec.get("rss_samples_kib", [])),
                    ", ".join("%s, %d bytes were waiting" % (
                        "closed by the broker" if s["closed_by_broker"]
                        else "still open", s["buffered_bytes_read"])
                        for s in rec.get("stuck", []))))
    print()
    if out:
        print("raw results: %s (%.0f s)" % (out, meta.get("elapsed_s", 0)))
    failed = any(m["bad_runs"] for n, s in summary.items()
                 for lbl, m in s.items() if lbl.startswith("ternd"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
