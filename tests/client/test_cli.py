"""The `tern` command's errors and exit codes, as mosquitto's clients
give them: 0, the CONNACK code of a refusal, 27 for a timeout, 1 for the
rest, with one clear line on stderr."""
import json
import os

import pytest

from conftest import free_port, run


def addr(port):
    return ["-h", "127.0.0.1", "-p", str(port)]


def test_help_and_unknown(tern):
    r = run([tern, "--help"])
    assert r.returncode == 0 and b"pub" in r.stdout
    for cmd in ["pub", "sub", "rr"]:
        r = run([tern, cmd, "--help"])
        assert r.returncode == 0 and b"Usage: tern " + cmd.encode() in r.stdout
    r = run([tern, "frobnicate"])
    assert r.returncode == 1 and b"unknown command" in r.stderr


@pytest.mark.parametrize("args,msg", [
    (["pub", "-t", "a", "-m", "x", "--bogus"], b"Unknown option '--bogus'"),
    (["pub", "-t", "a", "-m", "x", "-q", "3"], b"Invalid QoS given: 3"),
    (["pub", "-t", "a"], b"Both topic and message must be supplied"),
    (["pub", "-t", "a/#", "-m", "x"], b"Invalid publish topic 'a/#'"),
    (["pub", "-t", "a", "-m", "x", "-n"], b"Only one type of message"),
    (["pub", "-t", "a", "-m", "x", "-V", "4"], b"Invalid protocol version"),
    (["pub", "-t", "a", "-m", "x", "-p", "0"], b"Invalid port given"),
    (["pub", "-t", "a", "-m", "x", "-c"], b"must provide a client id"),
    (["pub", "-t", "a", "-m", "x", "-D", "publish", "bogus", "1"],
     b"Invalid property name 'bogus'"),
    (["pub", "-t", "a", "-m", "x", "-D", "connect", "topic-alias", "1"],
     b"Invalid property name 'topic-alias' for connect"),
    (["pub", "-t", "a", "-m", "x", "-V", "311", "-D", "publish",
      "content-type", "x"], b"need MQTT v5"),
    (["pub", "-t", "a", "-m", "x", "--will-qos", "1"], b"no will topic"),
    (["pub", "-t", "a", "-m", "x", "-k"], b"-k argument given but no value"),
    (["sub"], b"You must specify a topic"),
    (["sub", "-t", "a/#/b"], b"Invalid subscription topic 'a/#/b'"),
    (["sub", "-t", "a", "-m", "x"], b"Unknown option '-m'"),
    (["rr", "-t", "a", "-m", "x"], b"response topic (-e)"),
])
def test_bad_flags_exit_1(tern, args, msg):
    r = run([tern] + args)
    assert r.returncode == 1
    assert msg in r.stderr
    assert b"--help" in r.stderr


def test_tcp_refused(tern):
    port = free_port()
    r = run([tern, "pub"] + addr(port) + ["-t", "a", "-m", "x"])
    assert r.returncode == 1
    lines = r.stderr.strip().split(b"\n")
    assert len(lines) == 1
    assert b"Connection refused" in lines[0]
    r = run([tern, "pub"] + addr(port) + ["-t", "a", "-m", "x", "--quiet"])
    assert r.returncode == 1 and r.stderr == b""


@pytest.mark.parametrize("ver,code", [("31", 5), ("311", 5), ("5", 135)])
def test_connack_refused_exit_code(broker_factory, tern, ver, code):
    b = broker_factory(conf=["allow_anonymous false"])
    for cmd in [["pub", "-t", "a", "-m", "x"], ["sub", "-t", "a"],
                ["rr", "-t", "a", "-e", "b", "-m", "x"]]:
        r = run([tern] + cmd + addr(b.port) + ["-V", ver])
        assert r.returncode == code, r.stderr
        assert r.stderr.count(b"\n") == 1
        assert b"connection refused" in r.stderr
        assert b"not authorized" in r.stderr


@pytest.mark.mqtt5
def test_password_file(broker_factory, tern, passwd_file):
    pw = passwd_file({"alice": "s3cret"})
    b = broker_factory(conf=["allow_anonymous false", "password_file " + pw])
    r = run([tern, "pub"] + addr(b.port) +
            ["-t", "a", "-m", "x", "-u", "alice", "-P", "s3cret", "-q", "1"])
    assert r.returncode == 0, r.stderr
    r = run([tern, "pub"] + addr(b.port) +
            ["-t", "a", "-m", "x", "-u", "alice", "-P", "wrong"])
    assert r.returncode in (4, 5), r.stderr
    r = run([tern, "pub"] + addr(b.port) +
            ["-t", "a", "-m", "x", "-u", "alice", "-P", "wrong", "-V", "5"])
    assert r.returncode in (134, 135), r.stderr


