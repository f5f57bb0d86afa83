#!/usr/bin/python3
"""make_seeds.py - write the seed corpora of the fuzz targets.

Writes fuzz/corpus/<target>/seed-<what> for every target (frame, decode,
props, topic, config, passwd, acl, conn, conn_oom) and the libFuzzer dictionaries
fuzz/<target>.dict. The packets are built here from the MQTT 3.1, 3.1.1
and 5.0 specifications, independently of the C encoder. Files this script
did not write (crash-* inputs, inputs found by fuzzing) are left alone;
seed-* files it no longer writes are removed.

Run from anywhere: /usr/bin/python3 fuzz/make_seeds.py
"""

import base64
import hashlib
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Packet types.
CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = range(1, 8)
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP = range(8, 14)
DISCONNECT, AUTH = 14, 15
WILL = 0  # where a will's property block sits (codec/proptab.h)

V31, V311, V5 = 3, 4, 5


# Wire primitives.

def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def u16(n):
    return n.to_bytes(2, "big")


def u32(n):
    return n.to_bytes(4, "big")


def s(b):
    """A length-prefixed string or binary field."""
    if isinstance(b, str):
        b = b.encode()
    return u16(len(b)) + b


def packet(ptype, flags, body):
    return bytes([ptype << 4 | flags]) + varint(len(body)) + body


# MQTT 5 properties: one entry each.

def p_byte(pid, v):
    return bytes([pid, v])


def p_u16(pid, v):
    return bytes([pid]) + u16(v)


def p_u32(pid, v):
    return bytes([pid]) + u32(v)


def p_var(pid, v):
    return bytes([pid]) + varint(v)


def p_str(pid, v):
    return bytes([pid]) + s(v)


def p_user(k, v):
    return bytes([0x26]) + s(k) + s(v)


def block(*entries):
    body = b"".join(entries)
    return varint(len(body)) + body


PAYLOAD_FORMAT = lambda v=1: p_byte(0x01, v)
MESSAGE_EXPIRY = lambda v=3600: p_u32(0x02, v)
CONTENT_TYPE = lambda v="application/json": p_str(0x03, v)
RESPONSE_TOPIC = lambda v="reply/here": p_str(0x08, v)
CORRELATION = lambda v=b"\x00\x01corr": p_str(0x09, v)
SUB_ID = lambda v=1: p_var(0x0B, v)
SESSION_EXPIRY = lambda v=300: p_u32(0x11, v)
ASSIGNED_ID = lambda v="auto-1234": p_str(0x12, v)
SERVER_KEEP_ALIVE = lambda v=30: p_u16(0x13, v)
AUTH_METHOD = lambda v="SCRAM-SHA-1": p_str(0x15, v)
AUTH_DATA = lambda v=b"\x01\x02\x03": p_str(0x16, v)
REQ_PROBLEM = lambda v=1: p_byte(0x17, v)
WILL_DELAY = lambda v=10: p_u32(0x18, v)
REQ_RESPONSE = lambda v=1: p_byte(0x19, v)
RESPONSE_INFO = lambda v="resp/": p_str(0x1A, v)
SERVER_REF = lambda v="other.example:1883": p_str(0x1C, v)
REASON = lambda v="because": p_str(0x1F, v)
RECEIVE_MAX = lambda v=20: p_u16(0x21, v)
TOPIC_ALIAS_MAX = lambda v=10: p_u16(0x22, v)
TOPIC_ALIAS = lambda v=1: p_u16(0x23, v)
MAX_QOS = lambda v=1: p_byte(0x24, v)
RETAIN_AVAIL = lambda v=1: p_byte(0x25, v)
MAX_PACKET = lambda v=65536: p_u32(0x27, v)
WILDCARD_AVAIL = lambda v=1: p_byte(0x28, v)
SUBID_AVAIL = lambda v=1: p_byte(0x29, v)
SHARED_AVAIL = lambda v=0: p_byte(0x2A, v)
USER = lambda k="k", v="v": p_user(k, v)


# Packets. @props is a list of entries, written only for MQTT 5.

def props_of(ver, props):
    return block(*props) if ver == V5 else b""


def connect(ver, client_id="client-1", clean=True, keepalive=60, will=None,
            user=None, password=None, props=(), will_props=()):
    name = "MQIsdp" if ver == V31 else "MQTT"
    flags = 0x02 if clean else 0
    if will is not None:
        topic, msg, qos, retain = will
        flags |= 0x04 | qos << 3 | (0x20 if retain else 0)
    if user is not None:
        flags |= 0x80
    if password is not None:
        flags |= 0x40
    body = s(name) + bytes([ver, flags]) + u16(keepalive)
    body += props_of(ver, props) + s(client_id)
    if will is not None:
        body += props_of(ver, will_props) + s(will[0]) + s(will[1])
    if user is not None:
        body += s(user)
    if password is not None:
        body += s(password)
    return packet(CONNECT, 0, body)


def connack(ver, present=False, rc=0, props=()):
    return packet(CONNACK, 0, bytes([1 if present else 0, rc]) +
                  props_of(ver, props))


