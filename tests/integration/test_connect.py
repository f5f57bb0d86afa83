"""CONNECT / CONNACK: protocol levels, client identifiers, authentication,
and what happens to a connection that never says CONNECT."""
import os
import shutil
import tempfile
import time

import pytest

import mqttraw
from helpers import (MQTTv311, PROTOCOLS, PROTO_IDS, WAIT,
                     make_passwd, sentinel, uid)


def connack_rc(p):
    assert p.name == "CONNACK"
    assert len(p.body) == 2
    return p.body[1]


# -- protocol levels ------------------------------------------------------

@pytest.mark.parametrize("version", [3, 4], ids=["MQIsdp3", "MQTT4"])
def test_connack_for_31_and_311(broker, version):
    """MQTT 3.1 ("MQIsdp", level 3) and 3.1.1 ("MQTT", level 4) are both
    accepted with a two-byte CONNACK, return code 0, flags 0 [MQTT-3.2.0-1]."""
    c = mqttraw.Client(broker.port)
    c.send(mqttraw.connect(uid(), version=version))
    p = c.recv()
    assert p.name == "CONNACK" and p.flags == 0
    assert p.body == b"\x00\x00"
    # The connection is usable: PINGREQ gets PINGRESP.
    c.send(mqttraw.PINGREQ)
    c.expect("PINGRESP")
    c.close()


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=PROTO_IDS.get)
def test_paho_connects_and_round_trips(paho, protocol):
    """A paho client at either protocol level connects, subscribes and gets
    its own message back."""
    c = paho(uid(), protocol=protocol)
    topic = "conn/" + uid()
    assert c.subscribe(topic, 1) == [1]
    c.publish(topic, b"hello", qos=1)
    m = c.get()
    assert (m.topic, m.payload, m.qos) == (topic, b"hello", 1)


def test_mqtt_3_1_2_2_unsupported_protocol_level(broker):
    """[MQTT-3.1.2-2] An unsupported protocol level gets CONNACK 0x01 and
    the connection is closed."""
    c = mqttraw.Client(broker.port)
    c.send(mqttraw.connect(uid(), version=7, proto_name="MQTT"))
    p = c.recv()
    assert connack_rc(p) == 1
    assert p.body[0] == 0  # [MQTT-3.2.2-4] session present 0 on refusal
    assert c.closed()


def test_mqtt_3_1_2_1_wrong_protocol_name_closed(broker):
    """[MQTT-3.1.2-1] A CONNECT whose protocol name is not MQTT (for level
    4) is not processed: no successful CONNACK, the connection is closed."""
    c = mqttraw.Client(broker.port)
    c.send(mqttraw.connect(uid(), version=4, proto_name="MQTX"))
    try:
        p = c.recv()
    except ConnectionError:
        return
    assert connack_rc(p) != 0
    assert c.closed()


def test_mqtt_3_1_2_3_reserved_connect_flag_closed(broker):
    """[MQTT-3.1.2-3] The reserved bit of the connect flags must be 0; the
    server closes the connection without accepting it."""
    c = mqttraw.Client(broker.port)
    c.send(mqttraw.connect(uid(), flags=0x03))
    try:
        p = c.recv()
    except ConnectionError:
        return
    assert connack_rc(p) != 0
    assert c.closed()


# -- client identifiers ---------------------------------------------------

def test_mqtt_3_1_3_6_empty_client_id_gets_unique_id(broker, rawf):
    """[MQTT-3.1.3-6] An empty client id with clean session is accepted and
    the server assigns a unique id: two such clients live side by side
    (neither takes the other over) and both receive messages."""
    a = rawf(broker, "", clean=True)
    b = rawf(broker, "", clean=True)
    assert a.connack.body == b"\x00\x00"
    assert b.connack.body == b"\x00\x00"
    topic = "anon/" + uid()
    assert a.subscribe([(topic, 0)]) == [0]
    assert b.subscribe([(topic, 0)]) == [0]
    p = rawf(broker)
    p.send(mqttraw.publish(topic, b"x"))
    for c in (a, b):
        m = c.expect("PUBLISH")
        assert m.publish_fields()[0] == topic


def test_paho_v311_empty_client_id(paho):
    """paho at 3.1.1 sends an empty id when given none; the broker accepts."""
    c = paho("", protocol=MQTTv311)
    topic = "anon/" + uid()
    c.subscribe(topic, 0)
    c.publish(topic, b"x")
    assert c.get().payload == b"x"


