/*
 * roundtrip_test.c - encode, frame and decode every packet type in every
 * version it exists in, and compare the fields that come back with the
 * fields that went in. MQTT 5 properties are built once and sent in
 * every version: before 5 they must vanish, in 5 they must survive
 * (typed values, verbatim user properties, subscription identifiers).
 */
#include "../base/test.h"
#include "mqtt.h"
#include "proptab.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const enum mqtt_ver all_vers[] = {MQTT_V31, MQTT_V311, MQTT_V5};

#define S(lit) span_make((lit), sizeof(lit) - 1)

/* Diagnostics only: a failed write to stderr changes no result. */
#define SAY(...) (void)fprintf(stderr, __VA_ARGS__)

/*
 * Encode @in for @ver, frame it, decode it into *out. The buffer is
 * exactly codec_size() bytes and must be one whole frame.
 */
static bool
roundtrip(const struct mqtt_packet *in, enum mqtt_ver ver,
          struct mqtt_packet *out)
{
	static uint8_t buf[8192];
	struct codec_limits lim = {0};
	struct mqtt_fixed fh;
	size_t n = codec_size(in, ver);
	struct wr w;
	int err;

	if (n == 0 || n > sizeof buf) {
		SAY("type %u ver %d: codec_size %zu\n", in->type, ver, n);
		return false;
	}
	w = wr_make(buf, n);
	codec_write(&w, in, ver);
	err = codec_frame(buf, n, &lim, &fh);
	if (w.pos != n || err != 0 || fh.hdr_len + fh.body_len != n ||
	    fh.type != in->type) {
		SAY("type %u ver %d: frame %d\n", in->type, ver, err);
		return false;
	}
	err = codec_decode(&fh, span_make(buf + fh.hdr_len, fh.body_len), ver,
	                   out);
	if (err != 0 || out->type != in->type) {
		SAY("type %u ver %d: decode %d\n", in->type, ver, err);
		return false;
	}
	return true;
}

/* Where each typed property lives, to compare the ones that are set. */
struct prop_loc {
	uint8_t id;
	size_t off;
};

static const struct prop_loc prop_locs[] = {
        {MQTT_PROP_PAYLOAD_FORMAT, offsetof(struct mqtt_props, payload_format)},
        {MQTT_PROP_MESSAGE_EXPIRY, offsetof(struct mqtt_props, message_expiry)},
        {MQTT_PROP_CONTENT_TYPE, offsetof(struct mqtt_props, content_type)},
        {MQTT_PROP_RESPONSE_TOPIC, offsetof(struct mqtt_props, response_topic)},
        {MQTT_PROP_CORRELATION_DATA,
         offsetof(struct mqtt_props, correlation_data)},
        {MQTT_PROP_SUBSCRIPTION_ID,
         offsetof(struct mqtt_props, subscription_id)},
        {MQTT_PROP_SESSION_EXPIRY, offsetof(struct mqtt_props, session_expiry)},
        {MQTT_PROP_ASSIGNED_CLIENT_ID,
         offsetof(struct mqtt_props, assigned_client_id)},
        {MQTT_PROP_SERVER_KEEP_ALIVE,
         offsetof(struct mqtt_props, server_keep_alive)},
        {MQTT_PROP_AUTH_METHOD, offsetof(struct mqtt_props, auth_method)},
        {MQTT_PROP_AUTH_DATA, offsetof(struct mqtt_props, auth_data)},
        {MQTT_PROP_REQUEST_PROBLEM_INFO,
         offsetof(struct mqtt_props, request_problem_info)},
        {MQTT_PROP_WILL_DELAY, offsetof(struct mqtt_props, will_delay)},
        {MQTT_PROP_REQUEST_RESPONSE_INFO,
         offsetof(struct mqtt_props, request_response_info)},
        {MQTT_PROP_RESPONSE_INFO, offsetof(struct mqtt_props, response_info)},
        {MQTT_PROP_SERVER_REFERENCE,
         offsetof(struct mqtt_props, server_reference)},
        {MQTT_PROP_REASON_STRING, offsetof(struct mqtt_props, reason_string)},
        {MQTT_PROP_RECEIVE_MAX, offsetof(struct mqtt_props, receive_max)},
        {MQTT_PROP_TOPIC_ALIAS_MAX,
         offsetof(struct mqtt_props, topic_alias_max)},
        {MQTT_PROP_TOPIC_ALIAS, offsetof(struct mqtt_props, topic_alias)},
        {MQTT_PROP_MAX_QOS, offsetof(struct mqtt_props, max_qos)},
        {MQTT_PROP_RETAIN_AVAILABLE,
         offsetof(struct mqtt_props, retain_available)},
        {MQTT_PROP_MAX_PACKET_SIZE,
         offsetof(struct mqtt_props, max_packet_size)},
        {MQTT_PROP_WILDCARD_SUB_AVAILABLE,
         offsetof(struct mqtt_props, wildcard_sub_available)},
        {MQTT_PROP_SUB_ID_AVAILABLE,
         offsetof(struct mqtt_props, sub_id_available)},
        {MQTT_PROP_SHARED_SUB_AVAILABLE,
         offsetof(struct mqtt_props, shared_sub_available)},
};