def publish(ver, topic, payload=b"", qos=0, pid=1, dup=False, retain=False,
            props=()):
    flags = qos << 1 | (8 if dup else 0) | (1 if retain else 0)
    body = s(topic) + (u16(pid) if qos else b"") + props_of(ver, props)
    if isinstance(payload, str):
        payload = payload.encode()
    return packet(PUBLISH, flags, body + payload)


def ack(ver, ptype, pid=1, rc=None, props=None):
    body = u16(pid)
    if ver == V5 and rc is not None:
        body += bytes([rc])
        if props is not None:
            body += block(*props)
    return packet(ptype, 2 if ptype == PUBREL else 0, body)


def subscribe(ver, entries, pid=1, props=()):
    body = u16(pid) + props_of(ver, props)
    for topic, opts in entries:
        body += s(topic) + bytes([opts])
    return packet(SUBSCRIBE, 2, body)


def suback(ver, codes, pid=1, props=()):
    return packet(SUBACK, 0, u16(pid) + props_of(ver, props) + bytes(codes))


def unsubscribe(ver, topics, pid=1, props=()):
    body = u16(pid) + props_of(ver, props)
    return packet(UNSUBSCRIBE, 2, body + b"".join(s(t) for t in topics))


def unsuback(ver, codes=(), pid=1, props=()):
    if ver != V5:
        return packet(UNSUBACK, 0, u16(pid))
    return packet(UNSUBACK, 0, u16(pid) + block(*props) + bytes(codes))


def disconnect(ver, rc=None, props=None):
    body = b""
    if ver == V5 and rc is not None:
        body = bytes([rc]) + (block(*props) if props is not None else b"")
    return packet(DISCONNECT, 0, body)


def auth(rc=0x18, props=()):
    return packet(AUTH, 0, bytes([rc]) + block(*props))


PINGREQ_PKT = packet(PINGREQ, 0, b"")
PINGRESP_PKT = packet(PINGRESP, 0, b"")


def packets(ver):
    """Valid packets of every type that exists in @ver, by name."""
    v5 = ver == V5
    out = {
        "connect": connect(ver),
        "connect-empty-id": connect(ver, client_id="", keepalive=0),
        "connect-will": connect(
            ver, will=("last/will", b"gone", 1, True), user="alice",
            password=b"secret",
            props=[SESSION_EXPIRY(), RECEIVE_MAX(), MAX_PACKET(),
                   TOPIC_ALIAS_MAX(), REQ_RESPONSE(), REQ_PROBLEM(0),
                   USER("agent", "tern")],
            will_props=[WILL_DELAY(), PAYLOAD_FORMAT(), MESSAGE_EXPIRY(),
                        CONTENT_TYPE(), RESPONSE_TOPIC(), CORRELATION(),
                        USER()]),
        "connect-will-qos2": connect(ver, clean=False,
                                     will=("w", b"", 2, False)),
        "connect-user": connect(ver, user="bob", password=b"\x00pw\xff"),
        "connack": connack(ver),
        "connack-refused": connack(ver, rc=0x86 if v5 else 4),
        "publish-qos0": publish(ver, "sensors/temp", "21.5"),
        "publish-qos1": publish(ver, "a/b", "x" * 40, qos=1, pid=10,
                                retain=True),
        "publish-qos2-dup": publish(ver, "caf\u00e9/\u00fcber", b"\x00\xff",
                                    qos=2, pid=65535, dup=True),
        "publish-empty": publish(ver, "t"),
        "puback": ack(ver, PUBACK, 10),
        "pubrec": ack(ver, PUBREC, 11),
        "pubrel": ack(ver, PUBREL, 12),
        "pubcomp": ack(ver, PUBCOMP, 13),
        "subscribe": subscribe(ver, [("sport/tennis/+", 1), ("#", 0),
                                     ("$SYS/#", 2)], pid=2),
        "suback": suback(ver, [0, 1, 2, 0x80], pid=2),
        "unsubscribe": unsubscribe(ver, ["sport/tennis/+", "#"], pid=3),
        "unsuback": unsuback(ver, [0, 0x11], pid=3),
        "pingreq": PINGREQ_PKT,
        "pingresp": PINGRESP_PKT,
        "disconnect": disconnect(ver),
    }
    if v5:
        out.update({
            "connect-auth": connect(ver, props=[AUTH_METHOD(), AUTH_DATA()]),
            "connack-props": connack(ver, True, 0, [
                SESSION_EXPIRY(), RECEIVE_MAX(), MAX_QOS(), RETAIN_AVAIL(),
                MAX_PACKET(), ASSIGNED_ID(), TOPIC_ALIAS_MAX(), REASON(),
                USER(), WILDCARD_AVAIL(), SUBID_AVAIL(), SHARED_AVAIL(),
                SERVER_KEEP_ALIVE(), RESPONSE_INFO(), SERVER_REF(),
                AUTH_METHOD(), AUTH_DATA()]),
            "connack-short": packet(CONNACK, 0, b"\x00\x00"),
            "publish-props": publish(ver, "a/b", "{}", qos=1, props=[
                PAYLOAD_FORMAT(), MESSAGE_EXPIRY(), CONTENT_TYPE(),
                RESPONSE_TOPIC(), CORRELATION(), USER("a", "1"),
                USER("a", "2"), SUB_ID(1), SUB_ID(268435455)]),
            "publish-alias": publish(ver, "", "aliased",
                                     props=[TOPIC_ALIAS(3)]),
            "puback-rc": ack(ver, PUBACK, 10, 0x10),
            "puback-props": ack(ver, PUBACK, 10, 0x87, [REASON(), USER()]),
            "pubrec-rc": ack(ver, PUBREC, 11, 0x80, []),
            "pubrel-rc": ack(ver, PUBREL, 12, 0x92, [REASON("unknown")]),
            "pubcomp-rc": ack(ver, PUBCOMP, 13, 0x00, [USER()]),
            "subscribe-options": subscribe(ver, [
                ("a/+", 0x01 | 0x04 | 0x08 | 0x20), ("$share/g/b", 0x12)],
                pid=4, props=[SUB_ID(127), USER()]),
            "suback-props": suback(ver, [0x8F, 0x97, 0xA2], pid=4,
                                   props=[REASON(), USER()]),
            "unsubscribe-props": unsubscribe(ver, ["a/+"], pid=5,
                                             props=[USER()]),
            "unsuback-props": unsuback(ver, [0x8F], pid=5,
                                       props=[REASON()]),
            "disconnect-rc": disconnect(ver, 0x04),
            "disconnect-props": disconnect(ver, 0x8E, [
                SESSION_EXPIRY(0), REASON(), SERVER_REF(), USER()]),
            "auth": auth(0x18, [AUTH_METHOD(), AUTH_DATA(), REASON()]),
            "auth-reauth": auth(0x19, [AUTH_METHOD()]),
            "auth-empty": packet(AUTH, 0, b""),
        })
    return out


