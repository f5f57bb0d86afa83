"""Hostile identities: client ids that collide with the ones the broker
assigns, packets pipelined behind a refused CONNECT, and CONNECTs with
every string at its maximum length.

Each test checks (a) the hostile connection is closed (or answered as the
spec says) within a bounded time, (b) a client connected before still
publishes and receives, (c) a new client still connects, subscribes,
publishes and receives.
"""
import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest

import mqttraw
from hostile_lib import Raw, connected, survives, uid

pytestmark = pytest.mark.tern_only

MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd") or \
    "/usr/bin/mosquitto_passwd"


@pytest.fixture
def auth_broker(broker_factory):
    """allow_anonymous false and a mosquitto_passwd file with good/pw."""
    d = tempfile.mkdtemp(prefix="tern-hostile-pw-")
    os.chmod(d, 0o755)
    path = os.path.join(d, "passwd")
    subprocess.run([MOSQUITTO_PASSWD, "-c", "-b", path, "good", "pw"],
                   check=True, capture_output=True, timeout=10)
    os.chmod(path, 0o644)
    try:
        b = broker_factory(["allow_anonymous false", "password_file " + path])
        b.hostile_creds = {"username": "good", "password": "pw"}
        yield b
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.mark.parametrize("creds", [{}, {"username": "good"},
                                   {"username": "good", "password": "bad"},
                                   {"username": "nobody", "password": "pw"}],
                         ids=["anonymous", "no-password", "bad-password",
                              "unknown-user"])
def test_packets_pipelined_after_a_refused_connect(auth_broker, raws,
                                                    bystander, creds):
    """A refused CONNECT with SUBSCRIBE and PUBLISH packets right behind
    it in the same write: the broker answers the refusal (return code 4
    or 5) and closes the connection ([MQTT-3.2.2-5]) without processing
    anything behind it, so no SUBACK comes and the PUBLISH reaches no
    one. Class: authentication bypass by pipelining."""
    b = auth_broker
    by = bystander(b)
    watcher = connected(b)
    topic = "secret/" + uid()
    assert watcher.subscribe([(topic, 0)]) == [0]
    bad = raws(b)
    bad.send_quiet(mqttraw.connect(uid(), **creds) +
                   mqttraw.subscribe(1, [("#", 0)]) +
                   mqttraw.publish(topic, b"injected") +
                   mqttraw.publish(topic, b"injected", qos=1, pid=2))
    got = bad.assert_closed(3.0, "refused CONNECT")
    assert [p.name for p in got] == ["CONNACK"], got
    assert got[0].body[1] in (4, 5), got
    watcher.send(mqttraw.publish(topic, b"marker"))
    assert watcher.expect("PUBLISH").publish_fields()[2] == b"marker"
    survives(b, by)


def test_connect_with_every_string_at_its_maximum(broker_factory, raws,
                                                 bystander):
    """Client id, will topic, will payload, user name and password of
    65,535 bytes each (3.1.1 1.5.3: the largest a two-byte length allows),
    with max_client_id_length at its maximum: accepted, the will is
    delivered intact after a take-over by the same 65,535-byte id
    ([MQTT-3.1.4-2]), and nothing overflows."""
    broker = broker_factory(["max_client_id_length 65535"])
    by = bystander(broker)
    cid = "i" * 65535
    wtopic = "w/" + "t" * 65533
    watcher = connected(broker)
    assert watcher.subscribe([("w/#", 0)]) == [0]
    first = raws(broker)
    ack = first.connect(cid, will=(wtopic, b"p" * 65535, 1, False),
                        username="u" * 65535, password=b"x" * 65535)
    assert ack.body[1] == 0
    second = raws(broker)
    assert second.connect(cid).body[1] == 0
    first.assert_closed(3.0, "taken-over connection")
    p = watcher.expect("PUBLISH")
    t, _, payload = p.publish_fields()
    assert (t, payload) == (wtopic, b"p" * 65535)
    # A topic and a filter of 65,535 bytes.
    long_topic = "l/" + "x" * 65533
    assert second.subscribe([(long_topic, 0)]) == [0]
    second.send(mqttraw.publish(long_topic, b"long"))
    assert second.expect("PUBLISH").publish_fields()[:3:2] == (long_topic,
                                                              b"long")
    survives(broker, by)


def test_assigned_client_id_is_unique(broker_factory, raws, bystander):
    """[MQTT-3.1.3-6]: for an empty client id the server assigns one that
    is unique. A client that already uses the id the server would assign
    next must not be taken over by a client that sent an empty id.
    (One worker, so the hand-over between workers cannot hide it.)"""
    b = broker_factory(["workers 1"])
    by = bystander(b)
    probe = raws(b)
    assert probe.connect("").body[1] == 0
    time.sleep(0.2)         # let the log line out
    m = re.findall(r" as (auto-[0-9a-f]+-)([0-9a-f]+) ", b.read_log())
    assert m, "no assigned id in the log"
    prefix, n = m[-1]
    squatter_id = prefix + "%x" % (int(n, 16) + 1)
    squatter = raws(b)
    assert squatter.connect(squatter_id).body[1] == 0
    anon = raws(b)
    assert anon.connect("").body[1] == 0
    closed, _ = squatter.wait_close(1.0)
    assert not closed, "an empty-id CONNECT took over client %s" % (
        squatter_id)
    survives(b, by)


def test_client_id_over_max_client_id_length(broker, raws, bystander):
    """With the default max_client_id_length (1024, docs/CONFIG.md) a
    client id of 1,025 or 65,535 bytes gets CONNACK 2 (identifier
    rejected, [MQTT-3.1.3-9]) and the connection closes."""
    by = bystander(broker)
    for n in (1025, 65535):
        bad = raws(broker)
        bad.send_quiet(mqttraw.connect("i" * n,
                                       will=("w/t", b"w", 0, False)))
        got = bad.assert_closed(3.0, "client id of %d bytes" % n)
        assert [(p.name, p.body) for p in got] == [("CONNACK", b"\x00\x02")]
        survives(broker, by)
    ok = raws(broker)
    assert ok.connect("i" * 1024).body[1] == 0