static bool
field_eq(const struct mqtt_props *a, const struct mqtt_props *b,
         const struct prop_loc *l)
{
	const void *fa = (const unsigned char *)a + l->off;
	const void *fb = (const unsigned char *)b + l->off;

	switch (proptab_kind(l->id)) {
	case PROP_BYTE:
		return *(const uint8_t *)fa == *(const uint8_t *)fb;
	case PROP_U16:
		return *(const uint16_t *)fa == *(const uint16_t *)fb;
	case PROP_U32:
	case PROP_VARINT:
		return *(const uint32_t *)fa == *(const uint32_t *)fb;
	default:
		return span_eq(*(const struct span *)fa,
		               *(const struct span *)fb);
	}
}

/* Every typed property set in @in came back with its value. */
static bool
typed_props_eq(const struct mqtt_props *in, const struct mqtt_props *out)
{
	for (size_t i = 0; i < N_OF(prop_locs); i++) {
		const struct prop_loc *l = &prop_locs[i];

		if (mqtt_props_has(in, l->id) && !field_eq(in, out, l)) {
			SAY("property 0x%02x differs\n", l->id);
			return false;
		}
	}
	return true;
}

/*
 * The entries of @out->raw with id @id, in order, equal the entries of
 * @in->verbatim with that id (user properties travel verbatim).
 */
static bool
same_entries(struct span verbatim, struct span raw, uint8_t id)
{
	struct rd rv = rd_make(verbatim);
	struct rd rr = rd_make(raw);
	struct mqtt_prop pv;
	struct mqtt_prop pr;

	for (;;) {
		int gv;
		int gr;

		do {
			gv = codec_prop_next(&rv, &pv);
		} while (gv == 1 && pv.id != id);
		do {
			gr = codec_prop_next(&rr, &pr);
		} while (gr == 1 && pr.id != id);
		if (gv != gr || gv < 0) {
			return false;
		}
		if (gv == 0) {
			return true;
		}
		if (!span_eq(pv.str, pr.str) || !span_eq(pv.val, pr.val)) {
			return false;
		}
	}
}

/* The subscription identifiers of @raw, in order, are @want[0..n). */
static bool
sub_ids_are(struct span raw, const uint32_t *want, size_t n)
{
	struct rd r = rd_make(raw);
	struct mqtt_prop p;
	size_t seen = 0;
	int got;

	while ((got = codec_prop_next(&r, &p)) == 1) {
		if (p.id != MQTT_PROP_SUBSCRIPTION_ID) {
			continue;
		}
		if (seen >= n || p.num != want[seen]) {
			return false;
		}
		seen++;
	}
	return got == 0 && seen == n;
}

/*
 * Properties after a round trip: none before MQTT 5; in 5 the typed
 * values, the verbatim user properties and the subscription ids.
 */
static bool
props_eq(const struct mqtt_props *in, const struct mqtt_props *out,
         enum mqtt_ver ver)
{
	uint64_t user = MQTT_PROP_BIT(MQTT_PROP_USER_PROPERTY);
	uint64_t sid = MQTT_PROP_BIT(MQTT_PROP_SUBSCRIPTION_ID);
	uint64_t want = in->present & ~user;
	uint32_t ids[8];
	size_t n = 0;