def frame_seeds():
    seeds = {}
    for ver in (V31, V311, V5):
        for name, pkt in packets(ver).items():
            seeds["v%d-%s" % (ver, name)] = pkt
    seeds.update({
        "stream": connect(V311) + publish(V311, "a", "b", qos=1) +
        PINGREQ_PKT + disconnect(V311),
        "partial-length": b"\x30\xff\xff\xff\x7f",
        "fifth-length-byte": b"\x30\xff\xff\xff\xff\x01",
        "type-zero": b"\x00\x00",
        "overlong-length": b"\x30\x80\x80\x00",
        "incomplete-body": b"\x30\x10\x00\x01a",
        "two-byte-length": packet(PUBLISH, 0, s("t") + b"p" * 200),
    })
    return seeds


def decode_seeds():
    seeds = {}
    for ver in (V31, V311, V5):
        pk = packets(ver)
        for name, p in pk.items():
            seeds["v%d-%s" % (ver, name)] = bytes([ver]) + p
        # A session as a broker sees it.
        seeds["v%d-session" % ver] = bytes([ver]) + b"".join([
            pk["connect-will"], pk["subscribe"], pk["publish-qos1"],
            pk["puback"], pk["pubrel"], pk["unsubscribe"], pk["pingreq"],
            pk["disconnect"]])
    seeds.update({
        # The level byte picks 3.1.1; CONNECT then switches to 5.
        "switch-to-v5": bytes([V311]) + connect(V5) +
        publish(V5, "", "x", props=[TOPIC_ALIAS(1)]),
        "bad-protocol-level": bytes([V311]) + packet(
            CONNECT, 0, s("MQTT") + bytes([6, 2]) + u16(60) + s("c")),
        "bad-protocol-name": bytes([V311]) + packet(
            CONNECT, 0, s("MQTX") + bytes([4, 2]) + u16(60) + s("c")),
        "publish-wildcard": bytes([V311]) + publish(V311, "a/+", "x"),
        "publish-qos3": bytes([V311]) + packet(PUBLISH, 6, s("a")),
        "subscribe-empty": bytes([V5]) + packet(SUBSCRIBE, 2,
                                                u16(1) + block()),
        "pubrel-bad-flags": bytes([V311]) + packet(PUBREL, 0, u16(1)),
        "auth-in-v311": bytes([V311]) + auth(),
        "props-duplicate": bytes([V5]) + publish(
            V5, "a", props=[TOPIC_ALIAS(1), TOPIC_ALIAS(2)]),
    })
    return seeds


