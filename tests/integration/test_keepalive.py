"""Keep-alive: a silent client is disconnected after 1.5 x its keep-alive;
PINGREQ or any other packet keeps it alive; keep-alive 0 disables it."""
import time

import pytest

import mqttraw
from helpers import uid


def alive(c):
    c.send(mqttraw.PINGREQ)
    while True:
        p = c.recv()
        if p.name == "PINGRESP":
            return True


def test_mqtt_3_1_2_24_silent_client_disconnected_others_kept(broker, rawf, pahof):
    """[MQTT-3.1.2-24] With keep-alive 1 s, a client that sends nothing is
    disconnected (not before 1 s; the upper bound is loose because mosquitto
    checks keep-alives only every five seconds or so). Connected at the same
    moment: a client sending PINGREQ every 0.4 s [MQTT-3.12.4-1], one
    sending QoS 0 PUBLISHes instead, one with keep-alive 0, and a paho
    client with keep-alive 1 (which pings on its own) all survive it."""
    silent = rawf(broker, uid(), keepalive=1)
    t0 = time.time()
    pinger = rawf(broker, uid(), keepalive=1)
    talker = rawf(broker, uid(), keepalive=1)
    idle = rawf(broker, uid(), keepalive=0)
    paho = pahof(broker, uid(), keepalive=1)
    closed_at = None
    while time.time() - t0 < 10:
        pinger.send(mqttraw.PINGREQ)
        assert pinger.expect("PINGRESP")
        talker.send(mqttraw.publish("ka/" + uid(), b"x"))
        if silent.closed(timeout=0.4):
            closed_at = time.time() - t0
            break
    assert closed_at is not None, "silent client never disconnected"
    assert closed_at >= 1.0, closed_at
    for c in (pinger, talker, idle):
        assert alive(c)
    topic = "ka/" + uid()
    paho.subscribe(topic, 1)
    paho.publish(topic, b"still here", qos=1)
    assert paho.get().payload == b"still here"
    assert paho.disconnects.empty()


@pytest.mark.mosquitto_differs
@pytest.mark.parametrize("keepalive", [1, 2])
def test_mqtt_3_1_2_24_disconnect_at_one_and_a_half_keepalive(broker, rawf, keepalive):
    """[MQTT-3.1.2-24] The disconnect comes at about 1.5 x keep-alive: not
    before 1 x keep-alive, and within 1.5 x + 1 s. (mosquitto 2.0.11 runs its
    keep-alive check at most every five seconds, so it disconnects up to
    about six seconds late.)"""
    c = rawf(broker, uid(), keepalive=keepalive)
    t0 = time.time()
    assert c.closed(timeout=1.5 * keepalive + 3)
    took = time.time() - t0
    assert keepalive <= took <= 1.5 * keepalive + 1.0, took


@pytest.mark.parametrize("version", [3, 4], ids=["v31", "v311"])
def test_mqtt_3_12_4_1_pingresp(broker, rawf, version):
    """[MQTT-3.12.4-1] PINGREQ is answered with PINGRESP (two bytes,
    D0 00), repeatedly."""
    c = rawf(broker, uid(), version=version)
    for _ in range(3):
        c.send(mqttraw.PINGREQ)
        p = c.expect("PINGRESP")
        assert p.flags == 0 and p.body == b""
