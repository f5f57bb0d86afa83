/*
 * client_test.c - the client state machine against hand-made broker
 * bytes: CONNECT/CONNACK in 3.1.1 and 5, the QoS 1 and 2 flows in both
 * directions, SUBSCRIBE/UNSUBSCRIBE, topic aliases, reason codes,
 * server DISCONNECT, malformed input. Every byte the client sends is
 * checked exactly.
 */
#include "test_peer.h"

/* CONNACK accepted, 3.1.1 and 5 (no properties). */
#define CONNACK_V3 0x20, 0x02, 0x00, 0x00
#define CONNACK_V5 0x20, 0x03, 0x00, 0x00, 0x00

/* CONNECT of base_opts(): clean, keep-alive 60, client id "c1". */
#define CONNECT_V311                                                        \
	0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3C, \
	        0x00, 0x02, 'c', '1'
#define CONNECT_V5                                                          \
	0x10, 0x0F, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02, 0x00, 0x3C, \
	        0x00, 0x00, 0x02, 'c', '1'

static struct tern_client *
connected(int ver, int *peer)
{
	struct tern_options o;
	struct tern_client *c;

	base_opts(&o, ver);
	c = peer_start(&o, peer);
	if (c == NULL) {
		return NULL;
	}
	if (ver == TERN_MQTT5) {
		PEER_SEND(*peer, CONNACK_V5);
	} else {
		PEER_SEND(*peer, CONNACK_V3);
	}
	if (step(c) != 0 || !tern_is_connected(c)) {
		tern_client_free(c);
		close(*peer);
		return NULL;
	}
	return c;
}

static void
test_connect_v311(void)
{
	struct tern_options o;
	struct tern_client *c;
	int peer;

	base_opts(&o, TERN_MQTT311);
	c = peer_start(&o, &peer);
	T_CHECK(c != NULL);
	PEER_EXPECT(peer, CONNECT_V311);
	T_CHECK(!tern_is_connected(c));
	PEER_SEND(peer, 0x20, 0x02, 0x00, 0x00);
	T_CHECK_INT(step(c), 0);
	T_CHECK(tern_is_connected(c));
	T_CHECK(!tern_session_present(c));
	T_CHECK_INT(tern_last_reason(c), 0);
	T_CHECK_INT(tern_disconnect(c), 0);
	PEER_EXPECT(peer, 0xE0, 0x00);
	T_CHECK(!tern_is_connected(c));
	tern_client_free(c);
	close(peer);
}

static void
test_connect_v31_user_password(void)
{
	struct tern_options o;
	struct tern_client *c;
	int peer;

	base_opts(&o, TERN_MQTT31);
	o.username = "u";
	o.password = "pw";
	o.keepalive = 10;
	c = peer_start(&o, &peer);
	T_CHECK(c != NULL);
	PEER_EXPECT(peer, 0x10, 0x17, 0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p',
	            0x03, 0xC2, 0x00, 0x0A, 0x00, 0x02, 'c', '1', 0x00, 0x01,
	            'u', 0x00, 0x02, 'p', 'w');
	tern_client_free(c);
	close(peer);
}

static void
test_connect_refused(void)
{
	struct tern_options o;
	struct tern_client *c;
	struct seen s;
	int peer;

	base_opts(&o, TERN_MQTT311);
	c = peer_start(&o, &peer);
	T_CHECK(c != NULL);
	seen_install(c, &s);
	PEER_EXPECT(peer, CONNECT_V311);
	PEER_SEND(peer, 0x20, 0x02, 0x00, 0x05);
	T_CHECK_INT(step(c), TERN_EDENIED);
	T_CHECK_INT(s.connects, 1);
	T_CHECK_INT(s.connect_reason, 5);
	T_CHECK_INT(tern_last_reason(c), 5);
	T_CHECK(strstr(tern_error_detail(c), "not authorized") != NULL);
	T_CHECK(!tern_is_connected(c));
	PEER_SILENT(peer); /* no DISCONNECT after a refusal */
	tern_client_free(c);
	close(peer);
}

