"""Signals: SIGTERM and SIGINT stop the broker promptly with exit status 0,
closing client connections; SIGHUP (reload) keeps it running."""
import signal
import subprocess
import threading
import time

import pytest

import mqttraw
from helpers import go_offline, uid

PROMPT = 3.0


def stop_with(b, sig):
    t0 = time.time()
    b.proc.send_signal(sig)
    rc = b.proc.wait(timeout=10)
    return rc, time.time() - t0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_exits_zero_promptly(broker_factory, pahof, sig):
    """The broker exits with status 0 within a few seconds of SIGTERM or
    SIGINT, with clients connected and a persistent session stored, and
    the clients' connections are closed."""
    b = broker_factory()
    c = pahof(b, uid())
    c.subscribe("sig/#", 1)
    go_offline(b, uid("p"), [("sig/#", 1)])
    raw = mqttraw.Client(b.port)
    raw.connect(uid())
    rc, took = stop_with(b, sig)
    assert rc == 0, b.read_log()[-2000:]
    assert took < PROMPT, took
    assert raw.closed()
    c.wait_disconnected()             # paho saw the close too
    raw.close()


def test_sigterm_under_load(broker_factory, pahof):
    """SIGTERM while publishers are busy: still a prompt exit 0."""
    b = broker_factory()
    sub = pahof(b, uid())
    sub.subscribe("load/#", 1)
    stop = threading.Event()

    conns = []
    for _ in range(4):
        c = mqttraw.Client(b.port)
        c.connect(uid())
        conns.append(c)

    def blast(c):
        i = 0
        try:
            while not stop.is_set():
                c.send(mqttraw.publish("load/x", b"p" * 512, qos=1, pid=i % 65535 + 1))
                i += 1
        except OSError:
            pass       # the broker went away

    threads = [threading.Thread(target=blast, args=(c,), daemon=True) for c in conns]
    for t in threads:
        t.start()
    sub.get()                         # traffic is flowing
    rc, took = stop_with(b, signal.SIGTERM)
    stop.set()
    for t in threads:
        t.join(5)
    for c in conns:
        c.close()
    assert rc == 0
    assert took < PROMPT, took


def test_sighup_keeps_running(broker_factory, pahof):
    """SIGHUP asks for a configuration reload; the broker keeps running,
    existing connections keep working and new ones are accepted."""
    b = broker_factory()
    c = pahof(b, uid())
    topic = "hup/" + uid()
    c.subscribe(topic, 1)
    b.proc.send_signal(signal.SIGHUP)
    # Nothing observable marks the end of a reload, so give a process that
    # would die of SIGHUP a moment to do so.
    with pytest.raises(subprocess.TimeoutExpired):
        b.proc.wait(timeout=0.5)
    late = pahof(b, uid())
    late.publish(topic, b"after hup", qos=1)
    assert c.get().payload == b"after hup"
    assert b.alive()
    r = mqttraw.Client(b.port)
    r.connect(uid())
    r.subscribe([(topic, 0)])
    c.publish(topic, b"again", qos=1)
    assert r.expect("PUBLISH")
    r.close()
