"""MQTT 3.1.1 section 4.8: handling errors."""
import pytest

from mqttraw import packet

from .helpers import recv_msg, session, sub

VIOLATIONS = {
    "reserved_type_0": packet(0x00, b""),
    "reserved_type_15": packet(0xF0, b""),
    "connack_from_client": packet(0x20, b"\x00\x00"),
    "remaining_length_5_bytes": b"\x30\xff\xff\xff\xff\x01",
    "subscribe_truncated": packet(0x82, b"\x00\x01\x00\x05ab"),
    "unsubscribe_truncated": packet(0xA2, b"\x00\x01\x00\x05ab"),
    "pubrel_truncated": packet(0x62, b"\x00"),
    "disconnect_with_payload": packet(0xE0, b"\x00"),
    "pubcomp_too_short": packet(0x70, b"\x00"),
}

# Packets only a Server may send, and fixed-size packets that are too
# long.
VIOLATIONS_IGNORED_BY_MOSQUITTO = {
    "suback_from_client": packet(0x90, b"\x00\x01\x00"),
    "unsuback_from_client": packet(0xB0, b"\x00\x01"),
    "pingresp_from_client": packet(0xD0, b""),
    "puback_too_long": packet(0x40, b"\x00\x01\x00"),
    "pingreq_with_payload": packet(0xC0, b"\x00"),
}


def _violation_closes(broker, data):
    w = session(broker.port, "w")
    sub(w, [("w/#", 1)])
    c = session(broker.port, "v", will=("w/v", b"violated", 1, False))
    c.send(data)
    assert c.closed(), "connection left open after a protocol violation"
    # Closed without DISCONNECT: the Will goes out.
    assert recv_msg(w).payload == b"violated"


@pytest.mark.parametrize("case", sorted(VIOLATIONS))
def test_mqtt_4_8_0_1_protocol_violation_closes(broker, case):
    _violation_closes(broker, VIOLATIONS[case])


# mosquitto 2.0.11 silently ignores SUBACK, UNSUBACK and PINGRESP sent by a
# client, ignores bytes after the packet identifier of a PUBACK, and
# answers a PINGREQ with a non-zero remaining length with a PINGRESP; the
# connection stays open in every case.
@pytest.mark.mosquitto_differs
@pytest.mark.parametrize("case", sorted(VIOLATIONS_IGNORED_BY_MOSQUITTO))
def test_mqtt_4_8_0_1_protocol_violation_closes_strict(broker, case):
    _violation_closes(broker, VIOLATIONS_IGNORED_BY_MOSQUITTO[case])