static void
test_connect_v5_props(void)
{
	struct tern_prop cp[] = {
	        {.id = TERN_PROP_SESSION_EXPIRY, .num = 3600},
	        {.id = TERN_PROP_USER_PROPERTY,
	         .str = "k",
	         .str_len = 1,
	         .val = "v",
	         .val_len = 1},
	};
	struct tern_options o;
	struct tern_client *c;
	struct tern_props cap;
	int peer;

	base_opts(&o, TERN_MQTT5);
	o.client_id = NULL;
	o.keepalive = 30;
	o.connect_props.v = cp;
	o.connect_props.n = 2;
	c = peer_start(&o, &peer);
	T_CHECK(c != NULL);
	PEER_EXPECT(peer, 0x10, 0x19, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05,
	            0x02, 0x00, 0x1E, 0x0C, 0x11, 0x00, 0x00, 0x0E, 0x10, 0x26,
	            0x00, 0x01, 'k', 0x00, 0x01, 'v', 0x00, 0x00);
	/* Assigned client id, Receive Maximum 2, Server Keep Alive 10. */
	PEER_SEND(peer, 0x20, 0x11, 0x00, 0x00, 0x0E, 0x12, 0x00, 0x05, 's',
	          'r', 'v', '-', '1', 0x21, 0x00, 0x02, 0x13, 0x00, 0x0A);
	T_CHECK_INT(step(c), 0);
	T_CHECK(tern_is_connected(c));
	T_CHECK(strcmp(tern_client_id(c), "srv-1") == 0);
	T_CHECK_INT(c->keepalive, 10);
	T_CHECK_INT(c->recv_max_out, 2);
	tern_connack_props(c, &cap);
	T_CHECK_INT(cap.n, 3);
	T_CHECK_INT(cap.v[0].id, TERN_PROP_ASSIGNED_CLIENT_ID);
	tern_client_free(c);
	close(peer);
}

static void
test_will_v5(void)
{
	struct tern_prop wp[] = {{.id = TERN_PROP_WILL_DELAY, .num = 5}};
	struct tern_options o;
	struct tern_client *c;
	int peer;

	base_opts(&o, TERN_MQTT5);
	o.will_topic = "w";
	o.will_payload = "bye";
	o.will_payload_len = 3;
	o.will_qos = 1;
	o.will_retain = true;
	o.will_props.v = wp;
	o.will_props.n = 1;
	c = peer_start(&o, &peer);
	T_CHECK(c != NULL);
	PEER_EXPECT(peer, 0x10, 0x1D, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05,
	            0x2E, 0x00, 0x3C, 0x00, 0x00, 0x02, 'c', '1', 0x05, 0x18,
	            0x00, 0x00, 0x00, 0x05, 0x00, 0x01, 'w', 0x00, 0x03, 'b',
	            'y', 'e');
	tern_client_free(c);
	close(peer);
}

static void
test_publish_qos0(void)
{
	struct tern_client *c;
	int peer;

	c = connected(TERN_MQTT311, &peer);
	T_CHECK(c != NULL);
	PEER_EXPECT(peer, CONNECT_V311);
	T_CHECK_INT(tern_publish(c, "t", "hi", 2, 0, true), 0);
	PEER_EXPECT(peer, 0x31, 0x05, 0x00, 0x01, 't', 'h', 'i');
	T_CHECK_INT(tern_publish(c, "a/+", "x", 1, 0, false), TERN_ETOPIC);
	T_CHECK_INT(tern_publish(c, "t", "x", 1, 3, false), TERN_EINVAL);
	tern_client_free(c);
	close(peer);
}

