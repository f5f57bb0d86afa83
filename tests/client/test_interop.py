"""tern pub / tern sub against a real broker and against mosquitto's own
clients, at QoS 0/1/2 and MQTT 3.1 / 3.1.1 / 5."""
import os
import signal
import time

import pytest

from conftest import (MOSQ_PUB, MOSQ_RR, MOSQ_SUB, Proc, messages, run,
                      start_sub)

VERSIONS = ["31", "311", "5"]
QOS = [0, 1, 2]


def addr(broker):
    return ["-h", "127.0.0.1", "-p", str(broker.port)]


@pytest.mark.parametrize("ver", VERSIONS)
@pytest.mark.parametrize("qos", QOS)
def test_tern_pub_to_tern_sub(broker, tern, ver, qos):
    topic = "i/tt/%s/%d" % (ver, qos)
    sub = start_sub([tern, "sub"] + addr(broker) +
                    ["-t", topic, "-q", str(qos), "-V", ver, "-C", "2", "-v"])
    r = run([tern, "pub"] + addr(broker) +
            ["-t", topic, "-m", "first", "-q", str(qos), "-V", ver])
    assert r.returncode == 0, r.stderr
    r = run([tern, "pub"] + addr(broker) +
            ["-t", topic, "-n", "-q", str(qos), "-V", ver])
    assert r.returncode == 0, r.stderr
    rc, out, err = sub.finish()
    assert rc == 0, err
    assert messages(out) == [topic.encode() + b" first\n",
                             topic.encode() + b" (null)\n"]


@pytest.mark.parametrize("ver", VERSIONS)
@pytest.mark.parametrize("qos", QOS)
def test_mosquitto_pub_to_tern_sub(broker, tern, ver, qos):
    topic = "i/mt/%s/%d" % (ver, qos)
    sub = start_sub([tern, "sub"] + addr(broker) +
                    ["-t", "i/mt/#", "-q", str(qos), "-V", ver, "-C", "1",
                     "-F", "%t|%p|%q"])
    r = run([MOSQ_PUB] + addr(broker) +
            ["-t", topic, "-m", "from mosquitto", "-q", str(qos),
             "-V", "mqttv" + ver])
    assert r.returncode == 0, r.stderr
    rc, out, err = sub.finish()
    assert rc == 0, err
    assert messages(out) == [("%s|from mosquitto|%d\n" % (topic, qos))
                             .encode()]


@pytest.mark.parametrize("ver", VERSIONS)
@pytest.mark.parametrize("qos", QOS)
def test_tern_pub_to_mosquitto_sub(broker, tern, ver, qos):
    topic = "i/tm/%s/%d" % (ver, qos)
    sub = start_sub([MOSQ_SUB] + addr(broker) +
                    ["-t", topic, "-q", str(qos), "-V", "mqttv" + ver,
                     "-C", "1", "-F", "%t|%p|%q"])
    r = run([tern, "pub"] + addr(broker) +
            ["-t", topic, "-m", "from tern", "-q", str(qos), "-V", ver])
    assert r.returncode == 0, r.stderr
    rc, out, err = sub.finish()
    assert rc == 0, err
    assert messages(out) == [("%s|from tern|%d\n" % (topic, qos)).encode()]


@pytest.mark.mqtt5
def test_v5_properties_both_ways(broker, tern):
    sub = start_sub([MOSQ_SUB] + addr(broker) +
                    ["-t", "i/props", "-V", "5", "-C", "1", "-F",
                     "%P|%C|%R|%D|%E|%F"])
    r = run([tern, "pub"] + addr(broker) +
            ["-t", "i/props", "-m", "x", "-q", "1",
             "-D", "publish", "user-property", "k1", "v1",
             "-D", "publish", "user-property", "k2", "v2",
             "-D", "publish", "content-type", "text/plain",
             "-D", "publish", "response-topic", "i/reply",
             "-D", "publish", "correlation-data", "abc",
             "-D", "publish", "message-expiry-interval", "300",
             "-D", "publish", "payload-format-indicator", "1"])
    assert r.returncode == 0, r.stderr
    rc, out, err = sub.finish()
    assert rc == 0, err
    (line,) = messages(out)
    fields = line.rstrip(b"\n").split(b"|")
    assert fields[0] == b"k1:v1 k2:v2"
    assert fields[1:4] == [b"text/plain", b"i/reply", b"abc"]
    assert 290 <= int(fields[4]) <= 300
    assert fields[5] == b"1"

    sub = start_sub([tern, "sub"] + addr(broker) +
                    ["-t", "i/props2", "-V", "5", "-C", "1", "-F",
                     "%P|%C|%R|%D"])
    r = run([MOSQ_PUB] + addr(broker) +
            ["-t", "i/props2", "-m", "y", "-V", "5",
             "-D", "publish", "user-property", "a", "b",
             "-D", "publish", "content-type", "ct",
             "-D", "publish", "response-topic", "rt",
             "-D", "publish", "correlation-data", "cd"])
    assert r.returncode == 0, r.stderr
    rc, out, err = sub.finish()
    assert rc == 0, err
    assert messages(out) == [b"a:b|ct|rt|cd\n"]