def props_seeds():
    blocks = {
        "empty": [],
        "will": [WILL_DELAY(), PAYLOAD_FORMAT(0), MESSAGE_EXPIRY(),
                 CONTENT_TYPE(), RESPONSE_TOPIC(), CORRELATION(), USER()],
        "connect": [SESSION_EXPIRY(), RECEIVE_MAX(), MAX_PACKET(),
                    TOPIC_ALIAS_MAX(), REQ_RESPONSE(), REQ_PROBLEM(),
                    USER(), AUTH_METHOD(), AUTH_DATA()],
        "connack": [SESSION_EXPIRY(), RECEIVE_MAX(), MAX_QOS(0),
                    RETAIN_AVAIL(0), MAX_PACKET(), ASSIGNED_ID(),
                    TOPIC_ALIAS_MAX(), REASON(), USER(), WILDCARD_AVAIL(),
                    SUBID_AVAIL(), SHARED_AVAIL(), SERVER_KEEP_ALIVE(),
                    RESPONSE_INFO(), SERVER_REF(), AUTH_METHOD()],
        "publish": [PAYLOAD_FORMAT(), MESSAGE_EXPIRY(), TOPIC_ALIAS(),
                    RESPONSE_TOPIC(), CORRELATION(), CONTENT_TYPE(),
                    USER("x", ""), SUB_ID(1), SUB_ID(16384)],
        "ack": [REASON(), USER(), USER()],
        "subscribe": [SUB_ID(268435455), USER()],
        "disconnect": [SESSION_EXPIRY(0), REASON(), SERVER_REF()],
        "auth": [AUTH_METHOD(), AUTH_DATA(), REASON()],
        "user-only": [USER("", ""), USER("caf\u00e9", "\u00fc")],
        "sub-id-two-byte": [SUB_ID(128)],
        # Rejected ones, to start from the error paths too.
        "duplicate": [SESSION_EXPIRY(), SESSION_EXPIRY()],
        "unknown-id": [bytes([0x7F, 0x00])],
        "zero-receive-max": [RECEIVE_MAX(0)],
        "zero-sub-id": [SUB_ID(0)],
        "bool-two": [REQ_PROBLEM(2)],
        "auth-data-alone": [AUTH_DATA()],
        "bad-utf8": [p_str(0x03, b"\xc0\x80")],
        "wildcard-response-topic": [RESPONSE_TOPIC("a/#")],
        "truncated": [p_u32(0x02, 1)[:3]],
        "overlong-id": [bytes([0x81, 0x00, 0x01])],
    }
    return {name: block(*entries) for name, entries in blocks.items()}


def topic_seeds():
    pairs = [
        ("sport/tennis/player1/#", "sport/tennis/player1/ranking"),
        ("sport/tennis/player1/#", "sport/tennis/player1"),
        ("sport/#", "sport"),
        ("sport/tennis/+", "sport/tennis/player1"),
        ("sport/tennis/+", "sport/tennis/player1/ranking"),
        ("sport/+", "sport/"),
        ("+/+", "/finance"),
        ("/+", "/finance"),
        ("+", "/finance"),
        ("#", "$SYS/broker/load"),
        ("+/monitor/Clients", "$SYS/monitor/Clients"),
        ("$SYS/#", "$SYS/broker/load"),
        ("$SYS/monitor/+", "$SYS/monitor/Clients"),
        ("a//b", "a//b"),
        ("a/+/b", "a//b"),
        ("/", "/"),
        ("$share/group/a/b", "a/b"),
        ("caf\u00e9/+", "caf\u00e9/\u00fcber"),
        ("sport+", "sport"),
        ("sport/tennis#", "sport/tennis"),
        ("sport/#/ranking", "sport/x/ranking"),
        ("#/a", "a"),
        ("a/b", "a/b/"),
        ("+/+/+/+", "a/b/c/d"),
    ]
    seeds = {}
    for i, (f, n) in enumerate(pairs):
        seeds["pair-%02d" % i] = f.encode() + b"\0" + n.encode()
    for i, t in enumerate(["a/b/c", "$SYS/x", "/", "#", "+/x", ""]):
        seeds["same-%02d" % i] = t.encode()
    seeds["empty-filter"] = b"\0a"
    seeds["empty-name"] = b"a\0"
    seeds["long"] = ("a/" * 300 + "#").encode() + b"\0" + b"a/" * 400
    return seeds