	if (ver != MQTT_V5) {
		return out->present == 0 && out->raw.len == 0;
	}
	if (mqtt_props_has(in, MQTT_PROP_SUBSCRIPTION_ID)) {
		ids[n++] = in->subscription_id;
	}
	for (size_t i = 0; i < in->n_sub_ids && n < N_OF(ids); i++) {
		ids[n++] = in->sub_ids[i];
	}
	want |= n != 0 ? sid : 0;
	if ((out->present & ~user) != want) {
		SAY("present %llx, want %llx\n",
		    (unsigned long long)out->present, (unsigned long long)want);
		return false;
	}
	return typed_props_eq(in, out) &&
	       (n == 0 || out->subscription_id == ids[0]) &&
	       sub_ids_are(out->raw, ids, n) &&
	       same_entries(in->verbatim, out->raw, MQTT_PROP_USER_PROPERTY);
}

/* Shared property fixtures. */

static const uint8_t user_props[] = {0x26, 0x00, 0x01, 'k',  0x00,
                                     0x01, 'v',  0x26, 0x00, 0x01,
                                     'k',  0x00, 0x02, 'v',  '2'};
static const uint8_t binary[] = {0x00, 0xff, 0x7f};
static const uint32_t sub_ids[] = {1, 127, 128, 16384, 268435455};

static struct span
users(void)
{
	return span_make(user_props, sizeof user_props);
}

static void
reason_props(struct mqtt_props *p)
{
	p->present = MQTT_PROP_BIT(MQTT_PROP_REASON_STRING);
	p->reason_string = S("because");
	p->verbatim = users();
}

/* CONNECT */

static bool
connect_eq(const struct mqtt_connect *a, const struct mqtt_connect *b,
           enum mqtt_ver ver)
{
	bool ok = b->ver == ver &&
	          span_eq_str(b->proto_name,
	                      ver == MQTT_V31 ? "MQIsdp" : "MQTT") &&
	          a->clean == b->clean && a->keepalive == b->keepalive &&
	          span_eq(a->client_id, b->client_id) &&
	          a->has_will == b->has_will &&
	          a->has_username == b->has_username &&
	          a->has_password == b->has_password &&
	          props_eq(&a->props, &b->props, ver);

	if (ok && a->has_will) {
		ok = span_eq(a->will.topic, b->will.topic) &&
		     span_eq(a->will.payload, b->will.payload) &&
		     a->will.qos == b->will.qos &&
		     a->will.retain == b->will.retain &&
		     props_eq(&a->will.props, &b->will.props, ver);
	}
	if (ok && a->has_username) {
		ok = span_eq(a->username, b->username);
	}
	if (ok && a->has_password) {
		ok = span_eq(a->password, b->password);
	}
	return ok;
}

static void
fill_connect(struct mqtt_connect *c)
{
	c->clean = true;
	c->keepalive = 65535;
	c->client_id = S("client-1");
	c->props.present = MQTT_PROP_BIT(MQTT_PROP_SESSION_EXPIRY) |
	                   MQTT_PROP_BIT(MQTT_PROP_RECEIVE_MAX) |
	                   MQTT_PROP_BIT(MQTT_PROP_MAX_PACKET_SIZE) |
	                   MQTT_PROP_BIT(MQTT_PROP_TOPIC_ALIAS_MAX) |
	                   MQTT_PROP_BIT(MQTT_PROP_REQUEST_RESPONSE_INFO) |
	                   MQTT_PROP_BIT(MQTT_PROP_REQUEST_PROBLEM_INFO) |
	                   MQTT_PROP_BIT(MQTT_PROP_AUTH_METHOD) |
	                   MQTT_PROP_BIT(MQTT_PROP_AUTH_DATA);
	c->props.session_expiry = 0xffffffffu;
	c->props.receive_max = 10;
	c->props.max_packet_size = 1u << 20;
	c->props.topic_alias_max = 8;
	c->props.request_response_info = 1;
	c->props.request_problem_info = 0;
	c->props.auth_method = S("SCRAM-SHA-1");
	c->props.auth_data = span_make(binary, sizeof binary);
	c->props.verbatim = users();
}

