"""MQTT 3.1.1 sections 3.4 to 3.7: PUBACK, PUBREC, PUBREL, PUBCOMP.

Only PUBREL has a numbered statement of its own; the acknowledgement flows
are tested under section 4.3.
"""
import pytest

import mqttraw
from mqttraw import publish

from .helpers import expect, session


@pytest.mark.parametrize("first", [0x60, 0x61, 0x63, 0x64, 0x6A, 0x6F])
def test_mqtt_3_6_1_1_pubrel_flags_must_be_0010(broker, first):
    """A PUBREL whose fixed header flags are not 0010 is malformed: the
    connection is closed and no PUBCOMP is sent."""
    c = session(broker.port, "rel")
    c.send(publish("rel/t", b"x", qos=2, pid=4))
    assert expect(c, "PUBREC").pid() == 4
    c.send(mqttraw.packet(first, b"\x00\x04"))
    assert c.closed(), "PUBREL with flags %x accepted" % (first & 0xF)


def test_mqtt_3_6_1_1_valid_pubrel_completes(broker):
    """Counterpart: the same exchange with flags 0010 gets PUBCOMP."""
    c = session(broker.port, "rel")
    c.send(publish("rel/t", b"x", qos=2, pid=4))
    assert expect(c, "PUBREC").pid() == 4
    c.send(mqttraw.packet(0x62, b"\x00\x04"))
    assert expect(c, "PUBCOMP").pid() == 4
