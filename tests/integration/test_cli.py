"""The broker driven by the mosquitto_pub / mosquitto_sub command-line
tools, at both protocol levels."""
import os
import shutil
import tempfile

import pytest

from helpers import CliSub, cli_pub, cli_sub, make_passwd, sentinel, uid

VERSIONS = ["mqttv31", "mqttv311"]


@pytest.mark.parametrize("qos", [0, 1, 2])
@pytest.mark.parametrize("version", VERSIONS)
def test_cli_pub_to_paho(broker, pahof, version, qos):
    """mosquitto_pub at each QoS and protocol level reaches a paho
    subscriber at that QoS; with -d its log shows the full QoS flow."""
    sub = pahof(broker, uid())
    topic = "cli/" + uid()
    sub.subscribe(topic, 2)
    r = cli_pub(broker, topic, "from the cli", qos=qos, version=version, extra=["-d"])
    m = sub.get()
    assert (m.topic, m.payload, m.qos, m.retain) == (topic, b"from the cli", qos, False)
    out = r.stdout.decode()
    assert "received CONNACK (0)" in out
    if qos == 1:
        assert "received PUBACK" in out
    if qos == 2:
        assert "received PUBREC" in out and "received PUBCOMP" in out


@pytest.mark.parametrize("qos", [0, 1, 2])
@pytest.mark.parametrize("version", VERSIONS)
def test_cli_sub_live(broker, pahof, version, qos):
    """mosquitto_sub receives live messages at min(published QoS, its QoS),
    RETAIN=0, payload intact."""
    s = CliSub(broker, "cli/live/#", qos=qos, version=version)
    try:
        assert s.ready() == []
        pub = pahof(broker, uid())
        for q in (0, 1, 2):
            pub.publish("cli/live/%d" % q, b"payload %d" % q, qos=q, retain=True)
        got = sorted(s.get() for _ in range(3))
        assert got == [("cli/live/%d" % q, min(q, qos), 0, "payload %d" % q)
                       for q in (0, 1, 2)]
    finally:
        s.stop()


