"""MQTT 3.1.1 section 3.12: PINGREQ."""
import mqttraw

from .helpers import session


def test_mqtt_3_12_4_1_pingresp_for_pingreq(broker):
    """Every PINGREQ gets a PINGRESP (fixed header D0 00), also when
    several are pipelined."""
    c = session(broker.port, "ping")
    c.send(mqttraw.PINGREQ)
    p = c.recv()
    assert (p.name, p.flags, p.body) == ("PINGRESP", 0, b"")
    c.send(mqttraw.PINGREQ * 5)
    for _ in range(5):
        p = c.recv()
        assert (p.name, p.flags, p.body) == ("PINGRESP", 0, b"")