@pytest.mark.mqtt5
def test_json_output(broker, tern):
    sub = start_sub([tern, "sub"] + addr(broker) +
                    ["-t", "i/json", "-V", "5", "-C", "1", "-F", "%j",
                     "-q", "1"])
    run([MOSQ_PUB] + addr(broker) +
        ["-t", "i/json", "-m", 'say "hi"', "-V", "5", "-q", "1",
         "-D", "publish", "user-property", "u", "1"])
    rc, out, err = sub.finish()
    assert rc == 0, err
    import json
    doc = json.loads(messages(out)[0])
    assert doc["topic"] == "i/json"
    assert doc["qos"] == 1 and doc["retain"] == 0
    assert doc["payload"] == 'say "hi"'
    assert doc["properties"]["user-properties"] == {"u": "1"}


def test_stdin_lines_in_order(broker, tern):
    lines = [b"line %d" % i for i in range(200)]
    sub = start_sub([tern, "sub"] + addr(broker) +
                    ["-t", "i/lines", "-q", "1", "-C", str(len(lines))])
    r = run([tern, "pub"] + addr(broker) + ["-t", "i/lines", "-l", "-q", "1"],
            stdin=b"\n".join(lines) + b"\n")
    assert r.returncode == 0, r.stderr
    rc, out, err = sub.finish()
    assert rc == 0, err
    assert messages(out) == [l + b"\n" for l in lines]


def test_large_file_payload(broker, tern, tmp_path):
    data = os.urandom(1 << 20)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    sub = start_sub([MOSQ_SUB] + addr(broker) +
                    ["-t", "i/big", "-q", "2", "-C", "1", "-F", "%l %x"])
    r = run([tern, "pub"] + addr(broker) +
            ["-t", "i/big", "-f", str(path), "-q", "2"])
    assert r.returncode == 0, r.stderr
    rc, out, err = sub.finish()
    assert rc == 0, err
    assert messages(out) == [b"%d %s\n" % (len(data), data.hex().encode())]


def test_retained(broker, tern):
    r = run([tern, "pub"] + addr(broker) +
            ["-t", "i/ret/a", "-m", "kept", "-r", "-q", "1"])
    assert r.returncode == 0, r.stderr
    r = run([tern, "sub"] + addr(broker) +
            ["-t", "i/ret/#", "-C", "1", "-F", "%t %p %r"])
    assert r.stdout == b"i/ret/a kept 1\n"
    # -R hides stale messages: nothing to print before the timeout.
    r = run([tern, "sub"] + addr(broker) + ["-t", "i/ret/#", "-R", "-W", "1"])
    assert r.returncode == 27 and r.stdout == b""
    # --remove-retained clears what it sees.
    r = run([tern, "sub"] + addr(broker) +
            ["-t", "i/ret/#", "--remove-retained", "-C", "1"])
    assert r.returncode == 0 and r.stdout == b"kept\n"
    time.sleep(0.2)
    r = run([MOSQ_SUB] + addr(broker) + ["-t", "i/ret/#", "-W", "1"])
    assert r.stdout == b""


def test_filter_out_and_unsubscribe(broker, tern):
    sub = start_sub([tern, "sub"] + addr(broker) +
                    ["-t", "i/f/#", "-T", "i/f/noise/#", "-C", "1", "-v"])
    run([MOSQ_PUB] + addr(broker) + ["-t", "i/f/noise/x", "-m", "drop"])
    run([MOSQ_PUB] + addr(broker) + ["-t", "i/f/signal", "-m", "keep"])
    rc, out, err = sub.finish()
    assert rc == 0, err
    assert messages(out) == [b"i/f/signal keep\n"]


