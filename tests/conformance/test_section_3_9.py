"""MQTT 3.1.1 section 3.9: SUBACK."""
import socket

from mqttraw import subscribe

from .helpers import QUIET, expect, pub, recv_msg, session, sub


def test_mqtt_3_9_3_1_return_codes_in_filter_order(broker):
    """The i-th return code answers the i-th filter: a message on each
    filter's topic arrives at the QoS granted in that position."""
    req = [("o/a", 2), ("o/b", 0), ("o/c", 1), ("o/d", 2), ("o/e", 0),
           ("o/f", 1)]
    s = session(broker.port, "ord")
    codes = sub(s, req)
    assert len(codes) == len(req)
    p = session(broker.port, "pub")
    for i, (f, q) in enumerate(req):
        pub(p, f, f.encode(), qos=2, pid=i + 1)
    got = {}
    try:
        while True:
            m = recv_msg(s, timeout=QUIET)
            got[m.topic] = m.qos
    except socket.timeout:
        pass
    for (f, q), code in zip(req, codes):
        if code == 0x80:
            assert f not in got
        else:
            assert code <= q
            assert got.get(f) == code, (f, code, got)


def test_mqtt_3_9_3_2_only_defined_return_codes(broker):
    s = session(broker.port, "codes")
    s.send(subscribe(1, [("c/%d" % i, i % 3) for i in range(12)]
                     + [("c/+/x", 2), ("#", 1), ("$SYS/#", 0)]))
    ack = expect(s, "SUBACK")
    codes = list(ack.body[2:])
    assert len(codes) == 15
    assert set(codes) <= {0x00, 0x01, 0x02, 0x80}, codes