CONFIGS = {
    "minimal": "listener 1883\nallow_anonymous true\n",
    "defaults": "",
    "comments": "# Tern\n\n   # indented comment\n\tport 1883\n"
                "max_inflight_messages 20 # per client\n",
    "crlf-bom": "\ufefflistener 1883 0.0.0.0\r\nallow_anonymous false\r\n"
                "password_file /etc/tern/passwd\r\n",
    "auth": "per_listener_settings false\nallow_anonymous false\n"
            "password_file /etc/mosquitto/passwd\n"
            "acl_file /etc/mosquitto/acl\n",
    "listeners": "port 1884\nbind_address 127.0.0.1\nmax_connections 10\n"
                 "listener 1883 0.0.0.0\nmax_connections 100\n"
                 "protocol mqtt\nlistener 8883 ::1\nlistener 1885\n",
    "websockets": "listener 9001\nprotocol websockets\n",
    "limits": "max_inflight_messages 100\nmax_queued_messages 1000\n"
              "max_queued_bytes 1048576\nqueue_qos0_messages true\n"
              "message_size_limit 268435455\nmax_packet_size 65536\n"
              "max_keepalive 600\nretain_available false\n"
              "persistent_client_expiration 2h\nsys_interval 0\n",
    "persistence": "persistence true\npersistence_location /var/lib/tern/\n"
                   "autosave_interval 1800\nautosave_on_changes false\n",
    "logging": "log_dest stderr\nlog_type error\nlog_type warning\n"
               "log_type notice\nlog_type information\nlog_type debug\n"
               "log_timestamp false\nconnection_messages true\n",
    "log-file": "log_dest file /var/log/tern.log\nlog_type all\n",
    "log-syslog": "log_dest syslog\nlog_dest topic\nlog_type none\n",
    "tern": "workers 4\nconnect_timeout 30\n",
    "tern-limits": "memory_limit 268435456\nmax_connections_total 10000\n"
                   "max_pending_connections 100\nmax_client_id_length 64\n"
                   "max_topic_levels 16\nmax_subscriptions_per_client 100\n"
                   "queue_full_action drop_oldest\n",
    "ignored": "allow_duplicate_messages false\npid_file /run/m.pid\n"
               "set_tcp_nodelay true\nretry_interval 20\n"
               "upgrade_outgoing_qos false\nmax_qos 2\n"
               "allow_zero_length_clientid true\nauto_id_prefix auto-\n",
    "spaces-in-path": "password_file /etc/tern/pass words # not a comment\n",
    # Rejected ones, to start from the error paths too.
    "unknown": "listner 1883\n",
    "bad-number": "max_inflight_messages twenty\n",
    "out-of-range": "max_keepalive 5\n",
    "duplicate-listener": "listener 1883\nlistener 1883\n",
    "tls": "listener 8883\ncafile /etc/ca.pem\ncertfile /etc/c.pem\n"
           "keyfile /etc/k.pem\nrequire_certificate true\n"
           "use_identity_as_username true\n",
    "bridge": "connection bridge-1\naddress 10.0.0.1:1883\ntopic # both 0\n",
    "auth-opt": "auth_plugin /usr/lib/auth.so\nauth_opt_db mydb\n",
    "bad-bool": "allow_anonymous yes\n",
    "trailing-word": "port 1883 1884\n",
    "missing-value": "port\n",
}



# ACL files: the text, then NUL and the query "CLIENT\nUSER\nFILTER\nNAME"
# that fuzz_acl.c asks (without a NUL it asks fixed queries).
ACL_DOC_EXAMPLE = (
    "# anonymous clients may read the public tree\n"
    "topic read public/#\n\n"
    "user alice\ntopic alice/#\ntopic deny alice/secret\n"
    "topic read public/#\n\n"
    "# every client may use its own subtree\n"
    "pattern readwrite clients/%c/#\n")

ACLS = {
    "doc-example": ACL_DOC_EXAMPLE,
    "doc-anonymous": ACL_DOC_EXAMPLE + "\0dev-1\n\npublic/+\npublic/news",
    "doc-alice": ACL_DOC_EXAMPLE + "\0c1\nalice\nalice/#\nalice/secret",
    "doc-bob": ACL_DOC_EXAMPLE + "\0bob-1\nbob\nclients/bob-1/#\n"
               "clients/bob-1/x",
    "patterns": "pattern read sensors/%u/%c/#\npattern write log/%u-%c\n"
                "pattern deny %c/secret\npattern %%c/x\n"
                "\0dev\nann\nsensors/ann/dev/+\nsensors/ann/dev/t",
    "pattern-wildcard-id": "pattern readwrite devices/%c/#\n"
                           "\0a/+\nu\ndevices/#\ndevices/a/x",
    "pattern-slash-id": "pattern readwrite devices/%c/#\n"
                        "\0x/y\n\ndevices/x/y/#\ndevices/x/y/z",
    "sys": "topic read $SYS/#\ntopic read #\n"
           "\0c\n\n#\n$SYS/broker/load",
    "deny-covers": "user u\ntopic read a/#\ntopic deny a/b/#\n"
                   "\0c\nu\na/b/+\na/b/c",
    "spaces": "topic read room 101/#\nuser Joe Bloggs\n"
              "topic readwrite  joe/+/x \n"
              "\0c\nJoe Bloggs\njoe/+/x\njoe/1/x",
    "crlf": "topic read a\r\nuser u\r\ntopic b\r\n\0c\nu\nb\nb",
    "merged-users": "user u\ntopic read a\nuser v\ntopic b\nuser u\n"
                    "topic write c\n\0c\nu\nc\nc",
    "empty": "",
    "comments-only": "# nothing\n\n   # at all\n\0c\n\n#\na",
    # Rejected ones, to start from the error paths too.
    "bad-access": "topic reed a/b\n",
    "bad-filter": "topic read a/#/b\n",
    "missing-user": "user\n",
    "unknown-keyword": "users alice\n",
    "missing-topic": "topic read\n",
}


