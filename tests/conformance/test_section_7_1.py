"""MQTT 3.1.1 section 7.1: conformance of the Server's transport."""
import time

import mqttraw
from mqttraw import connect, publish, subscribe

from .helpers import all_msgs, expect, session


def test_mqtt_7_1_1_1_ordered_byte_stream(broker):
    """The Server reads MQTT from an ordered stream of bytes, whatever the
    segmentation: packets sent one byte at a time, and many packets in a
    single write, are all processed in order."""
    c = mqttraw.Client(broker.port)
    data = (connect("stream") + subscribe(1, [("st/t", 1)])
            + publish("st/t", b"trickled", qos=1, pid=2))
    for i in range(len(data)):
        c.send(data[i:i + 1])
        if i % 8 == 0:
            time.sleep(0.002)
    assert expect(c, "CONNACK").body == b"\x00\x00"
    assert expect(c, "SUBACK").pid() == 1
    assert expect(c, "PUBACK").pid() == 2
    got = all_msgs(c)
    assert [m.payload for m in got] == [b"trickled"]
    p = session(broker.port, "burst")
    p.send(b"".join(publish("st/t", b"%03d" % i, qos=1, pid=i + 1)
                    for i in range(200)))
    for i in range(200):
        assert expect(p, "PUBACK").pid() == i + 1
    got = all_msgs(c)
    assert [m.payload for m in got] == [b"%03d" % i for i in range(200)]