@pytest.mark.parametrize("version", VERSIONS)
def test_cli_retained_round_trip(broker, version):
    """mosquitto_pub -r stores a retained message; mosquitto_sub -C 1 gets
    it at once with the retain flag set; -r -n clears it."""
    topic = "cli/ret/" + uid()
    cli_pub(broker, topic, "kept", qos=1, retain=True, version=version)
    r = cli_sub(broker, topic, count=1, qos=1, version=version,
                extra=["-F", "%t|%q|%r|%p"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().strip() == "%s|1|1|kept" % topic
    cli_pub(broker, topic, retain=True, version=version, extra=["-n"])
    s = CliSub(broker, topic, qos=1, version=version)
    try:
        assert s.ready() == []
    finally:
        s.stop()


def test_cli_wildcard_retained(broker):
    """A wildcard mosquitto_sub gets every retained message below it, with
    RETAIN=1, and a cleared one no more."""
    base = "cli/w" + uid()
    for t in ("a", "b", "c/d"):
        cli_pub(broker, base + "/" + t, t, retain=True)
    cli_pub(broker, base + "/b", retain=True, extra=["-n"])
    s = CliSub(broker, base + "/#")
    try:
        got = sorted(s.ready())
    finally:
        s.stop()
    assert got == [(base + "/a", 0, 1, "a"), (base + "/c/d", 0, 1, "c/d")]


@pytest.mark.parametrize("version", VERSIONS)
def test_cli_persistent_session(broker, version):
    """mosquitto_sub -c -i ID: the session made by one run (-E exits once
    subscribed) keeps the QoS 1 messages published while no subscriber
    runs; the next run with the same id gets them, in order."""
    cid = uid("c")
    topic = "cli/sess/" + uid()
    r = cli_sub(broker, topic, qos=1, version=version, extra=["-c", "-i", cid, "-E"])
    assert r.returncode == 0, r.stderr
    for i in range(3):
        cli_pub(broker, topic, "m%d" % i, qos=1, version=version)
    r = cli_sub(broker, topic, count=3, qos=1, version=version,
                extra=["-c", "-i", cid, "-F", "%p"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().split() == ["m0", "m1", "m2"]


def test_cli_pub_lines_from_stdin(broker, pahof):
    """mosquitto_pub -l sends one message per input line, in order."""
    sub = pahof(broker, uid())
    topic = "cli/lines/" + uid()
    sub.subscribe(topic, 1)
    lines = ["line %d" % i for i in range(20)]
    cli_pub(broker, topic, qos=1, extra=["-l"], stdin=("\n".join(lines) + "\n").encode())
    assert [m.payload.decode() for m in sub.get_n(20)] == lines


def test_cli_pub_large_file(broker, pahof, tmp_path):
    """mosquitto_pub -f sends a 300 KB file as one message, byte for byte."""
    body = bytes((i * 7) % 256 for i in range(300 * 1024))
    path = tmp_path / "payload.bin"
    path.write_bytes(body)
    sub = pahof(broker, uid())
    topic = "cli/file/" + uid()
    sub.subscribe(topic, 1)
    cli_pub(broker, topic, qos=1, extra=["-f", str(path)])
    assert sub.get().payload == body


def test_cli_will(broker, pahof):
    """mosquitto_sub --will-topic: killed with SIGKILL, its will is
    published (QoS and retain as given); after a normal exit it is not."""
    w = pahof(broker, uid())
    topic = "cli/will/" + uid()
    w.subscribe([(topic, 2), ("sentinel", 2)])
    s = CliSub(broker, "cli/none", extra=["--will-topic", topic, "--will-payload",
                                          "cli died", "--will-qos", "1"])
    s.ready()
    s.kill()
    m = w.get()
    assert (m.payload, m.qos, m.retain) == (b"cli died", 1, False)
    r = cli_sub(broker, "cli/none", extra=["-E", "--will-topic", topic,
                                           "--will-payload", "clean exit"])
    assert r.returncode == 0
    assert sentinel(pahof(broker, uid()), w) == []


@pytest.fixture
def auth_broker(broker_factory):
    d = tempfile.mkdtemp(prefix="tern-pw-")
    os.chmod(d, 0o755)   # mosquitto run as root reads it as its own user
    path = make_passwd(os.path.join(d, "passwd"), {"cli": "secret"})
    os.chmod(path, 0o644)
    try:
        yield broker_factory(["allow_anonymous false", "password_file " + path])
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.mark.parametrize("version", VERSIONS)
def test_cli_auth(auth_broker, pahof, version):
    """-u/-P with the right password publish; a wrong password or none makes
    mosquitto_pub and mosquitto_sub fail with a non-zero status."""
    sub = pahof(auth_broker, uid(), username="cli", password="secret")
    topic = "cli/auth/" + uid()
    sub.subscribe(topic, 1)
    cli_pub(auth_broker, topic, "ok", qos=1, version=version, extra=["-u", "cli", "-P", "secret"])
    assert sub.get().payload == b"ok"
    for extra in (["-u", "cli", "-P", "wrong"], ["-u", "nobody", "-P", "secret"], []):
        r = cli_pub(auth_broker, topic, "no", qos=1, version=version, extra=extra, check=False)
        assert r.returncode != 0
        r = cli_sub(auth_broker, topic, version=version, extra=extra, wait=3)
        assert r.returncode != 0
    sub.subscribe("sentinel", 2)
    assert sentinel(pahof(auth_broker, uid(), username="cli", password="secret"), sub) == []


def test_cli_sys_version(broker_factory):
    """mosquitto_sub reads $SYS/broker/version (retained, sys_interval 1)."""
    b = broker_factory(["sys_interval 1"])
    r = cli_sub(b, "$SYS/broker/version", count=1, wait=5, extra=["-F", "%r|%p"])
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode().strip()
    assert out.split("|", 1)[1].strip()