static void
fill_will(struct mqtt_connect *c)
{
	struct mqtt_props *wp = &c->will.props;

	c->has_will = true;
	c->will.topic = S("clients/client-1/status");
	c->will.payload = span_make(binary, sizeof binary);
	c->will.qos = 2;
	c->will.retain = true;
	wp->present = MQTT_PROP_BIT(MQTT_PROP_WILL_DELAY) |
	              MQTT_PROP_BIT(MQTT_PROP_PAYLOAD_FORMAT) |
	              MQTT_PROP_BIT(MQTT_PROP_MESSAGE_EXPIRY) |
	              MQTT_PROP_BIT(MQTT_PROP_CONTENT_TYPE) |
	              MQTT_PROP_BIT(MQTT_PROP_RESPONSE_TOPIC) |
	              MQTT_PROP_BIT(MQTT_PROP_CORRELATION_DATA);
	wp->will_delay = 30;
	wp->payload_format = 0;
	wp->message_expiry = 600;
	wp->content_type = S("application/octet-stream");
	wp->response_topic = S("replies/client-1");
	wp->correlation_data = span_make(binary, sizeof binary);
	wp->verbatim = users();
}

static void
test_connect(void)
{
	struct mqtt_packet in = {.type = MQTT_CONNECT};
	struct mqtt_packet out;

	fill_connect(&in.u.connect);
	for (size_t v = 0; v < N_OF(all_vers); v++) {
		T_CHECK(roundtrip(&in, all_vers[v], &out));
		T_CHECK(connect_eq(&in.u.connect, &out.u.connect, all_vers[v]));
	}
	fill_will(&in.u.connect);
	in.u.connect.clean = false;
	in.u.connect.has_username = true;
	in.u.connect.username = S("user");
	in.u.connect.has_password = true;
	in.u.connect.password = span_make(binary, sizeof binary);
	for (size_t v = 0; v < N_OF(all_vers); v++) {
		T_CHECK(roundtrip(&in, all_vers[v], &out));
		T_CHECK(connect_eq(&in.u.connect, &out.u.connect, all_vers[v]));
	}
}

/* MQTT 5 allows a password without a user name (3.1.2.9). */
static void
test_connect_v5_password_only(void)
{
	struct mqtt_packet in = {.type = MQTT_CONNECT};
	struct mqtt_packet out;

	in.u.connect.client_id = S("c");
	in.u.connect.has_password = true;
	in.u.connect.password = S("secret");
	T_CHECK(roundtrip(&in, MQTT_V5, &out));
	T_CHECK(connect_eq(&in.u.connect, &out.u.connect, MQTT_V5));
}

/* CONNACK */

static void
test_connack(void)
{
	struct mqtt_packet in = {.type = MQTT_CONNACK};
	struct mqtt_packet out;
	struct mqtt_props *p = &in.u.connack.props;

	in.u.connack.session_present = true;
	p->present = MQTT_PROP_BIT(MQTT_PROP_ASSIGNED_CLIENT_ID) |
	             MQTT_PROP_BIT(MQTT_PROP_SERVER_KEEP_ALIVE) |
	             MQTT_PROP_BIT(MQTT_PROP_RECEIVE_MAX) |
	             MQTT_PROP_BIT(MQTT_PROP_MAX_QOS) |
	             MQTT_PROP_BIT(MQTT_PROP_RETAIN_AVAILABLE) |
	             MQTT_PROP_BIT(MQTT_PROP_WILDCARD_SUB_AVAILABLE) |
	             MQTT_PROP_BIT(MQTT_PROP_SUB_ID_AVAILABLE) |
	             MQTT_PROP_BIT(MQTT_PROP_SHARED_SUB_AVAILABLE) |
	             MQTT_PROP_BIT(MQTT_PROP_RESPONSE_INFO) |
	             MQTT_PROP_BIT(MQTT_PROP_TOPIC_ALIAS_MAX);
	p->assigned_client_id = S("auto-1234");
	p->server_keep_alive = 120;
	p->receive_max = 100;
	p->max_qos = 1;
	p->retain_available = 1;
	p->wildcard_sub_available = 1;
	p->sub_id_available = 0;
	p->shared_sub_available = 1;
	p->response_info = S("replies");
	p->topic_alias_max = 16;
	p->verbatim = users();
	for (size_t v = 0; v < N_OF(all_vers); v++) {
		enum mqtt_ver ver = all_vers[v];
		struct mqtt_connack *o = &out.u.connack;

		T_CHECK(roundtrip(&in, ver, &out));
		/* 3.1 has no Session Present flag. */
		T_CHECK(o->session_present == (ver != MQTT_V31));
		T_CHECK_INT(o->rc, 0);
		T_CHECK(props_eq(p, &o->props, ver));
	}
}

