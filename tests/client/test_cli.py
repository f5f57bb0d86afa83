"""The `tern` command's errors and exit codes, as mosquitto's clients
give them: 0, the CONNACK code of a refusal, 27 for a timeout, 1 for the
rest, with one clear line on stderr."""
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