@pytest.mark.mqtt5
def test_persistent_session_queues(broker, tern):
    for ver in ["311", "5"]:
        cid = "persist-" + ver
        r = run([tern, "sub"] + addr(broker) +
                ["-t", "i/p/" + ver, "-q", "2", "-c", "-i", cid, "-E",
                 "-V", ver])
        assert r.returncode == 0, r.stderr
        for i in range(3):
            run([MOSQ_PUB] + addr(broker) +
                ["-t", "i/p/" + ver, "-m", "m%d" % i, "-q", str(1 + i % 2)])
        r = run([tern, "sub"] + addr(broker) +
                ["-t", "i/p/" + ver, "-q", "2", "-c", "-i", cid, "-C", "3",
                 "-V", ver])
        assert r.returncode == 0, r.stderr
        assert r.stdout == b"m0\nm1\nm2\n"


@pytest.mark.mqtt5
def test_will_on_kill_not_on_sigterm(broker, tern):
    watch = start_sub([MOSQ_SUB] + addr(broker) +
                      ["-t", "i/will/#", "-C", "1", "-v"])
    victim = start_sub([tern, "sub"] + addr(broker) +
                       ["-t", "i/x", "-i", "victim", "--will-topic",
                        "i/will/victim", "--will-payload", "gone",
                        "--will-qos", "1"])
    victim.kill()
    victim.finish()
    rc, out, err = watch.finish()
    assert rc == 0, err
    assert messages(out) == [b"i/will/victim gone\n"]

    # SIGTERM ends tern sub with a DISCONNECT: no will.
    clean = start_sub([tern, "sub"] + addr(broker) +
                      ["-t", "i/x", "--will-topic", "i/will2", "-V", "5"])
    clean.kill(signal.SIGTERM)
    rc, _, err = clean.finish()
    assert rc == 0, err
    r = run([MOSQ_SUB] + addr(broker) + ["-t", "i/will2", "-W", "1"])
    assert r.returncode == 27 and r.stdout == b""


@pytest.mark.mqtt5
def test_rr_both_ways(broker, tern):
    # tern rr asks; mosquitto's clients answer on the Response Topic.
    responder = start_sub([MOSQ_SUB] + addr(broker) +
                          ["-t", "i/req", "-C", "1", "-V", "5", "-F", "%R"])
    rr = Proc([tern, "rr"] + addr(broker) +
              ["-t", "i/req", "-e", "i/resp", "-m", "ping", "-W", "5"])
    rc, out, err = responder.finish()
    assert rc == 0, err
    resp_topic = messages(out)[0].strip().decode()
    assert resp_topic == "i/resp"
    run([MOSQ_PUB] + addr(broker) +
        ["-t", resp_topic, "-m", "pong", "-V", "5"])
    rc, out, err = rr.finish()
    assert rc == 0, err
    assert out == [b"pong\n"]

    # mosquitto_rr asks; tern answers.
    responder = start_sub([tern, "sub"] + addr(broker) +
                          ["-t", "i/req2", "-C", "1", "-V", "5", "-F", "%R"])
    rr = Proc([MOSQ_RR] + addr(broker) +
              ["-t", "i/req2", "-e", "i/resp2", "-m", "ping", "-W", "5"])
    rc, out, err = responder.finish()
    assert rc == 0, err
    run([tern, "pub"] + addr(broker) +
        ["-t", messages(out)[0].strip().decode(), "-m", "pong2", "-V", "5"])
    rc, out, err = rr.finish()
    assert rc == 0, err
    assert out == [b"pong2\n"]


@pytest.mark.mqtt5
def test_rr_timeout(broker, tern):
    r = run([tern, "rr"] + addr(broker) +
            ["-t", "i/nobody", "-e", "i/never", "-m", "x", "-W", "1"])
    assert r.returncode == 27
    assert b"Timed out" in r.stderr


def test_sub_reconnects_after_broker_restart(broker, tern):
    sub = start_sub([tern, "sub"] + addr(broker) +
                    ["-t", "i/re", "-C", "1", "-v", "-q", "1"])
    broker.stop()
    time.sleep(0.5)
    broker.start()
    # The subscription is made again in on_connect after the reconnect.
    sub.wait_line(lambda l: l.startswith(b"Subscribed"), timeout=20)
    run([MOSQ_PUB] + addr(broker) + ["-t", "i/re", "-m", "back", "-q", "1"])
    rc, out, err = sub.finish()
    assert rc == 0, err
    assert messages(out)[-1] == b"i/re back\n"
