"""Will messages: published when a connection ends without DISCONNECT
(socket closed, keep-alive expired, protocol error, takeover), never after
DISCONNECT; will QoS and retain are honoured."""
import time

import pytest

import mqttraw
from helpers import (PROTOCOLS, PROTO_IDS, raw_disconnect, raw_drop,
                     sentinel, uid)


def watcher(pahof, broker, topic, qos=2):
    w = pahof(broker, uid())
    w.subscribe([(topic, qos), ("sentinel", 2)])
    return w


@pytest.mark.parametrize("version", [3, 4], ids=["v31", "v311"])
def test_mqtt_3_1_2_8_will_on_socket_close(broker, rawf, pahof, version):
    """[MQTT-3.1.2-8] The will is published when the network connection
    closes without DISCONNECT."""
    topic = "will/" + uid()
    w = watcher(pahof, broker, topic)
    c = rawf(broker, uid(), version=version, will=(topic, b"bye", 1, False))
    c.close()
    m = w.get()
    assert (m.topic, m.payload, m.qos, m.retain) == (topic, b"bye", 1, False)


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=PROTO_IDS.get)
def test_paho_will_on_abrupt_close(broker, pahof, protocol):
    """paho's will_set, connection dropped without DISCONNECT."""
    topic = "will/" + uid()
    w = watcher(pahof, broker, topic)
    c = pahof(broker, uid(), protocol=protocol, will=(topic, b"paho gone", 0, False))
    c.close()
    m = w.get()
    assert (m.payload, m.qos) == (b"paho gone", 0)


def test_will_on_keepalive_expiry(broker, rawf, pahof):
    """[MQTT-3.1.2-8] [MQTT-3.1.2-24] A client that goes silent past its
    keep-alive is disconnected by the server and its will published (the
    bound is loose: mosquitto checks keep-alives only every few seconds)."""
    topic = "will/" + uid()
    w = watcher(pahof, broker, topic)
    t0 = time.time()
    rawf(broker, uid(), keepalive=1, will=(topic, b"timed out", 1, False))
    m = w.get(timeout=10)
    assert m.payload == b"timed out"
    assert time.time() - t0 >= 1.0


@pytest.mark.parametrize("garbage", [
    b"\xff" * 8,
    b"\x00\x00",
    # mosquitto 2.0.11 closes the connection on a second CONNECT but drops
    # the will instead of publishing it.
    pytest.param(mqttraw.connect("again"), marks=pytest.mark.mosquitto_differs),
], ids=["garbage", "type0", "second-connect"])
def test_will_on_protocol_error(broker, rawf, pahof, garbage):
    """[MQTT-3.1.2-8] [MQTT-4.8.0-1] A protocol error makes the server close
    the connection, and the will is published."""
    topic = "will/" + uid()
    w = watcher(pahof, broker, topic)
    c = rawf(broker, uid(), will=(topic, b"broken", 1, False))
    c.send(garbage)
    assert c.closed()
    assert w.get().payload == b"broken"


@pytest.mark.parametrize("version", [3, 4], ids=["v31", "v311"])
def test_will_on_takeover(broker, rawf, pahof, version):
    """When a new connection takes over the client id, the old connection
    ended without DISCONNECT, so its will is published; the new
    connection's will is not."""
    topic = "will/" + uid()
    w = watcher(pahof, broker, topic)
    cid = uid("w")
    first = rawf(broker, cid, version=version, will=(topic, b"first", 1, False))
    second = rawf(broker, cid, version=version, will=(topic, b"second", 1, False))
    assert first.closed()
    assert w.get().payload == b"first"
    raw_disconnect(second)
    assert sentinel(pahof(broker, uid()), w) == []


@pytest.mark.parametrize("version", [3, 4], ids=["v31", "v311"])
def test_mqtt_3_14_4_3_no_will_after_disconnect(broker, rawf, pahof, version):
    """[MQTT-3.1.2-10] [MQTT-3.14.4-3] After DISCONNECT the will is
    discarded, not published."""
    topic = "will/" + uid()
    w = watcher(pahof, broker, topic)
    c = rawf(broker, uid(), version=version, will=(topic, b"never", 2, True))
    raw_disconnect(c)
    assert sentinel(pahof(broker, uid()), w) == []
    # Nor was it retained.
    late = watcher(pahof, broker, topic)
    assert sentinel(pahof(broker, uid()), late) == []


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=PROTO_IDS.get)
def test_paho_clean_disconnect_no_will(broker, pahof, protocol):
    """paho disconnect(): no will."""
    topic = "will/" + uid()
    w = watcher(pahof, broker, topic)
    c = pahof(broker, uid(), protocol=protocol, will=(topic, b"never", 1, False))
    c.subscribe("x/" + uid(), 0)   # a round trip: the session is in place
    c.disconnect()
    assert sentinel(pahof(broker, uid()), w) == []


@pytest.mark.parametrize("will_qos", [0, 1, 2])
def test_mqtt_3_1_2_17_will_qos_and_retain(broker, rawf, pahof, will_qos):
    """[MQTT-3.1.2-14] [MQTT-3.1.2-17] The will is published at its will QoS
    (a subscriber at QoS 2 gets it at that QoS) and, with will retain set,
    kept as the retained message of its topic (live delivery RETAIN=0,
    later subscribers RETAIN=1)."""
    topic = "will/" + uid()
    w = watcher(pahof, broker, topic)
    c = rawf(broker, uid(), will=(topic, b"last words", will_qos, True))
    raw_drop(c)
    m = w.get()
    assert (m.payload, m.qos, m.retain) == (b"last words", will_qos, False)
    late = pahof(broker, uid())
    late.subscribe(topic, 2)
    m = late.get()
    assert (m.payload, m.qos, m.retain) == (b"last words", will_qos, True)


def test_mqtt_3_1_2_16_will_retain_0_not_retained(broker, rawf, pahof):
    """[MQTT-3.1.2-16] With will retain 0 the will is published as a
    non-retained message: later subscribers do not get it."""
    topic = "will/" + uid()
    w = watcher(pahof, broker, topic)
    c = rawf(broker, uid(), will=(topic, b"once", 1, False))
    raw_drop(c)
    assert w.get().payload == b"once"
    late = watcher(pahof, broker, topic)
    assert sentinel(pahof(broker, uid()), late) == []


def test_will_qos_downgraded_to_subscription(broker, rawf, pahof):
    """A QoS 2 will goes to a QoS 0 subscriber at QoS 0 [MQTT-3.8.4-6]."""
    topic = "will/" + uid()
    w = pahof(broker, uid())
    w.subscribe(topic, 0)
    c = rawf(broker, uid(), will=(topic, b"w", 2, False))
    raw_drop(c)
    m = w.get()
    assert (m.payload, m.qos) == (b"w", 0)
