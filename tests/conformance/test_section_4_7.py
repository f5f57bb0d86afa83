"""MQTT 3.1.1 section 4.7: topic names and topic filters."""
import unicodedata

import pytest

from mqttraw import Client, connect, publish, subscribe, unsubscribe

from .helpers import (QUIET, all_msgs, closed_without_connack, pub, recv_msg,
                      session, sub, wait_closed_or_refused)


def matching(port, filters, topics):
    """Subscribe one client per filter; publish each topic once at QoS 1;
    return {filter: sorted topics received}."""
    subs = {}
    for i, f in enumerate(filters):
        s = session(port, "m%d" % i)
        assert sub(s, [(f, 1)]) == [1], f
        subs[f] = s
    p = session(port, "pub")
    for i, t in enumerate(topics):
        pub(p, t, t.encode(), qos=1, pid=i + 1)
    # Wait QUIET once: the later subscribers had that time too.
    got, wait = {}, QUIET
    for f, s in subs.items():
        got[f] = sorted(m.topic for m in all_msgs(s, wait))
        wait = 0.05
    return got


# ---------------------------------------------------------------- 4.7.1

@pytest.mark.parametrize("topic", ["w/+", "w/#", "+", "#", "w+x", "w#x"])
def test_mqtt_4_7_1_1_no_wildcards_in_topic_names(broker, topic):
    """A Topic Name with a wildcard character, in a PUBLISH or as Will
    Topic, is refused by closing the connection."""
    c = session(broker.port, "pw")
    c.send(publish(topic, b"x"))
    assert c.closed(), "PUBLISH to %r accepted" % topic
    c = Client(broker.port)
    c.send(connect("ww", will=(topic, b"x", 0, False)))
    closed_without_connack(c)


@pytest.mark.parametrize("flt", ["a/#/b", "a#", "#/a", "a/#b", "##", "#/"])
def test_mqtt_4_7_1_2_multi_level_wildcard_position(broker, flt):
    """'#' must be alone in the last level: other filters are refused
    (return code 0x80, or the connection is closed), and never match."""
    c = session(broker.port, "ml")
    c.send(subscribe(1, [(flt, 1)]))
    r = wait_closed_or_refused(c)
    assert r == "closed" or r == [0x80], r


def test_mqtt_4_7_1_2_multi_level_wildcard_matching(broker):
    """'#' matches the parent level and any number of child levels."""
    topics = ["sport", "sport/tennis", "sport/tennis/player1",
              "sport/tennis/player1/ranking", "sports", "/sport"]
    got = matching(broker.port, ["sport/#", "sport/tennis/#", "#", "/#"],
                   topics)
    assert got["sport/#"] == sorted(topics[:4])
    assert got["sport/tennis/#"] == sorted(topics[1:4])
    assert got["#"] == sorted(topics)
    assert got["/#"] == ["/sport"]


@pytest.mark.parametrize("flt", ["a+", "+a", "a/b+/c", "++", "a/+b",
                                 "+#"])
def test_mqtt_4_7_1_3_single_level_wildcard_whole_level(broker, flt):
    c = session(broker.port, "sl")
    c.send(subscribe(1, [(flt, 1)]))
    r = wait_closed_or_refused(c)
    assert r == "closed" or r == [0x80], r


def test_mqtt_4_7_1_3_single_level_wildcard_matching(broker):
    """'+' matches exactly one level, at any position, including an empty
    level."""
    topics = ["sport/tennis/player1", "sport/tennis/player2",
              "sport/tennis/player1/ranking", "sport", "sport/",
              "/finance", "finance", "a/b/c", "a//c"]
    got = matching(broker.port,
                   ["sport/tennis/+", "sport/+", "+", "+/+", "/+", "a/+/c",
                    "+/tennis/#"], topics)
    assert got["sport/tennis/+"] == ["sport/tennis/player1",
                                     "sport/tennis/player2"]
    assert got["sport/+"] == ["sport/"]
    assert got["+"] == ["finance", "sport"]
    assert got["+/+"] == ["/finance", "sport/"]
    assert got["/+"] == ["/finance"]
    assert got["a/+/c"] == ["a//c", "a/b/c"]
    assert got["+/tennis/#"] == sorted(topics[:3])