static void
test_connack_refused(void)
{
	struct mqtt_packet in = {.type = MQTT_CONNACK};
	struct mqtt_packet out;

	in.u.connack.rc = MQTT_CONNACK_BAD_AUTH;
	for (size_t v = 0; v < 2; v++) {
		T_CHECK(roundtrip(&in, all_vers[v], &out));
		T_CHECK_INT(out.u.connack.rc, MQTT_CONNACK_BAD_AUTH);
	}
	in.u.connack.rc = MQTT_RC_SERVER_MOVED;
	in.u.connack.props.present = MQTT_PROP_BIT(MQTT_PROP_SERVER_REFERENCE);
	in.u.connack.props.server_reference = S("other.example:1883");
	T_CHECK(roundtrip(&in, MQTT_V5, &out));
	T_CHECK_INT(out.u.connack.rc, MQTT_RC_SERVER_MOVED);
	T_CHECK(props_eq(&in.u.connack.props, &out.u.connack.props, MQTT_V5));
}

/* PUBLISH */

static bool
publish_eq(const struct mqtt_publish *a, const struct mqtt_publish *b,
           enum mqtt_ver ver)
{
	return a->qos == b->qos && (a->dup && a->qos > 0) == b->dup &&
	       a->retain == b->retain && span_eq(a->topic, b->topic) &&
	       (a->qos == 0 || a->pid == b->pid) &&
	       span_eq(a->payload, b->payload) &&
	       props_eq(&a->props, &b->props, ver);
}

static void
fill_publish_props(struct mqtt_props *p)
{
	p->present = MQTT_PROP_BIT(MQTT_PROP_PAYLOAD_FORMAT) |
	             MQTT_PROP_BIT(MQTT_PROP_MESSAGE_EXPIRY) |
	             MQTT_PROP_BIT(MQTT_PROP_CONTENT_TYPE) |
	             MQTT_PROP_BIT(MQTT_PROP_RESPONSE_TOPIC) |
	             MQTT_PROP_BIT(MQTT_PROP_CORRELATION_DATA) |
	             MQTT_PROP_BIT(MQTT_PROP_TOPIC_ALIAS);
	p->payload_format = 1;
	p->message_expiry = 86400;
	p->content_type = S("text/plain");
	p->response_topic = S("reply/here");
	p->correlation_data = span_make(binary, sizeof binary);
	p->topic_alias = 3;
	p->verbatim = users();
	p->sub_ids = sub_ids;
	p->n_sub_ids = N_OF(sub_ids);
}

static void
test_publish(void)
{
	static uint8_t big[1000];
	struct mqtt_packet in = {.type = MQTT_PUBLISH};
	struct mqtt_packet out;
	struct mqtt_publish *p = &in.u.publish;

	memset(big, 0xa5, sizeof big);
	p->topic = S("sport/tennis/player1");
	fill_publish_props(&p->props);
	for (uint8_t qos = 0; qos < 3; qos++) {
		p->qos = qos;
		p->pid = (uint16_t)(qos == 2 ? 65535 : qos);
		p->dup = qos != 1;
		p->retain = qos != 2;
		p->payload = qos == 1 ? span_make(big, sizeof big) : S("hi");
		for (size_t v = 0; v < N_OF(all_vers); v++) {
			T_CHECK(roundtrip(&in, all_vers[v], &out));
			T_CHECK(publish_eq(p, &out.u.publish, all_vers[v]));
		}
	}
}

