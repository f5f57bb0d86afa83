"""`tern bench` against a real broker: exact delivery accounting at QoS 2
(checked against an independent paho subscriber), pacing, the JSON
report, held connections, and a non-zero exit when messages are lost or
connections fail."""
import json
import subprocess
import time

import pytest

from conftest import bench, bench_finish, bench_start, free_port

COUNT = 300


def assert_exact(r, sent, received):
    """A clean run: everything sent arrived once."""
    j = r.json
    assert r.rc == 0, r
    assert j["sent"] == sent and j["sent_total"] == sent
    assert j["acked"] == sent and j["unacked"] == 0
    assert j["expected"] == received
    assert j["received"] == received
    assert j["lost"] == 0 and j["duplicates"] == 0
    assert j["connections"]["failed"] == 0
    assert j["connections"]["lost"] == 0
    assert j["latency_us"]["count"] == received
    assert j["exit_code"] == 0


def refused_v5(r):
    """The broker refuses MQTT 5 (0x84): every connection failed."""
    j = r.json
    return (j is not None and j["connections"]["connected"] == 0 and
            "0x84" in (j["first_error"] or ""))


def test_help_and_bad_usage(tern):
    p = subprocess.run([tern, "bench", "--help"], capture_output=True)
    assert p.returncode == 0 and b"Usage: tern bench SCENARIO" in p.stdout
    for args, msg in [([], b"Which scenario"),
                      (["frob"], b"Unknown scenario 'frob'"),
                      (["pairs", "--bogus"], b"Unknown option '--bogus'"),
                      (["pairs", "-m", "8"], b"Invalid value '8' for --size"),
                      (["pairs", "-q", "3"], b"Invalid value '3' for --qos"),
                      (["pairs", "-V", "4"], b"Invalid protocol version"),
                      (["pairs", "-t", "a/#"], b"Invalid topic 'a/#'"),
                      (["conn", "--count", "5"], b"--count needs")]:
        p = subprocess.run([tern, "bench"] + args, capture_output=True)
        assert p.returncode == 1, args
        assert msg in p.stderr, (args, p.stderr)


@pytest.mark.parametrize("ver", ["3.1", "3.1.1", "5"])
def test_qos2_pairs_exact(broker, tern, watcher, ver):
    pairs = 8
    w = watcher(broker.port, "bt/pairs/+")
    r = bench(tern, broker, "pairs", "-c", pairs, "-q", 2, "-V", ver,
              "--count", COUNT, "-t", "bt/pairs/%i", "--json")
    if ver == "5" and refused_v5(r):
        assert r.rc == 3, r
        pytest.skip("the broker refuses MQTT 5")
    sent = pairs * COUNT
    assert_exact(r, sent, sent)
    assert r.json["out_of_order"] == 0
    # The independent subscriber saw each message once, on its own topic.
    assert w.settle(sent) == sent and w.dups == 0
    assert w.by_topic == {"bt/pairs/%d" % i: COUNT for i in range(pairs)}


def test_qos2_fanin_exact(broker, tern, watcher):
    pubs = 10
    w = watcher(broker.port, "bt/fanin/+")
    r = bench(tern, broker, "fanin", "-c", pubs, "-q", 2, "--count", COUNT,
              "-t", "bt/fanin/%i", "--json")
    sent = pubs * COUNT
    assert_exact(r, sent, sent)
    assert r.json["subscribers"] == 1
    assert r.json["out_of_order"] == 0
    assert w.settle(sent) == sent and w.dups == 0


def test_qos2_fanout_exact(broker, tern, watcher):
    subs = 10
    w = watcher(broker.port, "bt/fanout/+")
    r = bench(tern, broker, "fanout", "-c", subs, "-q", 2, "--count", COUNT,
              "-t", "bt/fanout/%i", "--json")
    assert_exact(r, COUNT, COUNT * subs)
    assert r.json["publishers"] == 1
    assert w.settle(COUNT) == COUNT and w.dups == 0
    assert w.by_topic == {"bt/fanout/0": COUNT}


def test_qos2_shared(broker, tern):
    r = bench(tern, broker, "shared", "-c", 4, "--subs", 3, "-q", 2,
              "--count", COUNT, "-t", "bt/shared/%i", "--json")
    j = r.json
    if j["received"] == 0 and j["connections"]["failed"] == 0:
        pytest.skip("the broker does not deliver $share subscriptions")
    assert_exact(r, 4 * COUNT, 4 * COUNT)


def test_rate_and_warmup(broker, tern):
    """--rate paces each publisher; --warmup is left out of the counts."""
    pubs, rate = 4, 200
    r = bench(tern, broker, "pairs", "-c", pubs, "-q", 1, "--rate", rate,
              "--warmup", "0.5", "-d", "2", "-t", "bt/rate/%i", "--json")
    j = r.json
    assert r.rc == 0, r
    assert abs(j["sent"] - pubs * rate * 2) <= pubs * rate * 2 * 0.15, j
    assert j["sent_total"] > j["sent"]  # the warm-up's messages
    assert j["received"] == j["expected"] == j["sent"]
    assert j["lost"] == 0 and j["duplicates"] == 0