def test_mqtt_3_1_3_8_empty_id_without_clean_session_rejected(broker):
    """[MQTT-3.1.3-8] An empty client id with clean session 0 is refused
    with CONNACK 0x02 (identifier rejected) and the connection closed."""
    c = mqttraw.Client(broker.port)
    p = c.connect("", version=4, clean=False)
    assert connack_rc(p) == 2
    assert p.body[0] == 0  # [MQTT-3.2.2-4]
    assert c.closed()       # [MQTT-3.2.2-5]


def test_v31_empty_client_id_rejected(broker):
    """MQTT 3.1 requires a client id of 1 to 23 characters: an empty one is
    refused with return code 2 (identifier rejected) and the connection
    closed."""
    c = mqttraw.Client(broker.port)
    p = c.connect("", version=3, clean=True)
    assert connack_rc(p) == 2
    assert c.closed()


def test_v31_23_character_client_id_accepted(broker):
    """MQTT 3.1: a 23-character client id is within the limit."""
    c = mqttraw.Client(broker.port)
    assert connack_rc(c.connect("a" * 23, version=3)) == 0
    c.close()


@pytest.mark.mosquitto_differs
def test_v31_24_character_client_id_rejected(broker):
    """MQTT 3.1 limits client ids to 23 characters: a 24-character id at
    level 3 gets CONNACK return code 2 and the connection is closed.
    (mosquitto 2.0.11 accepts it: it does not apply the 3.1 limit.)"""
    c = mqttraw.Client(broker.port)
    assert connack_rc(c.connect("b" * 24, version=3)) == 2
    assert c.closed()


@pytest.mark.parametrize("length", [24, 100, 1000])
def test_v311_long_client_id_accepted(broker, length):
    """MQTT 3.1.1 has no 23-character limit for the server ([MQTT-3.1.3-5]
    is a minimum): longer ids work at level 4, and the session is keyed on
    the whole id (two ids sharing the first 23 characters coexist)."""
    base = "c" * (length - 1)
    a = mqttraw.Client(broker.port)
    b = mqttraw.Client(broker.port)
    assert connack_rc(a.connect(base + "1", version=4)) == 0
    assert connack_rc(b.connect(base + "2", version=4)) == 0
    # Neither took the other over.
    for c in (a, b):
        c.send(mqttraw.PINGREQ)
        c.expect("PINGRESP")
    a.close()
    b.close()


# -- authentication -------------------------------------------------------

@pytest.fixture
def auth_broker(broker_factory):
    """A broker with a mosquitto_passwd file (user/pass, other/secret) and
    anonymous access off. The file lives in a world-readable directory:
    mosquitto started as root drops to its own user before reading it."""
    d = tempfile.mkdtemp(prefix="tern-pw-")
    os.chmod(d, 0o755)
    path = make_passwd(os.path.join(d, "passwd"), {"user": "pass", "other": "secret"})
    os.chmod(path, 0o644)
    try:
        yield broker_factory(["allow_anonymous false", "password_file " + path])
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.mark.parametrize("version", [3, 4], ids=["v31", "v311"])
def test_password_file_right_password_accepted(auth_broker, version):
    """Credentials from a mosquitto_passwd file are accepted."""
    for user, pw in (("user", "pass"), ("other", "secret")):
        c = mqttraw.Client(auth_broker.port)
        assert connack_rc(c.connect(uid(), version=version, username=user,
                                    password=pw)) == 0
        c.send(mqttraw.PINGREQ)
        c.expect("PINGRESP")
        c.close()


@pytest.mark.parametrize("version", [3, 4], ids=["v31", "v311"])
@pytest.mark.parametrize("user,pw", [("user", "wrong"), ("user", "secret"),
                                     ("nobody", "pass"), ("user", "")],
                         ids=["wrong", "other-users", "unknown-user", "empty"])
def test_password_file_wrong_password_refused(auth_broker, version, user, pw):
    """A wrong password or unknown user is refused and the connection
    closed. mosquitto answers 5 (not authorized); 4 (bad user name or
    password) is the other fitting code, and either is accepted."""
    c = mqttraw.Client(auth_broker.port)
    p = c.connect(uid(), version=version, username=user, password=pw)
    assert connack_rc(p) in (4, 5)
    assert p.body[0] == 0
    assert c.closed()


