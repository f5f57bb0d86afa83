"""MQTT 3.1.1 section 4.5: message receipt."""

from .helpers import disconnect, pub, recv_msg, session, sub


def test_mqtt_4_5_0_1_message_added_to_every_matching_session(broker):
    """A message the Server accepted goes into the session of every client
    with a matching subscription: connected ones, and a disconnected
    CleanSession 0 one, each with the filter that matched."""
    a = session(broker.port, "a")
    sub(a, [("rc/t", 1)])
    b = session(broker.port, "b")
    sub(b, [("rc/+", 2)])
    c = session(broker.port, "c", clean=False)
    sub(c, [("#", 1)])
    disconnect(c)
    n = session(broker.port, "n")
    sub(n, [("rc/other", 1)])
    p = session(broker.port, "pub")
    pub(p, "rc/t", b"for-all", qos=2)
    assert (recv_msg(a).qos, recv_msg(b).qos) == (1, 2)
    c = session(broker.port, "c", clean=False, expect_present=True)
    m = recv_msg(c)
    assert (m.topic, m.payload, m.qos) == ("rc/t", b"for-all", 1)
    pub(p, "rc/other", b"marker", qos=1, pid=2)
    assert recv_msg(n).payload == b"marker"