/* The head written alone, then the payload, decodes as one packet. */
static void
test_publish_head_then_payload(void)
{
	static uint8_t buf[256];
	struct mqtt_publish p = {.qos = 1, .pid = 7};
	struct codec_limits lim = {0};
	struct mqtt_packet out;
	struct mqtt_fixed fh;
	size_t h;
	struct wr w;

	p.topic = S("a/b");
	p.payload = S("payload bytes");
	fill_publish_props(&p.props);
	h = codec_publish_head_size(&p, MQTT_V5);
	T_CHECK(h != 0 && h + p.payload.len <= sizeof buf);
	w = wr_make(buf, h + p.payload.len);
	codec_write_publish_head(&w, &p, MQTT_V5);
	wr_bytes(&w, p.payload);
	T_CHECK_INT(codec_frame(buf, w.pos, &lim, &fh), 0);
	T_CHECK_INT(fh.hdr_len + fh.body_len, w.pos);
	T_CHECK_INT(codec_decode(&fh, span_make(buf + fh.hdr_len, fh.body_len),
	                         MQTT_V5, &out),
	            0);
	T_CHECK(publish_eq(&p, &out.u.publish, MQTT_V5));
}

/* PUBACK, PUBREC, PUBREL, PUBCOMP */

static void
test_acks(void)
{
	static const uint8_t types[] = {MQTT_PUBACK, MQTT_PUBREC, MQTT_PUBREL,
	                                MQTT_PUBCOMP};
	/* A code each packet may carry, besides Success. */
	static const uint8_t codes[] = {0x10, 0x97, 0x92, 0x92};

	for (size_t t = 0; t < N_OF(types); t++) {
		struct mqtt_packet in = {.type = types[t]};
		struct mqtt_packet out;

		in.u.ack.pid = 0x1234;
		for (int form = 0; form < 3; form++) {
			in.u.ack.rc = form == 0 ? 0 : codes[t];
			if (form == 2) {
				reason_props(&in.u.ack.props);
			}
			for (size_t v = 0; v < N_OF(all_vers); v++) {
				enum mqtt_ver ver = all_vers[v];
				uint8_t rc = ver == MQTT_V5 ? in.u.ack.rc : 0;

				T_CHECK(roundtrip(&in, ver, &out));
				T_CHECK_INT(out.u.ack.pid, 0x1234);
				T_CHECK_INT(out.u.ack.rc, rc);
				T_CHECK(props_eq(&in.u.ack.props,
				                 &out.u.ack.props, ver));
			}
		}
	}
}

/* SUBSCRIBE */

static const struct mqtt_sub_entry sub_entries[] = {
        {.filter = {(const uint8_t *)"sport/#", 7}, .qos = 0},
        {.filter = {(const uint8_t *)"+/tennis/+", 10},
         .qos = 1,
         .no_local = true},
        {.filter = {(const uint8_t *)"a/b", 3},
         .qos = 2,
         .retain_as_published = true,
         .retain_handling = 2},
        {.filter = {(const uint8_t *)"$SYS/#", 6},
         .qos = 1,
         .retain_handling = 1},
};

static bool
entry_eq(const struct mqtt_sub_entry *a, const struct mqtt_sub_entry *b,
         enum mqtt_ver ver)
{
	bool v5 = ver == MQTT_V5;

	return span_eq(a->filter, b->filter) && a->qos == b->qos &&
	       b->no_local == (v5 && a->no_local) &&
	       b->retain_as_published == (v5 && a->retain_as_published) &&
	       b->retain_handling == (v5 ? a->retain_handling : 0);
}

static bool
entries_eq(const struct mqtt_subscribe *s, enum mqtt_ver ver)
{
	struct rd r = rd_make(s->payload);
	struct mqtt_sub_entry e;
	size_t i = 0;

	while (codec_sub_next(&r, ver, &e)) {
		if (i >= N_OF(sub_entries) ||
		    !entry_eq(&sub_entries[i], &e, ver)) {
			return false;
		}
		i++;
	}
	return i == N_OF(sub_entries) && rd_left(&r) == 0;
}