static void
test_publish_qos1(void)
{
	struct tern_client *c;
	struct seen s;
	uint16_t mid = 0;
	int peer;

	c = connected(TERN_MQTT311, &peer);
	T_CHECK(c != NULL);
	seen_install(c, &s);
	PEER_EXPECT(peer, CONNECT_V311);
	T_CHECK_INT(pub_async(c, "t", "hi", 1, &mid), 0);
	T_CHECK_INT(mid, 1);
	PEER_EXPECT(peer, 0x32, 0x07, 0x00, 0x01, 't', 0x00, 0x01, 'h', 'i');
	T_CHECK_INT(s.publishes, 0);
	PEER_SEND(peer, 0x40, 0x02, 0x00, 0x01);
	T_CHECK_INT(step(c), 0);
	T_CHECK_INT(s.publishes, 1);
	T_CHECK_INT(s.pub_mid[0], 1);
	T_CHECK_INT(s.pub_err[0], 0);
	/* Blocking: the PUBACK is already waiting when the call starts. */
	PEER_SEND(peer, 0x40, 0x02, 0x00, 0x02);
	T_CHECK_INT(tern_publish(c, "t", "hi", 2, 1, false), 0);
	PEER_EXPECT(peer, 0x32, 0x07, 0x00, 0x01, 't', 0x00, 0x02, 'h', 'i');
	tern_client_free(c);
	close(peer);
}

static void
test_publish_qos2(void)
{
	struct tern_client *c;
	struct seen s;
	uint16_t mid = 0;
	int peer;

	c = connected(TERN_MQTT5, &peer);
	T_CHECK(c != NULL);
	seen_install(c, &s);
	PEER_EXPECT(peer, CONNECT_V5);
	T_CHECK_INT(pub_async(c, "t", "hi", 2, &mid), 0);
	PEER_EXPECT(peer, 0x34, 0x08, 0x00, 0x01, 't', 0x00, 0x01, 0x00, 'h',
	            'i');
	PEER_SEND(peer, 0x50, 0x02, 0x00, 0x01);
	T_CHECK_INT(step(c), 0);
	PEER_EXPECT(peer, 0x62, 0x02, 0x00, 0x01);
	T_CHECK_INT(s.publishes, 0);
	/* A repeated PUBREC gets the PUBREL again. */
	PEER_SEND(peer, 0x50, 0x02, 0x00, 0x01);
	T_CHECK_INT(step(c), 0);
	PEER_EXPECT(peer, 0x62, 0x02, 0x00, 0x01);
	PEER_SEND(peer, 0x70, 0x02, 0x00, 0x01);
	T_CHECK_INT(step(c), 0);
	T_CHECK_INT(s.publishes, 1);
	T_CHECK_INT(s.pub_err[0], 0);
	T_CHECK_INT(s.pub_reason[0], 0);
	tern_client_free(c);
	close(peer);
}

static void
test_publish_failures_v5(void)
{
	struct tern_client *c;
	struct seen s;
	int peer;

	c = connected(TERN_MQTT5, &peer);
	T_CHECK(c != NULL);
	seen_install(c, &s);
	PEER_EXPECT(peer, CONNECT_V5);
	T_CHECK_INT(pub_async(c, "t", "", 1, NULL), 0);
	T_CHECK_INT(pub_async(c, "t", "", 2, NULL), 0);
	PEER_EXPECT(peer, 0x32, 0x06, 0x00, 0x01, 't', 0x00, 0x01, 0x00, 0x34,
	            0x06, 0x00, 0x01, 't', 0x00, 0x02, 0x00);
	/* PUBACK "not authorized", PUBREC "quota exceeded". */
	PEER_SEND(peer, 0x40, 0x04, 0x00, 0x01, 0x87, 0x00, 0x50, 0x03, 0x00,
	          0x02, 0x97);
	T_CHECK_INT(step(c), 0);
	T_CHECK_INT(s.publishes, 2);
	T_CHECK_INT(s.pub_err[0], TERN_EDENIED);
	T_CHECK_INT(s.pub_reason[0], 0x87);
	T_CHECK_INT(s.pub_err[1], TERN_EFULL);
	T_CHECK_INT(s.pub_reason[1], 0x97);
	PEER_SILENT(peer); /* a failed PUBREC ends the flow: no PUBREL */
	/* Blocking publish reports the reason code. */
	PEER_SEND(peer, 0x40, 0x03, 0x00, 0x03, 0x90);
	T_CHECK_INT(tern_publish(c, "t", "", 0, 1, false), TERN_ETOPIC);
	T_CHECK_INT(tern_last_reason(c), 0x90);
	tern_client_free(c);
	close(peer);
}

