"""MQTT 3.1.1 section 3.14: DISCONNECT."""
import pytest

import mqttraw

from .helpers import (disconnect, nothing_received, recv_msg, session, sub)


@pytest.mark.parametrize("first", [0xE1, 0xE2, 0xE4, 0xE8, 0xEF])
def test_mqtt_3_14_1_1_disconnect_reserved_bits(broker, first):
    """A DISCONNECT with non-zero reserved bits is not a valid DISCONNECT:
    the Server disconnects the Client, and as the Client did not
    disconnect properly its Will is published."""
    w = session(broker.port, "w")
    sub(w, [("dw/#", 1)])
    c = session(broker.port, "bad", will=("dw/bad", b"will", 1, False))
    c.send(mqttraw.packet(first, b""))
    assert c.closed()
    m = recv_msg(w)
    assert m.payload == b"will"


def test_mqtt_3_14_4_3_disconnect_discards_will(broker):
    w = session(broker.port, "w")
    sub(w, [("dw/#", 1)])
    c = session(broker.port, "good", will=("dw/good", b"will", 1, False))
    disconnect(c)
    assert nothing_received(w), "Will published after DISCONNECT"