# ---------------------------------------------------------------- 4.7.2

def test_mqtt_4_7_2_1_wildcards_do_not_match_dollar_topics(broker):
    """Filters starting with a wildcard do not match Topic Names starting
    with '$'; filters starting with the '$' level do."""
    got = matching(broker.port, ["#", "+/x", "+/#", "$t/#", "$t/+", "$t/x"],
                   ["$t/x", "t/x"])
    assert got["#"] == ["t/x"]
    assert got["+/x"] == ["t/x"]
    assert got["+/#"] == ["t/x"]
    assert got["$t/#"] == ["$t/x"]
    assert got["$t/+"] == ["$t/x"]
    assert got["$t/x"] == ["$t/x"]


# ---------------------------------------------------------------- 4.7.3

def test_mqtt_4_7_3_1_empty_topic_name_closes(broker):
    w = session(broker.port, "w")
    sub(w, [("#", 0)])
    c = session(broker.port, "e")
    c.send(publish("", b"x"))
    assert c.closed()
    pub(w, "marker", b"m")
    assert recv_msg(w).topic == "marker"


def test_mqtt_4_7_3_1_empty_topic_filter_refused(broker):
    c = session(broker.port, "e")
    c.send(subscribe(1, [("", 1)]))
    r = wait_closed_or_refused(c)
    assert r == "closed" or r == [0x80], r


def test_mqtt_4_7_3_1_empty_unsubscribe_filter_closes(broker):
    c = session(broker.port, "e")
    c.send(unsubscribe(1, [""]))
    assert c.closed()


@pytest.mark.parametrize("kind", ["topic", "filter", "unsubscribe"])
def test_mqtt_4_7_3_2_null_character_refused(broker, kind):
    c = session(broker.port, "n")
    c.send({"topic": publish("a\x00b", b"x"),
            "filter": subscribe(1, [("a\x00b", 0)]),
            "unsubscribe": unsubscribe(1, ["a\x00b"])}[kind])
    assert c.closed()


def test_mqtt_4_7_3_3_maximum_length_topic(broker):
    """Topic Names and Filters of 65535 bytes (the most a string can
    encode) work end to end, with multi-byte characters too."""
    name = "t/" + "x" * (65535 - 2)
    mb = "m/x" + "\u20ac" * ((65535 - 3) // 3)    # 3-byte characters
    assert len(name.encode()) == 65535 and len(mb.encode()) == 65535
    s = session(broker.port, "long")
    assert sub(s, [(name, 1), (mb, 1)]) == [1, 1]
    p = session(broker.port, "pub")
    pub(p, name, b"long", qos=1, pid=1)
    pub(p, mb, b"multibyte", qos=1, pid=2)
    got = {m.payload: m.topic for m in all_msgs(s)}
    assert got == {b"long": name, b"multibyte": mb}


def test_mqtt_4_7_3_4_no_normalization(broker):
    """Matching is on the exact characters: no Unicode normalization, no
    case folding, no change to unassigned or private-use characters."""
    nfc = unicodedata.normalize("NFC", "caf\u00e9")
    nfd = unicodedata.normalize("NFD", "caf\u00e9")
    assert nfc != nfd
    topics = [nfc, nfd, "CAF\u00c9", "\u0378/\ue000", "\uff43af\u00e9",
              "x\u212b", "x\u00c5"]
    got = matching(broker.port, [nfc, "\u0378/\ue000", "x\u212b"], topics)
    assert got[nfc] == [nfc]
    assert got["\u0378/\ue000"] == ["\u0378/\ue000"]
    assert got["x\u212b"] == ["x\u212b"]   # ANGSTROM SIGN, not U+00C5