static void
test_subscribe(void)
{
	struct mqtt_packet in = {.type = MQTT_SUBSCRIBE};
	struct mqtt_packet out;
	struct mqtt_subscribe *s = &in.u.subscribe;

	s->pid = 42;
	s->entries = sub_entries;
	s->count = N_OF(sub_entries);
	s->props.present = MQTT_PROP_BIT(MQTT_PROP_SUBSCRIPTION_ID);
	s->props.subscription_id = 268435455;
	s->props.verbatim = users();
	for (size_t v = 0; v < N_OF(all_vers); v++) {
		T_CHECK(roundtrip(&in, all_vers[v], &out));
		T_CHECK_INT(out.u.subscribe.pid, 42);
		T_CHECK_INT(out.u.subscribe.count, N_OF(sub_entries));
		T_CHECK(entries_eq(&out.u.subscribe, all_vers[v]));
		T_CHECK(props_eq(&s->props, &out.u.subscribe.props,
		                 all_vers[v]));
	}
}

/* SUBACK, UNSUBACK */

static void
test_suback(void)
{
	static const uint8_t rcs[] = {0x00, 0x01, 0x02, 0x80};
	struct mqtt_packet in = {.type = MQTT_SUBACK};
	struct mqtt_packet out;

	in.u.suback.pid = 42;
	in.u.suback.rcs = span_make(rcs, sizeof rcs);
	reason_props(&in.u.suback.props);
	for (size_t v = 0; v < N_OF(all_vers); v++) {
		T_CHECK(roundtrip(&in, all_vers[v], &out));
		T_CHECK_INT(out.u.suback.pid, 42);
		T_CHECK(span_eq(out.u.suback.rcs, in.u.suback.rcs));
		T_CHECK(props_eq(&in.u.suback.props, &out.u.suback.props,
		                 all_vers[v]));
	}
}

static void
test_unsuback(void)
{
	static const uint8_t rcs[] = {0x00, 0x11, 0x87};
	struct mqtt_packet in = {.type = MQTT_UNSUBACK};
	struct mqtt_packet out;

	in.u.suback.pid = 43;
	in.u.suback.rcs = span_make(rcs, sizeof rcs);
	reason_props(&in.u.suback.props);
	for (size_t v = 0; v < N_OF(all_vers); v++) {
		bool v5 = all_vers[v] == MQTT_V5;

		T_CHECK(roundtrip(&in, all_vers[v], &out));
		/* pid is the common initial member of ack and suback. */
		T_CHECK_INT(out.u.suback.pid, 43);
		/* 3.x UNSUBACK has no reason codes. */
		T_CHECK_INT(out.u.suback.rcs.len, v5 ? sizeof rcs : 0);
		T_CHECK(!v5 || span_eq(out.u.suback.rcs, in.u.suback.rcs));
		T_CHECK(props_eq(&in.u.suback.props, &out.u.suback.props,
		                 all_vers[v]));
	}
}

/* UNSUBSCRIBE */

static const struct span unsub_filters[] = {
        {(const uint8_t *)"sport/#", 7},
        {(const uint8_t *)"+/+", 3},
        {(const uint8_t *)"/", 1},
};

static bool
filters_eq(const struct mqtt_unsubscribe *u)
{
	struct rd r = rd_make(u->payload);
	struct span f;
	size_t i = 0;

	while (codec_unsub_next(&r, &f)) {
		if (i >= N_OF(unsub_filters) || !span_eq(f, unsub_filters[i])) {
			return false;
		}
		i++;
	}
	return i == N_OF(unsub_filters) && rd_left(&r) == 0;
}

static void
test_unsubscribe(void)
{
	struct mqtt_packet in = {.type = MQTT_UNSUBSCRIBE};
	struct mqtt_packet out;

	in.u.unsubscribe.pid = 44;
	in.u.unsubscribe.filters = unsub_filters;
	in.u.unsubscribe.count = N_OF(unsub_filters);
	in.u.unsubscribe.props.verbatim = users();
	for (size_t v = 0; v < N_OF(all_vers); v++) {
		T_CHECK(roundtrip(&in, all_vers[v], &out));
		T_CHECK_INT(out.u.unsubscribe.pid, 44);
		T_CHECK_INT(out.u.unsubscribe.count, N_OF(unsub_filters));
		T_CHECK(filters_eq(&out.u.unsubscribe));
		T_CHECK(props_eq(&in.u.unsubscribe.props,
		                 &out.u.unsubscribe.props, all_vers[v]));
	}
}