def passwd_line(user, password, kind=7, iterations=101, salt=None):
    """A mosquitto_passwd line, hashed the way mosquitto does."""
    if salt is None:
        salt = hashlib.sha256(user.encode()).digest()[:12]
    if kind == 7:
        h = hashlib.pbkdf2_hmac("sha512", password.encode(), salt,
                                iterations, 64)
        return "%s:$7$%d$%s$%s" % (user, iterations,
                                   base64.b64encode(salt).decode(),
                                   base64.b64encode(h).decode())
    h = hashlib.sha512(password.encode() + salt).digest()
    return "%s:$6$%s$%s" % (user, base64.b64encode(salt).decode(),
                            base64.b64encode(h).decode())


def passwd_seeds():
    alice7 = passwd_line("alice", "secret")
    alice6 = passwd_line("alice", "secret", kind=6)
    bob = passwd_line("bob", "hunter2", iterations=1)
    carol = passwd_line("carol", "x", salt=bytes(range(64)))
    files = {
        "alice-pbkdf2": alice7 + "\n",
        "alice-sha512": alice6 + "\n",
        "alice-wrong": passwd_line("alice", "wrong") + "\n",
        "several": "\n".join([bob, alice7, carol]) + "\n",
        "comments": "# users\n\n   \n" + alice7 + "\n# end",
        "blanks": "  alice  :  " + alice7.split(":", 1)[1] + "\t\r\n",
        "crlf": bob + "\r\n" + alice6 + "\r\n",
        "no-newline": bob,
        "empty": "",
        # Rejected ones, to start from the error paths too.
        "duplicate": alice7 + "\n" + alice6 + "\n",
        "no-colon": "alice\n",
        "empty-user": ":" + alice7.split(":", 1)[1] + "\n",
        "plain-text": "alice:secret\n",
        "argon2": "alice:$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA\n",
        "bad-iterations": "alice:$7$0$AAAAAAAAAAAAAAAA$" + "A" * 86 +
                          "==\n",
        "bad-salt": "alice:$7$101$AAAA$" + "A" * 86 + "==\n",
        "bad-hash": alice7[:-4] + "\n",
        "nul": "alice\0:$6$\n",
    }
    return {name: text.encode() for name, text in files.items()}


# fuzz_conn scripts (fuzz/conn_driver.h): records for clients 0..3.
# First byte: client | action << 2 | parameter << 5.
ACT_CLOSE, ACT_READ, ACT_TIME, ACT_REPEAT = 4, 5, 6, 7
PIECES = (1, 2, 3, 5, 8, 16, 64, 256)


def w(client, data, piece=7):
    """WRITE @data to @client in pieces of PIECES[@piece] bytes."""
    out = b""
    for i in range(0, len(data), 255):
        chunk = data[i:i + 255]
        out += bytes([client | piece << 5, len(chunk)]) + chunk
    return out


def close(client):
    return bytes([client | ACT_CLOSE << 2])


def pause(client):
    """Toggle whether @client's output is read."""
    return bytes([client | ACT_READ << 2])