static void
test_publish_props_v5(void)
{
	struct tern_prop pp[] = {
	        {.id = TERN_PROP_MESSAGE_EXPIRY, .num = 60},
	        {.id = TERN_PROP_CORRELATION_DATA, .str = "id", .str_len = 2},
	};
	struct tern_props props = {pp, 2};
	struct tern_prop bad[] = {{.id = TERN_PROP_SESSION_EXPIRY, .num = 1}};
	struct tern_props badp = {bad, 1};
	struct tern_client *c;
	int peer;

	c = connected(TERN_MQTT5, &peer);
	T_CHECK(c != NULL);
	PEER_EXPECT(peer, CONNECT_V5);
	T_CHECK_INT(tern_publish_ex(c, &(struct tern_pub){"t", "x", 1, 0, false,
	                                                  props}),
	            0);
	PEER_EXPECT(peer, 0x30, 0x0F, 0x00, 0x01, 't', 0x0A, 0x02, 0x00, 0x00,
	            0x00, 0x3C, 0x09, 0x00, 0x02, 'i', 'd', 'x');
	T_CHECK_INT(tern_publish_ex(
	                    c, &(struct tern_pub){"t", "x", 1, 0, false, badp}),
	            TERN_EINVAL);
	tern_client_free(c);
	close(peer);
}

static void
test_receive_qos1(void)
{
	struct tern_message *m = NULL;
	struct tern_client *c;
	int peer;

	c = connected(TERN_MQTT311, &peer);
	T_CHECK(c != NULL);
	PEER_EXPECT(peer, CONNECT_V311);
	PEER_SEND(peer, 0x32, 0x07, 0x00, 0x01, 't', 0x00, 0x07, 'h', 'i');
	T_CHECK_INT(tern_recv(c, 1000, &m), 0);
	T_CHECK(strcmp(m->topic, "t") == 0);
	T_CHECK_INT(m->payload_len, 2);
	T_CHECK(strcmp(m->payload, "hi") == 0);
	T_CHECK_INT(m->qos, 1);
	T_CHECK_INT(m->mid, 7);
	T_CHECK(!m->retain && !m->dup);
	tern_message_free(m);
	PEER_EXPECT(peer, 0x40, 0x02, 0x00, 0x07);
	T_CHECK_INT(tern_recv(c, 0, &m), TERN_ETIMEOUT);
	tern_client_free(c);
	close(peer);
}

static void
test_receive_qos2_once(void)
{
	struct tern_message *m = NULL;
	struct tern_client *c;
	int peer;

	c = connected(TERN_MQTT311, &peer);
	T_CHECK(c != NULL);
	PEER_EXPECT(peer, CONNECT_V311);
	/* The PUBLISH and its DUP resend before our PUBREC got there. */
	PEER_SEND(peer, 0x34, 0x07, 0x00, 0x01, 't', 0x00, 0x09, 'h', 'i', 0x3C,
	          0x07, 0x00, 0x01, 't', 0x00, 0x09, 'h', 'i');
	T_CHECK_INT(step(c), 0);
	PEER_EXPECT(peer, 0x50, 0x02, 0x00, 0x09, 0x50, 0x02, 0x00, 0x09);
	T_CHECK_INT(tern_recv(c, 0, &m), 0);
	T_CHECK_INT(m->qos, 2);
	tern_message_free(m);
	T_CHECK_INT(tern_recv(c, 0, &m), TERN_ETIMEOUT);
	PEER_SEND(peer, 0x62, 0x02, 0x00, 0x09);
	T_CHECK_INT(step(c), 0);
	PEER_EXPECT(peer, 0x70, 0x02, 0x00, 0x09);
	/* After PUBREL the id is free: the same id is a new message. */
	PEER_SEND(peer, 0x34, 0x07, 0x00, 0x01, 't', 0x00, 0x09, 'h', 'o');
	T_CHECK_INT(tern_recv(c, 1000, &m), 0);
	T_CHECK(strcmp(m->payload, "ho") == 0);
	tern_message_free(m);
	tern_client_free(c);
	close(peer);
}

