#!/usr/bin/python3
"""Where ternd's time goes per delivered message.

Starts ternd (a build with frame pointers gives whole call stacks:
-DCMAKE_C_FLAGS="-fno-omit-frame-pointer -g") on a free loopback port and
drives it with `tern bench` three times with the same load:

  1. perf record -e cpu-clock -g on ternd for the middle of the run;
     prints the top functions (self time) and the top call chains;
  2. perf stat -e raw_syscalls:sys_enter plus per-syscall tracepoints on
     ternd for the whole run (cheap, so the load keeps its shape):
     syscalls per delivered message;
  3. strace -c -f on ternd for the whole run (slow: ptrace stops every
     syscall, so the broker batches differently; shown for its time
     column).

  /usr/bin/python3 bench/profile.py --ternd /tmp/build-prof/ternd \\
      --tern /tmp/build-perf/tern --out /tmp/prof -- pairs -c 100 -q 0

Everything after `--` is passed to `tern bench` (with -d, --warmup, -h,
-p and --json added). Files land in --out: perf.data, perf-self.txt,
perf-children.txt, syscalls.txt, strace.txt, bench-*.json.
"""
import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import Stuck  # noqa: E402

SYSCALLS = ["read", "readv", "write", "writev", "sendmsg", "recvfrom",
            "sendto", "epoll_wait", "epoll_pwait", "epoll_ctl", "accept4",
            "futex", "close", "mprotect", "madvise", "mmap", "munmap", "brk"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_ternd(ternd, tmp, workers, extra):
    port = free_port()
    conf = os.path.join(tmp, "ternd-%d.conf" % port)
    lines = ["listener %d 127.0.0.1" % port, "allow_anonymous true",
             "persistence false", "log_dest none"]
    if workers:
        lines.append("workers %d" % workers)
    lines += extra
    with open(conf, "w") as f:
        f.write("\n".join(lines) + "\n")
    p = subprocess.Popen([ternd, "-c", conf], cwd=tmp,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = time.time() + 10
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return p, port
        except OSError:
            time.sleep(0.05)
    p.kill()
    sys.exit("ternd did not start")


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def bench(opts, port, tag):
    if opts.stuck:
        # kept on opts so that they stay connected until the next phase
        opts.held = [Stuck(port, "stuck-q0", "bench/+", 0),
                     Stuck(port, "stuck-q1", "bench/+", 1)]
        time.sleep(0.2)
    cmd = [opts.tern, "bench"] + opts.bench + [
        "-h", "127.0.0.1", "-p", str(port), "--json", "-d",
        str(opts.duration), "--warmup", "1", "--connect-rate", "5000"]
    return subprocess.Popen(cmd, stdout=open(os.path.join(
        opts.out, "bench-%s.json" % tag), "w"), stderr=subprocess.DEVNULL)


def received(opts, tag):
    with open(os.path.join(opts.out, "bench-%s.json" % tag)) as f:
        j = json.load(f)
    return j["received_total"], j


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ternd", required=True)
    ap.add_argument("--tern", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--conf", action="append", default=[],
                    help="an extra ternd config line")
    ap.add_argument("--skip-strace", action="store_true")
    ap.add_argument("--stuck", action="store_true",
                    help="two subscribers to bench/+ (QoS 0 and 1) that "
                    "never read, as in bench/run.py's slow scenario")
    ap.add_argument("bench", nargs="+")
    opts = ap.parse_args()
    os.makedirs(opts.out, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="tern-prof-")
    report = []

    # 1. perf record, the middle of the run
    p, port = start_ternd(opts.ternd, tmp, opts.workers, opts.conf)
    b = bench(opts, port, "perf")
    time.sleep(2.5)
    data = os.path.join(opts.out, "perf.data")
    subprocess.run(["perf", "record", "-e", "cpu-clock", "-F", "1999", "-g",
                    "-o", data, "-p", str(p.pid), "--", "sleep",
                    str(max(2, opts.duration - 3))],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    b.wait()
    stop(p)
    n, j = received(opts, "perf")
    for name, args in (("self", ["--no-children"]), ("children",
                                                      ["--children"])):
        out = subprocess.run(
            ["perf", "report", "-i", data, "--stdio", "--sort", "symbol",
             "-g", "none", "--percent-limit", "0.7"] + args,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.decode()
        with open(os.path.join(opts.out, "perf-%s.txt" % name), "w") as f:
            f.write(out)
    graph = subprocess.run(
        ["perf", "report", "-i", data, "--stdio", "--no-children",
         "--sort", "symbol", "-g", "caller,0.5,callee,function,percent",
         "--percent-limit", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.decode()
    with open(os.path.join(opts.out, "perf-graph.txt"), "w") as f:
        f.write(graph)
    report.append("perf run: %d delivered, %.0f/s" % (
        n, j["received_per_s"]))

    # 2. perf stat syscall tracepoints, the whole run
    p, port = start_ternd(opts.ternd, tmp, opts.workers, opts.conf)
    events = ["raw_syscalls:sys_enter"] + [
        "syscalls:sys_enter_" + s for s in SYSCALLS]
    st = subprocess.Popen(["perf", "stat", "-x", ",", "-e", ",".join(events),
                           "-p", str(p.pid), "-o",
                           os.path.join(opts.out, "perfstat.csv")],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    cpu0 = cpu_s(p.pid)
    b = bench(opts, port, "stat")
    b.wait()
    cpu1 = cpu_s(p.pid)
    st.send_signal(signal.SIGINT)
    st.wait(10)
    stop(p)
    n, j = received(opts, "stat")
    lines = ["syscalls per delivered message (perf stat tracepoints, "
             "%d delivered, %.0f/s, broker CPU %.2f s = %.2f us/msg):" % (
                 n, j["received_per_s"], cpu1 - cpu0,
                 (cpu1 - cpu0) / n * 1e6 if n else 0)]
    with open(os.path.join(opts.out, "perfstat.csv")) as f:
        for line in f:
            parts = line.strip().split(",")
            if len(parts) < 3 or not parts[0].replace(".", "").isdigit():
                continue
            count, ev = float(parts[0]), parts[2]
            if count:
                lines.append("  %-36s %12d  %8.4f" % (
                    ev, count, count / n if n else 0))
    with open(os.path.join(opts.out, "syscalls.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    report += lines

    # 3. strace -c -f, the whole run
    if not opts.skip_strace:
        p, port = start_ternd(opts.ternd, tmp, opts.workers, opts.conf)
        sout = os.path.join(opts.out, "strace.txt")
        tids = os.listdir("/proc/%d/task" % p.pid)
        cmd = ["strace", "-c", "-f", "-o", sout]
        for t in tids:
            cmd += ["-p", t]
        s = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(1)
        b = bench(opts, port, "strace")
        b.wait()
        s.send_signal(signal.SIGINT)
        s.wait(10)
        stop(p)
        n, j = received(opts, "strace")
        report.append("strace -c -f: %d delivered, %.0f/s (under ptrace); "
                      "calls per delivered message:" % (
                          n, j["received_per_s"]))
        with open(sout) as f:
            for line in f:
                m = re.match(r"\s*([\d.]+)\s+([\d.]+)\s+(\d+)\s+(\d+)\s+"
                             r"(?:(\d+)\s+)?(\w+)\s*$", line)
                if m and n:
                    calls, name = int(m.group(4)), m.group(6)
                    report.append("  %-14s %5s%% time %10d calls %8.4f/msg"
                                  % (name, m.group(1), calls, calls / n))
    print("\n".join(report))
    with open(os.path.join(opts.out, "report.txt"), "w") as f:
        f.write("\n".join(report) + "\n")


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