@pytest.mark.parametrize("version", [3, 4], ids=["v31", "v311"])
def test_allow_anonymous_false_refuses_no_credentials(auth_broker, version):
    """With allow_anonymous false a CONNECT without user name is refused
    (4 or 5) and the connection closed; so is a user name with no password
    when the password file requires one."""
    c = mqttraw.Client(auth_broker.port)
    assert connack_rc(c.connect(uid(), version=version)) in (4, 5)
    assert c.closed()
    c = mqttraw.Client(auth_broker.port)
    assert connack_rc(c.connect(uid(), version=version, username="user")) in (4, 5)
    assert c.closed()


def test_paho_auth(auth_broker, pahof):
    """paho with username_pw_set: right password works end to end, wrong
    one is refused."""
    ok = pahof(auth_broker, uid(), username="user", password="pass")
    topic = "auth/" + uid()
    ok.subscribe(topic, 1)
    ok.publish(topic, b"in", qos=1)
    assert ok.get().payload == b"in"
    bad = pahof(auth_broker, uid(), username="user", password="nope",
                connect=False)
    _, rc = bad.connect(expect_rc=None)
    assert rc in (4, 5)


def test_mqtt_3_1_4_5_refused_connect_data_not_processed(auth_broker, pahof):
    """[MQTT-3.1.4-5] Data sent after a refused CONNECT is not processed: a
    PUBLISH pipelined behind a CONNECT with a bad password never reaches a
    subscriber."""
    sub = pahof(auth_broker, uid(), username="user", password="pass")
    topic = "auth/" + uid()
    sub.subscribe([(topic, 0), ("sentinel", 0)])
    c = mqttraw.Client(auth_broker.port)
    c.send(mqttraw.connect(uid(), username="user", password="bad") +
           mqttraw.publish(topic, b"sneaky"))
    p = c.recv()
    assert connack_rc(p) in (4, 5)
    assert c.closed()
    pub = pahof(auth_broker, uid(), username="user", password="pass")
    assert sentinel(pub, sub) == []


# -- a socket that never sends CONNECT ------------------------------------

@pytest.mark.tern_only
def test_connect_timeout_closes_silent_socket(broker_factory, pahof):
    """connect_timeout (a Tern directive): a socket that sends nothing, or
    only part of a CONNECT, is closed after about that many seconds, and
    does not disturb a working client."""
    b = broker_factory(["connect_timeout 1"])
    ok = pahof(b, uid())
    silent = mqttraw.Client(b.port)
    partial = mqttraw.Client(b.port)
    partial.send(mqttraw.connect(uid())[:5])
    t0 = time.time()
    assert silent.closed(timeout=WAIT)
    assert partial.closed(timeout=WAIT)
    took = time.time() - t0
    assert 0.5 <= took <= 4.0, took
    topic = "ct/" + uid()
    ok.subscribe(topic, 0)
    ok.publish(topic, b"still here")
    assert ok.get().payload == b"still here"


@pytest.mark.tern_only
def test_connect_timeout_spares_connected_clients(broker_factory):
    """connect_timeout applies only until CONNECT: a connected client with
    keep-alive 0 outlives it."""
    b = broker_factory(["connect_timeout 1"])
    c = mqttraw.Client(b.port)
    c.connect(uid(), keepalive=0)
    silent = mqttraw.Client(b.port)
    assert silent.closed(timeout=WAIT)   # the timeout has fired by now
    c.send(mqttraw.PINGREQ)
    c.expect("PINGRESP")
    c.close()


# -- max_keepalive --------------------------------------------------------

@pytest.mark.tern_only
@pytest.mark.parametrize("version", [3, 4], ids=["v31", "v311"])
def test_max_keepalive_refuses_longer_keepalive(broker_factory, version):
    """max_keepalive 10: a 3.x client asking for a longer keep-alive, or for
    none (0), is refused with CONNACK 2, since 3.x cannot be told a shorter
    one; 10 or less is accepted. (mosquitto 2.0.11 applies max_keepalive to
    MQTT 5 clients only and accepts all of these.)"""
    b = broker_factory(["max_keepalive 10"])
    for ka, rc in ((10, 0), (5, 0), (11, 2), (60, 2), (0, 2)):
        c = mqttraw.Client(b.port)
        assert connack_rc(c.connect(uid(), version=version, keepalive=ka)) == rc, ka
        if rc:
            assert c.closed()
        c.close()