static void
test_subscribe_unsubscribe_v311(void)
{
	struct tern_sub subs[] = {{.filter = "a/+", .qos = 1},
	                          {.filter = "b/#", .qos = 2}};
	const char *filters[] = {"a/+"};
	uint8_t rcs[2] = {0xff, 0xff};
	struct tern_client *c;
	int peer;

	c = connected(TERN_MQTT311, &peer);
	T_CHECK(c != NULL);
	PEER_EXPECT(peer, CONNECT_V311);
	PEER_SEND(peer, 0x90, 0x04, 0x00, 0x01, 0x01, 0x80);
	T_CHECK_INT(tern_subscribe_many(c, subs, 2, NULL, rcs), 0);
	T_CHECK_INT(rcs[0], 1);
	T_CHECK_INT(rcs[1], 0x80);
	PEER_EXPECT(peer, 0x82, 0x0E, 0x00, 0x01, 0x00, 0x03, 'a', '/', '+',
	            0x01, 0x00, 0x03, 'b', '/', '#', 0x02);
	PEER_SEND(peer, 0xB0, 0x02, 0x00, 0x02);
	T_CHECK_INT(tern_unsubscribe_many(c, filters, 1, NULL, rcs), 0);
	T_CHECK_INT(rcs[0], 0);
	PEER_EXPECT(peer, 0xA2, 0x07, 0x00, 0x02, 0x00, 0x03, 'a', '/', '+');
	/* Refused: tern_subscribe() says so and keeps the code. */
	PEER_SEND(peer, 0x90, 0x03, 0x00, 0x03, 0x80);
	T_CHECK_INT(tern_subscribe(c, "x", 0), TERN_EDENIED);
	T_CHECK_INT(tern_last_reason(c), 0x80);
	/* 3.1.1 has no subscription options. */
	subs[0].no_local = true;
	T_CHECK_INT(tern_subscribe_many(c, subs, 1, NULL, rcs), TERN_EINVAL);
	T_CHECK_INT(tern_subscribe(c, "a/#/b", 0), TERN_ETOPIC);
	tern_client_free(c);
	close(peer);
}

static void
test_subscribe_v5_options(void)
{
	struct tern_sub sub = {.filter = "s",
	                       .qos = 2,
	                       .no_local = true,
	                       .retain_as_published = true,
	                       .retain_handling = 2};
	struct tern_prop sp[] = {{.id = TERN_PROP_SUBSCRIPTION_ID, .num = 7}};
	struct tern_props props = {sp, 1};
	struct tern_client *c;
	struct seen s;
	uint16_t mid;
	int peer;

	c = connected(TERN_MQTT5, &peer);
	T_CHECK(c != NULL);
	seen_install(c, &s);
	PEER_EXPECT(peer, CONNECT_V5);
	T_CHECK_INT(tern_subscribe_async(c, &sub, 1, &props, &mid), 0);
	PEER_EXPECT(peer, 0x82, 0x09, 0x00, 0x01, 0x02, 0x0B, 0x07, 0x00, 0x01,
	            's', 0x2E);
	PEER_SEND(peer, 0x90, 0x04, 0x00, 0x01, 0x00, 0x02);
	T_CHECK_INT(step(c), 0);
	T_CHECK_INT(s.subs, 1);
	T_CHECK_INT(s.sub_n, 1);
	T_CHECK_INT(s.sub_rcs[0], 2);
	/* A SUBACK whose count does not match is a protocol error. */
	T_CHECK_INT(tern_subscribe_async(c, &sub, 1, NULL, &mid), 0);
	PEER_EXPECT(peer, 0x82, 0x07, 0x00, 0x02, 0x00, 0x00, 0x01, 's', 0x2E);
	PEER_SEND(peer, 0x90, 0x05, 0x00, 0x02, 0x00, 0x02, 0x02);
	T_CHECK_INT(step(c), TERN_EPROTO);
	PEER_EXPECT(peer, 0xE0, 0x01, 0x82);
	T_CHECK_INT(s.subs, 2); /* the request failed with the connection */
	T_CHECK_INT(s.sub_n, 0);
	tern_client_free(c);
	close(peer);
}

