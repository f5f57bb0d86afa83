"""The programs in examples/ run against a real broker."""
import os
import time

import pytest

from conftest import EXAMPLES, MOSQ_PUB, Proc, run


def example(name):
    path = os.path.join(EXAMPLES, name)
    if not os.access(path, os.X_OK):
        pytest.skip("example not built: " + path)
    return path


def hp(b):
    return ["127.0.0.1", str(b.port)]


@pytest.mark.mqtt5
def test_connect_auth(broker_factory, passwd_file):
    prog = example("connect_auth")
    pw = passwd_file({"demo": "secret"})
    b = broker_factory(conf=["allow_anonymous false", "password_file " + pw])
    r = run([prog] + hp(b) + ["demo", "secret"])
    assert r.returncode == 0, r.stderr
    assert b"connected as example-connect" in r.stdout
    r = run([prog] + hp(b) + ["demo", "wrong"])
    assert r.returncode == 1
    assert b"refused" in r.stderr


@pytest.mark.mqtt5
def test_publish(broker):
    from conftest import MOSQ_SUB, messages, start_sub
    sub = start_sub([MOSQ_SUB, "-h", "127.0.0.1", "-p", str(broker.port),
                     "-t", "example/greeting", "-V", "5", "-C", "1",
                     "-F", "%p|%C|%P"])
    r = run([example("publish")] + hp(broker))
    assert r.returncode == 0, r.stderr
    rc, out, _ = sub.finish()
    assert messages(out) == [b"hello from libtern|text/plain|"
                             b"sender:publish.c\n"]


def test_subscribe_wildcards(broker):
    p = Proc([example("subscribe_wildcards")] + hp(broker) + ["3"])
    p.wait_line(lambda l: l.startswith(b"filter 1 granted"))
    for topic, msg in [("sensors/kitchen/temperature", "21"),
                       ("sensors/kitchen/humidity", "40"),
                       ("alerts/fire", "yes"), ("alerts", "x")]:
        run([MOSQ_PUB, "-h", "127.0.0.1", "-p", str(broker.port),
             "-t", topic, "-m", msg])
    rc, out, err = p.finish()
    assert rc == 0, err
    assert out[-3:] == [b"sensors/kitchen/temperature: 21\n",
                        b"alerts/fire: yes\n", b"alerts: x\n"]


@pytest.mark.mqtt5
def test_qos_levels(broker):
    r = run([example("qos_levels")] + hp(broker))
    assert r.returncode == 0, r.stderr
    for q in range(3):
        assert b"received 'sent at QoS %d' at QoS %d" % (q, q) in r.stdout
    assert r.stdout.count(b"complete: ok") == 2


def test_retained(broker):
    r = run([example("retained")] + hp(broker))
    assert r.returncode == 0, r.stderr
    assert b"late subscriber got 'online', retain flag 1" in r.stdout


def test_last_will(broker):
    r = run([example("last_will")] + hp(broker))
    assert r.returncode == 0, r.stderr
    assert b"watcher got will on example/workers/7/status: worker 7 went " \
        b"away" in r.stdout