def test_qos0_json_report(broker, tern):
    r = bench(tern, broker, "pairs", "-c", 5, "-q", 0, "-d", 1,
              "-t", "bt/json/%i", "--json")
    j = r.json
    assert r.rc == 0, r
    for key in ["scenario", "sent", "sent_per_s", "received",
                "received_per_s", "expected", "lost", "loss_permitted",
                "duplicates", "out_of_order", "latency_us",
                "connections", "cpu", "exit_code"]:
        assert key in j, key
    for key in ["p50", "p90", "p99", "p999", "max"]:
        assert j["latency_us"][key] <= j["latency_us"]["max"]
    assert j["latency_us"]["p50"] <= j["latency_us"]["p99"]
    assert j["loss_permitted"] is True
    assert j["sent"] > 0 and j["received"] > 0
    assert j["received"] + j["lost"] == j["expected"]
    cpu = j["cpu"]
    assert cpu["user_s"] + cpu["sys_s"] > 0 and cpu["percent_of_core"] > 0
    # The text report says the same in words.
    r = bench(tern, broker, "pairs", "-c", 2, "-q", 0, "-d", "1.5",
              "-t", "bt/json/%i")
    assert r.rc == 0 and "latency us" in r.stdout and "bench cpu" in r.stdout
    assert "bench" in r.stderr  # progress lines


def established_to(port):
    """Established IPv4 connections whose remote end is 127.0.0.1:port."""
    n = 0
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            remote, state = fields[2], fields[3]
            if state == "01" and remote == "0100007F:%04X" % port:
                n += 1
    return n


def test_conn_holds_connections(broker, tern):
    n = 200
    p = bench_start(tern, broker, "conn", "-c", n, "--connect-rate", 1000,
                    "-d", 3, "--json")
    held = 0
    end = time.time() + 3
    while time.time() < end and held < n:
        time.sleep(0.2)
        held = established_to(broker.port)
    r = bench_finish(p)
    assert held == n, r
    j = r.json
    assert r.rc == 0, r
    assert j["connections"]["requested"] == n
    assert j["connections"]["connected"] == n
    assert j["connections"]["failed"] == 0
    assert j["connections"]["connect_us"]["count"] == n
    assert j["measured_s"] >= 2.9


def test_spread_over_targets(broker, tern):
    """-p with a list spreads the clients; --threads sets the workers."""
    port = str(broker.port)
    p = subprocess.run([tern, "bench", "pairs", "-c", "6", "-q", "1",
                        "--count", "100", "--threads", "3", "-h",
                        "127.0.0.1", "-p", port + "," + port,
                        "-t", "bt/spread/%i", "--json"],
                       capture_output=True, timeout=60)
    j = json.loads(p.stdout)
    assert p.returncode == 0, p.stderr
    assert j["targets"] == ["127.0.0.1:" + port] * 2
    assert j["threads"] == 3
    assert j["received"] == j["sent"] == 600 and j["lost"] == 0


def test_loss_gives_nonzero_exit(broker_factory, tern):
    """A broker that may drop QoS 1 messages (a tiny queue behind a window
    of one) under a flood: the bench counts the loss and exits 2."""
    b = broker_factory(["max_queued_messages 5", "max_inflight_messages 1"])
    r = bench(tern, b, "fanin", "-c", 10, "-q", 1, "-d", 2, "--drain", 2,
              "-t", "bt/loss/%i", "--json")
    j = r.json
    assert j["lost"] > 0, r
    assert j["received"] + j["lost"] == j["expected"]
    assert j["connections"]["failed"] == 0 and j["connections"]["lost"] == 0
    assert r.rc == 2 and j["exit_code"] == 2


def test_broker_stopped_mid_run(broker, tern):
    p = bench_start(tern, broker, "pairs", "-c", 5, "-q", 1, "-d", 5,
                    "--json", "-t", "bt/stop/%i")
    time.sleep(2)
    broker.stop()
    t0 = time.time()
    r = bench_finish(p)
    assert time.time() - t0 < 10  # it noticed, and ended on time
    j = r.json
    assert r.rc in (2, 3), r
    assert j["connections"]["lost"] == 10
    assert j["first_error"]


def test_connection_refused(tern):
    port = free_port()
    p = subprocess.run([tern, "bench", "pairs", "-c", "2", "-d", "1", "-h",
                        "127.0.0.1", "-p", str(port), "--json"],
                       capture_output=True, timeout=60)
    j = json.loads(p.stdout)
    assert p.returncode == 3
    assert j["connections"]["failed"] == 4
    assert "refused" in j["first_error"]