static void
test_topic_alias_in(void)
{
	struct tern_prop cp[] = {{.id = TERN_PROP_TOPIC_ALIAS_MAX, .num = 5}};
	struct tern_message *m = NULL;
	struct tern_options o;
	struct tern_client *c;
	int peer;

	base_opts(&o, TERN_MQTT5);
	o.connect_props.v = cp;
	o.connect_props.n = 1;
	c = peer_start(&o, &peer);
	T_CHECK(c != NULL);
	PEER_EXPECT(peer, 0x10, 0x12, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05,
	            0x02, 0x00, 0x3C, 0x03, 0x22, 0x00, 0x05, 0x00, 0x02, 'c',
	            '1');
	PEER_SEND(peer, CONNACK_V5);
	/* "a/b" with alias 1, then alias 1 alone. */
	PEER_SEND(peer, 0x30, 0x0A, 0x00, 0x03, 'a', '/', 'b', 0x03, 0x23, 0x00,
	          0x01, 'x', 0x30, 0x07, 0x00, 0x00, 0x03, 0x23, 0x00, 0x01,
	          'y');
	T_CHECK_INT(step(c), 0);
	T_CHECK_INT(tern_recv(c, 0, &m), 0);
	T_CHECK(strcmp(m->topic, "a/b") == 0);
	T_CHECK_INT(m->props.n, 1);
	T_CHECK_INT(m->props.v[0].id, TERN_PROP_TOPIC_ALIAS);
	T_CHECK_INT(m->props.v[0].num, 1);
	tern_message_free(m);
	T_CHECK_INT(tern_recv(c, 0, &m), 0);
	T_CHECK(strcmp(m->topic, "a/b") == 0);
	T_CHECK(strcmp(m->payload, "y") == 0);
	tern_message_free(m);
	/* Alias 6 is over our maximum: DISCONNECT "topic alias invalid". */
	PEER_SEND(peer, 0x30, 0x07, 0x00, 0x00, 0x03, 0x23, 0x00, 0x06, 'z');
	T_CHECK_INT(step(c), TERN_ETOPIC);
	PEER_EXPECT(peer, 0xE0, 0x01, 0x94);
	tern_client_free(c);
	close(peer);
}

/*
 * [MQTT-3.2.2-17]: no Topic Alias over the server's Topic Alias Maximum;
 * [MQTT-3.2.2-18]: none at all when its CONNACK does not give one.
 */
static void
test_topic_alias_out(void)
{
	struct tern_prop ap[] = {{.id = TERN_PROP_TOPIC_ALIAS, .num = 2}};
	struct tern_pub m = {"t", "x", 1, 1, false, {ap, 1}};
	struct tern_options o;
	struct tern_client *c;
	struct seen s;
	int peer;

	base_opts(&o, TERN_MQTT5);
	c = peer_start(&o, &peer);
	T_CHECK(c != NULL);
	seen_install(c, &s);
	PEER_EXPECT(peer, CONNECT_V5);
	/* Queued before the CONNACK; refused when it allows no alias. */
	T_CHECK_INT(tern_publish_async(c, &m, NULL), 0);
	PEER_SEND(peer, CONNACK_V5);
	T_CHECK_INT(step(c), 0);
	T_CHECK_INT(s.publishes, 1);
	T_CHECK_INT(s.pub_err[0], TERN_EINVAL);
	m.qos = 0;
	T_CHECK_INT(tern_publish_async(c, &m, NULL), TERN_EINVAL);
	PEER_SILENT(peer);
	/* The next connection allows aliases 1 and 2. */
	close(peer);
	T_CHECK_INT(step(c), TERN_ECLOSED);
	peer = peer_reattach(c);
	T_CHECK(peer >= 0);
	PEER_EXPECT(peer, CONNECT_V5);
	PEER_SEND(peer, 0x20, 0x06, 0x00, 0x00, 0x03, 0x22, 0x00, 0x02);
	T_CHECK_INT(step(c), 0);
	T_CHECK_INT(tern_publish_async(c, &m, NULL), 0);
	PEER_EXPECT(peer, 0x30, 0x08, 0x00, 0x01, 't', 0x03, 0x23, 0x00, 0x02,
	            'x');
	ap[0].num = 3;
	T_CHECK_INT(tern_publish_async(c, &m, NULL), TERN_EINVAL);
	PEER_SILENT(peer);
	tern_client_free(c);
	close(peer);
}