/* PINGREQ, PINGRESP */

static void
test_ping(void)
{
	static const uint8_t types[] = {MQTT_PINGREQ, MQTT_PINGRESP};

	for (size_t t = 0; t < N_OF(types); t++) {
		struct mqtt_packet in = {.type = types[t]};
		struct mqtt_packet out;

		for (size_t v = 0; v < N_OF(all_vers); v++) {
			T_CHECK(roundtrip(&in, all_vers[v], &out));
		}
	}
}

/* DISCONNECT, AUTH */

static void
test_disconnect(void)
{
	struct mqtt_packet in = {.type = MQTT_DISCONNECT};
	struct mqtt_packet out;
	struct mqtt_disconnect *d = &in.u.disconnect;

	for (int form = 0; form < 3; form++) {
		d->rc = form == 0 ? 0 : MQTT_RC_SERVER_SHUTTING_DOWN;
		if (form == 2) {
			reason_props(&d->props);
			d->props.present |=
			        MQTT_PROP_BIT(MQTT_PROP_SERVER_REFERENCE) |
			        MQTT_PROP_BIT(MQTT_PROP_SESSION_EXPIRY);
			d->props.server_reference = S("elsewhere");
			d->props.session_expiry = 60;
		}
		for (size_t v = 0; v < N_OF(all_vers); v++) {
			enum mqtt_ver ver = all_vers[v];

			T_CHECK(roundtrip(&in, ver, &out));
			T_CHECK_INT(out.u.disconnect.rc,
			            ver == MQTT_V5 ? d->rc : 0);
			T_CHECK(props_eq(&d->props, &out.u.disconnect.props,
			                 ver));
		}
	}
}

static void
test_auth(void)
{
	struct mqtt_packet in = {.type = MQTT_AUTH};
	struct mqtt_packet out;
	struct mqtt_disconnect *d = &in.u.disconnect;

	T_CHECK(roundtrip(&in, MQTT_V5, &out));
	T_CHECK_INT(out.u.disconnect.rc, 0);
	d->rc = MQTT_RC_CONTINUE_AUTH;
	d->props.present = MQTT_PROP_BIT(MQTT_PROP_AUTH_METHOD) |
	                   MQTT_PROP_BIT(MQTT_PROP_AUTH_DATA) |
	                   MQTT_PROP_BIT(MQTT_PROP_REASON_STRING);
	d->props.auth_method = S("SCRAM-SHA-1");
	d->props.auth_data = span_make(binary, sizeof binary);
	d->props.reason_string = S("more");
	d->props.verbatim = users();
	T_CHECK(roundtrip(&in, MQTT_V5, &out));
	T_CHECK_INT(out.u.disconnect.rc, MQTT_RC_CONTINUE_AUTH);
	T_CHECK(props_eq(&d->props, &out.u.disconnect.props, MQTT_V5));
	/* A Reason Code with no properties keeps its zero Property Length. */
	memset(&d->props, 0, sizeof d->props);
	d->rc = MQTT_RC_REAUTHENTICATE;
	T_CHECK(roundtrip(&in, MQTT_V5, &out));
	T_CHECK_INT(out.u.disconnect.rc, MQTT_RC_REAUTHENTICATE);
}

T_MAIN(T_CASE(test_connect), T_CASE(test_connect_v5_password_only),
       T_CASE(test_connack), T_CASE(test_connack_refused), T_CASE(test_publish),
       T_CASE(test_publish_head_then_payload), T_CASE(test_acks),
       T_CASE(test_subscribe), T_CASE(test_suback), T_CASE(test_unsuback),
       T_CASE(test_unsubscribe), T_CASE(test_ping), T_CASE(test_disconnect),
       T_CASE(test_auth))