def later(ms):
    """Move the clock @ms forward (100 ms steps, plus 0..7 ms)."""
    out = b""
    while ms >= 100:
        step = min(ms // 100, 255)
        out += bytes([ACT_TIME << 2, step])
        ms -= step * 100
    if ms:
        out += bytes([ACT_TIME << 2 | min(ms, 7) << 5, 0])
    return out


def repeat(client, times8):
    """The last WRITE of @client again @times8 * 8 times."""
    return bytes([client | ACT_REPEAT << 2, times8])


def conn_scripts():
    """Scripts of a few clients, each a flow a broker must get right."""
    def c4(cid, keepalive=5, **kw):  # max_keepalive is 10 there
        return connect(V311, client_id=cid, keepalive=keepalive, **kw)

    sub = lambda f, q, pid=1: subscribe(V311, [(f, q)], pid=pid)
    pub = lambda t, m, q=0, pid=1, retain=False: publish(
        V311, t, m, qos=q, pid=pid, retain=retain)
    ping, bye = PINGREQ_PKT, disconnect(V311)
    out = {
        "ping-disconnect": w(0, c4("a") + ping + bye),
        "v31": w(0, connect(V31, client_id="old-client", keepalive=10) +
                 ping + bye),
        "keepalive-refused": w(0, c4("k", keepalive=60)) +
        w(1, c4("k0", keepalive=0)),
        "v31-bad-id": w(0, connect(V31, client_id="x" * 24)),
        "v5-refused": w(0, connect(V5, client_id="five")),
        "byte-by-byte": w(0, c4("bytes") + sub("t/#", 1), piece=0) +
        w(1, c4("pub") + pub("t/1", "one", 1, 7), piece=0),
        "pubsub-qos0": w(0, c4("sub") + sub("a/+", 0)) +
        w(1, c4("pub") + pub("a/b", "hello") + pub("a/c", "x" * 100)) +
        w(0, bye) + w(1, bye),
        "qos1": w(0, c4("sub", clean=False) + sub("q/#", 1)) +
        w(1, c4("pub") + pub("q/1", "m", 1, 5)) +
        w(0, ack(V311, PUBACK, 1)) + w(1, bye),
        "qos2": w(0, c4("sub") + sub("q/#", 2)) +
        w(1, c4("pub") + pub("q/2", "m2", 2, 9)) +
        w(1, ack(V311, PUBREL, 9)) + w(0, ack(V311, PUBREC, 1)) +
        w(0, ack(V311, PUBCOMP, 1)) + w(0, bye),
        "qos2-unreleased": w(1, c4("pub") + pub("q/2", "a", 2, 1) +
                             pub("q/2", "b", 2, 2) + pub("q/2", "a", 2, 1)) +
        close(1),
        "will": w(1, c4("watch") + sub("will/#", 1)) +
        w(0, c4("mortal", will=("will/mortal", b"gone", 1, True))) +
        close(0) + w(2, c4("late") + sub("will/#", 0)),
        "will-graceful": w(1, c4("watch") + sub("will/#", 2)) +
        w(0, c4("polite", will=("will/x", b"no", 2, False)) + bye),
        "retained": w(1, c4("pub") + pub("r/a", "kept", 1, 1, True) +
                      pub("r/b", "kept0", 0, 0, True)) +
        w(0, c4("sub") + sub("r/#", 1)) + w(0, ack(V311, PUBACK, 1)) +
        w(1, pub("r/a", "", 0, 0, True)) + w(2, c4("s2") + sub("r/+", 2)),
        "takeover": w(0, c4("dup", clean=False) + sub("d/#", 1)) +
        w(1, c4("dup", clean=False) + ping) +
        w(2, c4("p") + pub("d/1", "for dup", 1, 3)) + w(0, ping) +
        w(1, bye),
        "takeover-clean": w(0, c4("dup", will=("w", b"x", 0, False))) +
        w(1, c4("dup")) + w(1, ping),
        "offline-queue": w(0, c4("away", clean=False) + sub("o/#", 1) +
                           bye) +
        w(1, c4("pub") + b"".join(pub("o/%d" % i, "m%d" % i, 1, i + 1)
                                  for i in range(7)) + pub("o/0", "q0")) +
        w(0, c4("away", clean=False)) +
        w(0, b"".join(ack(V311, PUBACK, i) for i in range(1, 7))),
        "expiry": w(0, c4("gone", clean=False) + sub("e/#", 1)) + close(0) +
        later(6000) + w(1, c4("gone", clean=False)),
        "inflight-window": w(0, c4("slow") + sub("i/#", 2)) +
        w(1, c4("pub") + b"".join(pub("i", "z" * 30, 1 + i % 2, i + 1)
                                  for i in range(8))) +
        w(0, ack(V311, PUBACK, 1) + ack(V311, PUBREC, 2)) +
        w(0, ack(V311, PUBCOMP, 2)),
        "stuck-subscriber": w(0, c4("stuck") + sub("s/#", 0)) + pause(0) +
        w(1, c4("fast")) + w(1, pub("s/x", "y" * 200)) + repeat(1, 60) +
        w(1, pub("s/q", "z" * 200, 1, 4)) + repeat(1, 8) + pause(0) +
        later(1000),
        "busy-subscriber": w(0, c4("busy") + sub("b/#", 1)) +
        w(1, c4("pub")) + w(1, pub("b/x", "m" * 20, 1, 1)) + repeat(1, 3) +
        w(0, ack(V311, PUBACK, 1)) + w(1, pub("b/y", "n" * 20, 1, 2)) +
        repeat(1, 2) + later(3) + w(0, ack(V311, PUBACK, 2)) + later(3) +
        w(0, b"".join(ack(V311, PUBACK, i) for i in range(3, 30))) +
        later(1100) + w(1, pub("b/z", "o", 1, 3)),
        "stuck-qos1": w(0, c4("stuck", clean=False) + sub("s/#", 1)) +
        pause(0) + w(1, c4("fast")) + w(1, pub("s/x", "y" * 220, 1, 2)) +
        repeat(1, 20) + close(0) + w(2, c4("stuck", clean=False)),
        "unread-responses": w(0, c4("deaf")) + pause(0) + w(0, ping) +
        repeat(0, 255) + pause(0),
        "keepalive": w(0, c4("ka", keepalive=1)) + later(1600) +
        w(1, c4("ka2", keepalive=2) + ping) + later(2000) + w(1, ping) +
        later(3100),
        "connect-timeout": w(0, c4("slowloris")[:5], piece=0) +
        later(2100) + w(1, c4("b")[:3]) + w(2, b"\x10") + w(3, b"\x10") +
        w(0, b"\x10"),
        "sys": w(0, c4("sys") + sub("$SYS/#", 0)) + later(3100) +
        w(0, ping) + later(3000),
        "unsubscribe": w(0, c4("u") + subscribe(V311, [
            ("u/+", 1), ("u/#", 2), ("+/+", 0)], pid=4)) +
        w(1, c4("p") + pub("u/1", "1", 1)) +
        w(0, unsubscribe(V311, ["u/+", "nothing", "u/#"], pid=5)) +
        w(1, pub("u/1", "2", 1, 2)),
        "assigned-id": w(0, c4("") + ping) + w(1, c4("") + ping) +
        w(2, c4("", clean=False)),
        "limits": w(0, c4("lim") + b"".join(
            sub("l/%d" % i, 1, i + 1) for i in range(6)) +
            sub("/".join("l" * 9), 0, 9)) +
        w(1, c4("big") + pub("b", "x" * 2100)),
        "protocol-errors": w(0, pub("early", "x")) +
        w(1, c4("twice") + c4("twice")) +
        w(2, c4("bad") + packet(PUBLISH, 6, s("t") + u16(1))) +
        w(3, c4("wild") + pub("a/+", "x")),
        "auth-acl": w(0, c4("c0", user="alice", password=b"secret") +
                      sub("#", 1) + pub("c/c0/x", "mine", 1, 1) +
                      pub("elsewhere", "denied", 1, 2)) +
        w(1, c4("anon") + sub("secret/#", 0) + pub("secret/a", "no") +
          pub("u/alice/x", "to alice")) +
        w(2, c4("c2", user="alice", password=b"wrong")) +
        w(3, c4("w", user="alice", password=b"secret",
                will=("secret/w", b"denied will", 0, False))) + close(3),
        "hostile-frames": w(0, c4("r") + b"\x30\xff\xff\xff\xff\x01") +
        w(1, c4("z") + packet(SUBSCRIBE, 2, u16(1))) +
        w(2, c4("q") + packet(SUBSCRIBE, 2, u16(0) + s("a") + b"\x01")) +
        w(3, c4("f") + packet(0, 0, b"")),
    }
    return out


def conn_oom_scripts(scripts):
    """Each script with a few allocation counts before which nothing
    fails (two bytes, big-endian)."""
    out = {}
    for name, script in scripts.items():
        # From the name, so that a new script renames no other seed.
        h = int(hashlib.sha256(name.encode()).hexdigest(), 16)
        for k in (0, 8 + h % 32, 40 + h % 96, 150 + h % 200):
            out["%s-%d" % (name, k)] = u16(k) + script
    return out


def config_dict():
    """Directive names and common values, from the directive table."""
    src = open(os.path.join(ROOT, "src", "config", "directives.c")).read()
    words = sorted(set(re.findall(r'\.name = "([^"]+)"', src)))
    words += ["true", "false", "#", "\\x0d\\x0a", "0.0.0.0", "::1",
              "127.0.0.1", "mqtt", "websockets", "stderr", "stdout",
              "file", "syslog", "none", "all", "65535", "4294967296"]
    return words


def dict_text(words):
    return "".join('"%s"\n' % w for w in words)


def write_dir(name, seeds):
    d = os.path.join(HERE, "corpus", name)
    os.makedirs(d, exist_ok=True)
    wanted = set("seed-" + k for k in seeds)
    for old in os.listdir(d):
        if old.startswith("seed-") and old not in wanted:
            os.remove(os.path.join(d, old))
    for k, data in seeds.items():
        if isinstance(data, str):
            data = data.encode()
        with open(os.path.join(d, "seed-" + k), "wb") as f:
            f.write(data)
    return len(seeds), sum(len(v) for v in seeds.values())


def main():
    targets = {
        "frame": frame_seeds(),
        "decode": decode_seeds(),
        "props": props_seeds(),
        "topic": topic_seeds(),
        "config": CONFIGS,
        "passwd": passwd_seeds(),
        "acl": ACLS,
        "conn": conn_scripts(),
        "conn_oom": conn_oom_scripts(conn_scripts()),
    }
    for name, seeds in targets.items():
        n, size = write_dir(name, seeds)
        print("%-7s %3d seeds, %6d bytes" % (name, n, size))
    dicts = {
        "config": config_dict(),
        "passwd": ["$7$", "$6$", "$argon2id$", ":", "=", "==", "#", "101",
                   "\\x0d\\x0a", "alice", "AAAAAAAAAAAAAAAA"],
        "topic": ["/", "+", "#", "$", "$SYS/", "$share/", "\\x00"],
        "acl": ["topic", "user", "pattern", "read", "write", "readwrite",
                "deny", "%c", "%u", "#", "+", "/", "$SYS/", "\\x00",
                "\\x0a"],
    }
    # Protocol names, the fuzz user and the topics its ACL names.
    dicts["conn"] = dicts["conn_oom"] = [
        "MQTT", "MQIsdp", "\\x00\\x04MQTT\\x04", "\\x00\\x06MQIsdp\\x03",
        "alice", "secret", "$SYS/", "secret/", "c/", "u/alice/", "#", "+",
        "/"]
    for name, words in dicts.items():
        with open(os.path.join(HERE, name + ".dict"), "w") as f:
            f.write("# libFuzzer dictionary, written by make_seeds.py\n")
            f.write(dict_text(words))
    return 0


if __name__ == "__main__":
    sys.exit(main())