static void
test_server_disconnect_v5(void)
{
	struct tern_client *c;
	struct seen s;
	int peer;

	c = connected(TERN_MQTT5, &peer);
	T_CHECK(c != NULL);
	seen_install(c, &s);
	PEER_EXPECT(peer, CONNECT_V5);
	PEER_SEND(peer, 0xE0, 0x08, 0x8B, 0x06, 0x1F, 0x00, 0x03, 'b', 'y',
	          'e');
	T_CHECK_INT(step(c), TERN_EBUSY);
	T_CHECK_INT(s.disconnects, 1);
	T_CHECK_INT(s.disc_err, TERN_EBUSY);
	T_CHECK_INT(s.disc_reason, 0x8B);
	T_CHECK(strcmp(s.disc_string, "bye") == 0);
	T_CHECK(strstr(tern_error_detail(c), "server shutting down") != NULL);
	tern_client_free(c);
	close(peer);
}

static void
test_malformed_input(void)
{
	struct tern_client *c;
	int peer;

	c = connected(TERN_MQTT5, &peer);
	T_CHECK(c != NULL);
	PEER_EXPECT(peer, CONNECT_V5);
	/* A PUBACK one byte long. */
	PEER_SEND(peer, 0x40, 0x01, 0x00);
	T_CHECK_INT(step(c), TERN_EMALFORMED);
	PEER_EXPECT(peer, 0xE0, 0x01, 0x81);
	tern_client_free(c);
	close(peer);
	/* A second CONNACK is a protocol error too; 3.1.1 just closes. */
	c = connected(TERN_MQTT311, &peer);
	T_CHECK(c != NULL);
	PEER_EXPECT(peer, CONNECT_V311);
	PEER_SEND(peer, CONNACK_V3);
	T_CHECK_INT(step(c), TERN_EPROTO);
	PEER_SILENT(peer);
	tern_client_free(c);
	close(peer);
}

static void
test_peer_closes(void)
{
	struct tern_client *c;
	struct seen s;
	int peer;

	c = connected(TERN_MQTT311, &peer);
	T_CHECK(c != NULL);
	seen_install(c, &s);
	close(peer);
	T_CHECK_INT(step(c), TERN_ECLOSED);
	T_CHECK_INT(s.disconnects, 1);
	T_CHECK_INT(s.disc_err, TERN_ECLOSED);
	T_CHECK_INT(s.disc_reason, -1);
	T_CHECK_INT(tern_publish(c, "t", "x", 1, 0, false), TERN_ECLOSED);
	tern_client_free(c);
}

static void
test_nothing_after_disconnect(void)
{
	struct tern_message *m = NULL;
	struct tern_client *c;
	int peer;

	c = connected(TERN_MQTT311, &peer);
	T_CHECK(c != NULL);
	PEER_EXPECT(peer, CONNECT_V311);
	T_CHECK_INT(tern_disconnect_async(c, 0, NULL), 0);
	PEER_EXPECT(peer, 0xE0, 0x00);
	/* A QoS 1 PUBLISH crossing our DISCONNECT gets no PUBACK. */
	PEER_SEND(peer, 0x32, 0x07, 0x00, 0x01, 't', 0x00, 0x07, 'h', 'i');
	T_CHECK_INT(step(c), TERN_ECLOSED);
	PEER_SILENT(peer);
	T_CHECK_INT(tern_recv(c, 0, &m), 0); /* still delivered */
	tern_message_free(m);
	tern_client_free(c);
	close(peer);
}