def test_sub_timeout_exit_27(broker, tern):
    r = run([tern, "sub"] + addr(broker.port) + ["-t", "quiet", "-W", "1"])
    assert r.returncode == 27
    assert r.stderr == b"Timed out\n"


def test_sub_exit_after_suback(broker, tern):
    r = run([tern, "sub"] + addr(broker.port) + ["-t", "a", "-t", "b", "-E"])
    assert r.returncode == 0, r.stderr


def test_debug_trace(broker, tern):
    r = run([tern, "pub"] + addr(broker.port) +
            ["-t", "a", "-m", "x", "-q", "2", "-d", "-i", "dbg"])
    assert r.returncode == 0
    out = r.stdout.decode()
    for step in ["sending CONNECT", "received CONNACK (0)", "sending PUBLISH",
                 "received PUBREC", "sending PUBREL", "received PUBCOMP",
                 "sending DISCONNECT"]:
        assert "Client dbg " + step in out, out


def test_repeat(broker, tern):
    from conftest import messages, start_sub
    sub = start_sub([tern, "sub"] + addr(broker.port) +
                    ["-t", "rep", "-C", "3"])
    r = run([tern, "pub"] + addr(broker.port) +
            ["-t", "rep", "-m", "again", "--repeat", "3",
             "--repeat-delay", "0.1", "-q", "1"])
    assert r.returncode == 0, r.stderr
    rc, out, err = sub.finish()
    assert rc == 0 and messages(out) == [b"again\n"] * 3


def test_passwd_file_works_with_broker(broker_factory, tern, tmp_path):
    import tempfile
    d = tempfile.mkdtemp(prefix="tern-passwd-")
    os.chmod(d, 0o755)
    path = os.path.join(d, "passwd")
    assert run([tern, "passwd", "-c", "-b", path, "alice", "a1"]) \
        .returncode == 0
    assert run([tern, "passwd", "-b", path, "bob", "b2"]).returncode == 0
    # Interactive form: the password twice on stdin.
    r = run([tern, "passwd", path, "carol"], stdin=b"c3\nc3\n")
    assert r.returncode == 0, r.stderr
    r = run([tern, "passwd", path, "dave"], stdin=b"x\ny\n")
    assert r.returncode == 1 and b"do not match" in r.stderr
    assert run([tern, "passwd", "-D", path, "bob"]).returncode == 0
    r = run([tern, "passwd", "-D", path, "nobody"])
    assert r.returncode == 1 and b"not found" in r.stderr
    r = run([tern, "passwd", "-b", path, "a:b", "x"])
    assert r.returncode == 1
    with open(path) as f:
        users = [l.split(":")[0] for l in f.read().splitlines()]
    assert users == ["alice", "carol"]
    os.chmod(path, 0o644)
    b = broker_factory(conf=["allow_anonymous false",
                             "password_file " + path])
    for user, pw, ok in [("alice", "a1", True), ("carol", "c3", True),
                         ("bob", "b2", False), ("alice", "no", False)]:
        r = run([tern, "pub"] + addr(b.port) +
                ["-t", "t", "-m", "x", "-u", user, "-P", pw])
        assert (r.returncode == 0) == ok, (user, r.stderr)


def test_passwd_upgrade_plain_file(tern, tmp_path):
    path = tmp_path / "plain"
    path.write_text("u1:p1\nu2:p2\n")
    assert run([tern, "passwd", "-U", str(path)]).returncode == 0
    lines = path.read_text().splitlines()
    assert [l.split(":")[0] for l in lines] == ["u1", "u2"]
    assert all(l.split(":")[1].startswith("$7$101$") for l in lines)


@pytest.mark.parametrize("qos", [0, 1, 2])
def test_bench_runs(broker_factory, tern, qos):
    """A small fan-out run: 500 messages to 2 subscribers, all accounted
    (tests/bench checks the accounting in depth). mosquitto 2.0.11 loses
    QoS 2 messages queued behind a full window, so the window is opened."""
    broker = broker_factory(["max_inflight_messages 0"])
    r = run([tern, "bench", "fanout"] + addr(broker.port) +
            ["-q", str(qos), "--count", "500", "-c", "2", "-m", "32",
             "--json"], timeout=60)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout.decode())
    assert report["sent"] == 500
    assert report["received"] == 1000
    assert report["expected"] == 1000
