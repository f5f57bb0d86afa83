"""acl_file: mosquitto's ACL syntax, enforced on publish (write), delivery
(read, retained messages included), subscribe and wills, with paho and
mosquitto_pub as the clients. Validated against mosquitto as well."""
import os
import shutil
import subprocess
import tempfile

import pytest

import mqttraw
from helpers import PahoClient, make_passwd, raw_drop, uid, WAIT

ACL = """\
# anonymous clients
topic read public/#
topic write inbox/anon

user alice
topic readwrite alice/#
topic read public/#
topic write public/news
topic deny alice/secret

pattern readwrite devices/%c/#
pattern read users/%u/#
"""


@pytest.fixture
def acl_broker(broker_factory):
    """A broker with a password file (alice/wonder, bob/builder) and the
    ACL above; files in a world-readable directory (mosquitto started as
    root drops privileges before reading them)."""
    d = tempfile.mkdtemp(prefix="tern-acl-")
    os.chmod(d, 0o755)
    pw = make_passwd(os.path.join(d, "passwd"),
                     {"alice": "wonder", "bob": "builder"})
    acl = os.path.join(d, "acl")
    with open(acl, "w") as f:
        f.write(ACL)
    for p in (pw, acl):
        os.chmod(p, 0o644)
    try:
        yield broker_factory(["allow_anonymous true", "password_file " + pw,
                              "acl_file " + acl])
    finally:
        shutil.rmtree(d, ignore_errors=True)


def client(b, cid, user=None, pw=None, **kw):
    c = PahoClient(b, cid, username=user, password=pw, **kw)
    c.connect()
    return c


def marker(pub, topic):
    """A QoS 2 message after the ones under test: once the subscriber has
    it, anything published before it has been delivered or dropped."""
    pub.publish(topic, b"marker", qos=2)


def drain_until_marker(sub):
    got = []
    while True:
        m = sub.get(timeout=WAIT)
        if m.payload == b"marker":
            return got
        got.append((m.topic, m.payload))


def test_write_denied_is_not_delivered(acl_broker):
    """A PUBLISH the ACL forbids is acknowledged but reaches nobody
    [MQTT-3.3.5-2]; an allowed one is delivered."""
    alice = client(acl_broker, uid(), "alice", "wonder")
    alice.subscribe("alice/#", 1)
    alice.publish("alice/secret", b"no", qos=1)   # deny rule
    alice.publish("alice/ok", b"yes", qos=1)
    marker(alice, "alice/end")
    assert drain_until_marker(alice) == [("alice/ok", b"yes")]
    alice.disconnect()


def test_read_filter_applies_to_every_delivery(acl_broker):
    """A wide subscription is granted, but only messages the reader may
    read are delivered to it."""
    alice = client(acl_broker, uid(), "alice", "wonder")
    anon = client(acl_broker, uid())
    anon.subscribe("#", 0)
    alice.publish("alice/private", b"p", qos=1)
    alice.publish("public/news", b"n", qos=1)
    alice.publish("public/news", b"marker", qos=2)
    assert drain_until_marker(anon) == [("public/news", b"n")]
    anon.disconnect()
    alice.disconnect()


def test_retained_messages_filtered_by_read(acl_broker):
    """Retained messages sent on SUBSCRIBE are filtered by the read ACL."""
    alice = client(acl_broker, uid(), "alice", "wonder")
    alice.publish("alice/r", b"mine", qos=1, retain=True)
    alice.publish("public/news", b"shared", qos=1, retain=True)
    anon = client(acl_broker, uid())
    anon.subscribe("#", 1)
    alice.publish("public/news", b"marker", qos=2)
    got = drain_until_marker(anon)
    assert ("alice/r", b"mine") not in got
    assert ("public/news", b"shared") in got
    # Clean up the retained messages for other tests on this broker.
    alice.publish("alice/r", b"", qos=1, retain=True)
    alice.publish("public/news", b"", qos=1, retain=True)
    anon.disconnect()
    alice.disconnect()


def test_pattern_client_id(acl_broker):
    """pattern devices/%c/# lets a client use its own subtree only."""
    dev = "dev" + uid()
    c = client(acl_broker, dev)
    c.subscribe("devices/#", 1)
    c.publish("devices/%s/t" % dev, b"own", qos=1)
    c.publish("devices/other/t", b"foreign", qos=1)
    marker(c, "devices/%s/end" % dev)
    assert drain_until_marker(c) == [("devices/%s/t" % dev, b"own")]
    c.disconnect()


def test_pattern_username(acl_broker):
    """pattern read users/%u/# lets bob read his own subtree only."""
    alice = client(acl_broker, uid(), "alice", "wonder")
    bob = client(acl_broker, uid(), "bob", "builder")
    bob.subscribe("users/#", 0)
    # Nobody may write users/..., so the broker itself must not deliver
    # there either; publish through alice and expect nothing.
    alice.publish("users/bob/x", b"not writable", qos=1)
    bob.publish("devices/%s/x" % bob.client_id, b"ok", qos=1)
    bob.subscribe("devices/%s/#" % bob.client_id, 2)
    marker(bob, "devices/%s/end" % bob.client_id)
    got = drain_until_marker(bob)
    assert ("users/bob/x", b"not writable") not in got
    bob.disconnect()
    alice.disconnect()


@pytest.mark.tern_only
def test_subscribe_that_can_never_deliver_gets_0x80(acl_broker):
    """Tern refuses a subscription no delivery could pass (SUBACK 0x80);
    mosquitto 2.0 grants every SUBSCRIBE and only filters deliveries."""
    anon = client(acl_broker, uid())
    assert anon.subscribe("alice/#", 1) == [128]
    assert anon.subscribe("public/#", 1) == [1]
    anon.disconnect()


def test_will_on_forbidden_topic_not_published(acl_broker):
    """A will whose topic the client may not write is never published; the
    connection itself is accepted, as mosquitto does."""
    alice = client(acl_broker, uid(), "alice", "wonder")
    alice.subscribe("alice/#", 1)
    c = mqttraw.Client(acl_broker.port)
    p = c.connect(uid(), will=("alice/will", b"w", 1, False))
    assert p.body[1] == 0
    # No DISCONNECT: once the broker has closed its end, a permitted will
    # would have been published.
    raw_drop(c)
    marker(alice, "alice/end")
    assert drain_until_marker(alice) == []
    alice.disconnect()


def test_mosquitto_pub_denied_topic_not_delivered(acl_broker):
    """mosquitto_pub as an anonymous client: inbox/anon is writable,
    public/x is not."""
    alice = client(acl_broker, uid(), "alice", "wonder")
    # alice may not read inbox/anon either: use a pattern-free reader.
    dev = "dev" + uid()
    reader = client(acl_broker, dev)
    reader.subscribe("#", 1)
    for topic in ("public/x", "inbox/anon"):
        subprocess.run(["mosquitto_pub", "-p", str(acl_broker.port), "-q",
                        "1", "-t", topic, "-m", "m"], check=True,
                       timeout=WAIT)
    reader.publish("devices/%s/end" % dev, b"marker", qos=2)
    got = drain_until_marker(reader)
    assert ("public/x", b"m") not in got
    reader.disconnect()
    alice.disconnect()