static void
test_bad_options(void)
{
	struct tern_prop alias[] = {{.id = TERN_PROP_TOPIC_ALIAS, .num = 1}};
	static char long_name[0x10001]; /* one byte over an MQTT string */
	struct tern_options o;
	struct tern_client *c = NULL;

	memset(long_name, 'u', sizeof long_name - 1);

	base_opts(&o, 6);
	T_CHECK_INT(tern_client_new(&o, &c), TERN_EINVAL);
	base_opts(&o, TERN_MQTT5);
	o.connect_props.v = alias; /* not a CONNECT property */
	o.connect_props.n = 1;
	T_CHECK_INT(tern_client_new(&o, &c), TERN_EINVAL);
	base_opts(&o, TERN_MQTT311);
	o.connect_props.v = alias; /* no properties before 5 */
	o.connect_props.n = 1;
	T_CHECK_INT(tern_client_new(&o, &c), TERN_EINVAL);
	base_opts(&o, TERN_MQTT311);
	o.password = "p"; /* [MQTT-3.1.2-22] */
	T_CHECK_INT(tern_client_new(&o, &c), TERN_EINVAL);
	/* [MQTT-1.5.3-1]: client id and user name are UTF-8 strings. */
	base_opts(&o, TERN_MQTT311);
	o.client_id = "c\xff";
	T_CHECK_INT(tern_client_new(&o, &c), TERN_EINVAL);
	base_opts(&o, TERN_MQTT5);
	o.username = "\xed\xa0\x80"; /* a surrogate */
	T_CHECK_INT(tern_client_new(&o, &c), TERN_EINVAL);
	o.username = long_name;
	T_CHECK_INT(tern_client_new(&o, &c), TERN_EINVAL);
	base_opts(&o, TERN_MQTT311);
	o.client_id = ""; /* [MQTT-3.1.3-7]: no id needs a clean session */
	o.clean = false;
	T_CHECK_INT(tern_client_new(&o, &c), TERN_EINVAL);
	o.client_id = NULL;
	T_CHECK_INT(tern_client_new(&o, &c), TERN_EINVAL);
	base_opts(&o, TERN_MQTT311);
	o.will_topic = "w/#";
	T_CHECK_INT(tern_client_new(&o, &c), TERN_EINVAL);
	o.will_topic = "w";
	o.will_qos = 3;
	T_CHECK_INT(tern_client_new(&o, &c), TERN_EINVAL);
	T_CHECK(c == NULL);
}

static void
test_blocking_call_in_callback(void)
{
	/* Covered by the rule: a blocking call inside a callback is EBUSY. */
	struct tern_client *c;
	int peer;

	c = connected(TERN_MQTT311, &peer);
	T_CHECK(c != NULL);
	c->in_cb = 1;
	T_CHECK_INT(tern_publish(c, "t", "x", 1, 1, false), TERN_EBUSY);
	T_CHECK_INT(tern_io(c, 0), TERN_EBUSY);
	c->in_cb = 0;
	tern_client_free(c);
	close(peer);
}

T_MAIN(T_CASE(test_connect_v311), T_CASE(test_connect_v31_user_password),
       T_CASE(test_connect_refused), T_CASE(test_connect_v5_props),
       T_CASE(test_will_v5), T_CASE(test_publish_qos0),
       T_CASE(test_publish_qos1), T_CASE(test_publish_qos2),
       T_CASE(test_publish_failures_v5), T_CASE(test_publish_props_v5),
       T_CASE(test_receive_qos1), T_CASE(test_receive_qos2_once),
       T_CASE(test_subscribe_unsubscribe_v311),
       T_CASE(test_subscribe_v5_options), T_CASE(test_topic_alias_in),
       T_CASE(test_topic_alias_out), T_CASE(test_server_disconnect_v5),
       T_CASE(test_malformed_input), T_CASE(test_peer_closes),
       T_CASE(test_nothing_after_disconnect), T_CASE(test_bad_options),
       T_CASE(test_blocking_call_in_callback))
