/*
 * bench_opts.c - the command line of `tern bench`: scenario, options (a
 * table), topic patterns, and the broker addresses clients are spread
 * over.
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "tern_cli.h"

static const char bench_usage[] =
        "Usage: tern bench SCENARIO [options]\n"
        "Scenarios:\n"
        "  conn     open -c connections at --connect-rate and hold them\n"
        "  pub      -c publishers (no subscribers)\n"
        "  sub      -c subscribers to -t (%i: the subscriber's number)\n"
        "  pairs    -c publisher/subscriber pairs, one topic each\n"
        "  fanin    -c publishers -> 1 wildcard subscriber\n"
        "  fanout   1 publisher -> -c subscribers\n"
        "  shared   -c publishers -> a $share group of --subs subscribers\n"
        "Load:\n"
        "  -c, --clients n      the scenario's count (10; conn: 100)\n"
        "  --pubs n, --subs n   publishers / subscribers, where both "
        "vary\n"
        "  -q, --qos n          0, 1 or 2 (0)\n"
        "  -m, --size bytes     payload size, at least 16 (64)\n"
        "  -t, --topic pattern  topic, %i = client number (bench/%i)\n"
        "  --group name         shared subscription group (bench)\n"
        "  --rate r             messages/s per publisher; 0 = as fast as\n"
        "                       the window allows (0)\n"
        "  --inflight n         QoS 1/2 window per publisher (32)\n"
        "  -d, --duration s     seconds measured; conn: seconds held (10)\n"
        "  --warmup s           seconds of load before measuring (0)\n"
        "  --count n            n messages per publisher, then stop\n"
        "  --drain s            longest wait for late messages (5)\n"
        "Connections:\n"
        "  -h, --host list      broker hosts, comma-separated (localhost)\n"
        "  -p, --port list      ports, comma-separated (1883)\n"
        "  -V, --version v      3.1, 3.1.1 or 5 (3.1.1)\n"
        "  --clean, --no-clean  clean session / clean start (--clean)\n"
        "  -u user, -P password\n"
        "  -k, --keepalive s    keep-alive (60)\n"
        "  -I, --id-prefix p    client id prefix (tb<pid>-)\n"
        "  --connect-rate r     new connections per second (1000; 0 = no "
        "limit)\n"
        "  --connect-timeout s  give up on a connection after s (10)\n"
        "  --threads n          worker threads (number of cores)\n"
        "Output:\n"
        "  --json               the final report as one JSON object\n"
        "Exit status: 0 clean; 1 bad usage or setup; 2 a QoS 1/2 message "
        "lost or a\n"
        "QoS 2 message duplicated; 3 connections failed or were lost.\n";

static const struct {
	const char *name;
	enum bench_scn scn;
	long clients;
} scenarios[] = {
        {"conn", SCN_CONN, 100},    {"pub", SCN_PUB, 10},
        {"sub", SCN_SUB, 10},       {"pairs", SCN_PAIRS, 10},
        {"fanin", SCN_FANIN, 10},   {"fanout", SCN_FANOUT, 10},
        {"shared", SCN_SHARED, 10},
};

enum opt_kind { K_LONG, K_DOUBLE, K_STR, K_TRUE, K_FALSE, K_VER };

#define NO_SET ((size_t)-1)
#define OFF(f) offsetof(struct bench_opts, f)

struct opt {
	const char *s; /* short form, or NULL */
	const char *l; /* long form */
	enum opt_kind kind;
	size_t off;
	size_t set; /* a bool to set when given, or NO_SET */
	double lo, hi;
};

static const struct opt opts[] = {
        {"-c", "--clients", K_LONG, OFF(clients), NO_SET, 1, 1000000},
        {NULL, "--pubs", K_LONG, OFF(pubs), OFF(pubs_set), 1, 1000000},
        {NULL, "--subs", K_LONG, OFF(subs), OFF(subs_set), 1, 1000000},
        {"-q", "--qos", K_LONG, OFF(qos), NO_SET, 0, 2},
        {"-m", "--size", K_LONG, OFF(size), NO_SET, BENCH_HDR, 100000000},
        {"-t", "--topic", K_STR, OFF(topic), NO_SET, 0, 0},
        {NULL, "--group", K_STR, OFF(group), NO_SET, 0, 0},
        {NULL, "--rate", K_DOUBLE, OFF(rate), NO_SET, 0, 1e9},
        {NULL, "--inflight", K_LONG, OFF(inflight), NO_SET, 1, 65535},
        {"-d", "--duration", K_DOUBLE, OFF(duration), OFF(duration_set), 0.001,
         86400},
        {NULL, "--warmup", K_DOUBLE, OFF(warmup), NO_SET, 0, 86400},
        {NULL, "--count", K_LONG, OFF(count), NO_SET, 1, 4000000000L},
        {NULL, "--drain", K_DOUBLE, OFF(drain), NO_SET, 0, 3600},
        {"-h", "--host", K_STR, OFF(hosts), NO_SET, 0, 0},
        {"-p", "--port", K_STR, OFF(ports), NO_SET, 0, 0},
        {"-V", "--version", K_VER, OFF(ver), NO_SET, 0, 0},
        {NULL, "--clean", K_TRUE, OFF(clean), NO_SET, 0, 0},
        {NULL, "--no-clean", K_FALSE, OFF(clean), NO_SET, 0, 0},
        {"-u", "--username", K_STR, OFF(user), NO_SET, 0, 0},
        {"-P", "--password", K_STR, OFF(pass), NO_SET, 0, 0},
        {"-k", "--keepalive", K_LONG, OFF(keepalive), NO_SET, 0, 65535},
        {"-I", "--id-prefix", K_STR, OFF(id_prefix), NO_SET, 0, 0},
        {NULL, "--connect-rate", K_DOUBLE, OFF(connect_rate), NO_SET, 0, 1e9},
        {NULL, "--connect-timeout", K_DOUBLE, OFF(connect_timeout), NO_SET, 0.1,
         3600},
        {NULL, "--threads", K_LONG, OFF(threads), NO_SET, 1, 1024},
        {NULL, "--json", K_TRUE, OFF(json), NO_SET, 0, 0},
};

static const struct {
	const char *name;
	enum mqtt_ver ver;
} versions[] = {
        {"3.1", MQTT_V31},    {"31", MQTT_V31},    {"mqttv31", MQTT_V31},
        {"3.1.1", MQTT_V311}, {"311", MQTT_V311},  {"mqttv311", MQTT_V311},
        {"5", MQTT_V5},       {"mqttv5", MQTT_V5},
};

static void
defaults(struct bench_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->size = 64;
	o->topic = "bench/%i";
	o->group = "bench";
	o->inflight = 32;
	o->duration = 10;
	o->drain = 5;
	o->connect_timeout = 10;
	o->ver = MQTT_V311;
	o->clean = true;
	o->hosts = "localhost";
	o->ports = "1883";
	o->connect_rate = 1000;
	o->keepalive = 60;
	o->threads = sysconf(_SC_NPROCESSORS_ONLN);
	if (o->threads < 1) {
		o->threads = 1;
	}
}

static const struct opt *
find_opt(const char *arg)
{
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
		if ((opts[i].s != NULL && strcmp(arg, opts[i].s) == 0) ||
		    strcmp(arg, opts[i].l) == 0) {
			return &opts[i];
		}
	}
	return NULL;
}

static int
set_version(struct bench_opts *o, const char *v)
{
	for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
		if (strcmp(v, versions[i].name) == 0) {
			o->ver = versions[i].ver;
			return 0;
		}
	}
	cli_error(NULL, "Invalid protocol version '%s' (3.1, 3.1.1 or 5).", v);
	return CLI_ERR;
}

/* set_num() - a number within the option's range into its field. */
static int
set_num(struct bench_opts *o, const struct opt *p, const char *v)
{
	char *end = NULL;
	double d = strtod(v, &end);
	char *field = (char *)o + p->off;

	if (end == v || *end != '\0' || !(d >= p->lo && d <= p->hi) ||
	    (p->kind == K_LONG && d != (double)(long)d)) {
		cli_error(NULL, "Invalid value '%s' for %s.", v, p->l);
		return CLI_ERR;
	}
	if (p->kind == K_DOUBLE) {
		memcpy(field, &d, sizeof d);
	} else {
		long l = (long)d;

		memcpy(field, &l, sizeof l);
	}
	return 0;
}

/* set_opt() - apply option @p with value @v (NULL for flags). */
static int
set_opt(struct bench_opts *o, const struct opt *p, const char *v)
{
	char *field = (char *)o + p->off;
	bool yes = true;
	int rc = 0;

	switch (p->kind) {
	case K_STR:
		memcpy(field, &v, sizeof v);
		break;
	case K_TRUE:
	case K_FALSE:
		yes = p->kind == K_TRUE;
		memcpy(field, &yes, sizeof yes);
		break;
	case K_VER:
		rc = set_version(o, v);
		break;
	default:
		rc = set_num(o, p, v);
		break;
	}
	if (rc == 0 && p->set != NO_SET) {
		memcpy((char *)o + p->set, &yes, sizeof yes);
	}
	return rc;
}

static int
set_scenario(struct bench_opts *o, const char *name)
{
	for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
		if (strcmp(name, scenarios[i].name) == 0) {
			o->scn = scenarios[i].scn;
			o->scn_name = scenarios[i].name;
			o->clients = scenarios[i].clients;
			return 0;
		}
	}
	cli_error(NULL, "Unknown scenario '%s'; see tern bench --help.", name);
	return CLI_ERR;
}

/* resolve_counts() - publishers and subscribers from -c, --pubs, --subs. */
static void
resolve_counts(struct bench_opts *o)
{
	long pubs = o->pubs_set ? o->pubs : o->clients;
	long subs = o->subs_set ? o->subs : o->clients;

	o->pubs = 0;
	o->subs = 0;
	switch (o->scn) {
	case SCN_CONN:
		break;
	case SCN_PUB:
		o->pubs = pubs;
		break;
	case SCN_SUB:
		o->track = o->pubs_set ? pubs : 0;
		o->subs = subs;
		break;
	case SCN_PAIRS:
		o->pubs = o->clients;
		o->subs = o->clients;
		break;
	case SCN_FANIN:
		o->pubs = pubs;
		o->subs = 1;
		break;
	case SCN_FANOUT:
		o->pubs = 1;
		o->subs = subs;
		break;
	case SCN_SHARED:
		o->pubs = pubs;
		o->subs = o->subs_set ? subs : 4;
		break;
	}
}

/* check() - what no single option can see wrong. 0 or CLI_ERR. */
static int
check(struct bench_opts *o)
{
	if (o->scn == SCN_CONN && o->count != 0) {
		cli_error(NULL, "--count needs a scenario that publishes.");
		return CLI_ERR;
	}
	if (o->count != 0 && !o->duration_set) {
		o->duration = 300; /* a limit, so every run ends */
	}
	if (o->id_prefix != NULL && strlen(o->id_prefix) > 40) {
		cli_error(NULL, "The client id prefix is too long.");
		return CLI_ERR;
	}
	if ((o->user == NULL && o->pass != NULL) ||
	    (o->user != NULL && strlen(o->user) > 65535) ||
	    (o->pass != NULL && strlen(o->pass) > 65535)) {
		cli_error(NULL, "A password needs a user name (-u); "
		                "each at most 65535 bytes.");
		return CLI_ERR;
	}
	resolve_counts(o);
	return 0;
}

int
bench_parse(struct bench_opts *o, int argc, char **argv)
{
	defaults(o);
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			/* (void): a failed usage text is not worth a second
			 * error. */
			(void)fputs(bench_usage, stdout);
			return -1;
		}
	}
	if (argc < 1 || argv[0][0] == '-') {
		cli_error(NULL, "Which scenario? See tern bench --help.");
		return CLI_ERR;
	}
	if (set_scenario(o, argv[0]) != 0) {
		return CLI_ERR;
	}
	for (int i = 1; i < argc; i++) {
		const struct opt *p = find_opt(argv[i]);
		bool flag =
		        p != NULL && (p->kind == K_TRUE || p->kind == K_FALSE);

		if (p == NULL) {
			cli_error(NULL, "Unknown option '%s'; see --help.",
			          argv[i]);
			return CLI_ERR;
		}
		if (!flag && i + 1 >= argc) {
			cli_error(NULL, "%s needs a value.", argv[i]);
			return CLI_ERR;
		}
		if (set_opt(o, p, flag ? NULL : argv[i + 1]) != 0) {
			return CLI_ERR;
		}
		i += flag ? 0 : 1;
	}
	return check(o);
}

char *
bench_topic(const char *pattern, unsigned long i, size_t *len)
{
	char num[24];
	size_t n = 0, k;
	int nl = snprintf(num, sizeof num, "%lu", i);
	char *out;

	for (const char *p = pattern; *p != '\0'; p++) {
		bool var = p[0] == '%' && p[1] == 'i';

		n += var ? (size_t)nl : 1;
		p += var ? 1 : 0;
	}
	out = malloc(n + 1);
	if (out == NULL) {
		return NULL;
	}
	k = 0;
	for (const char *p = pattern; *p != '\0'; p++) {
		if (p[0] == '%' && p[1] == 'i') {
			memcpy(out + k, num, (size_t)nl);
			k += (size_t)nl;
			p++;
		} else {
			out[k++] = *p;
		}
	}
	out[k] = '\0';
	*len = k;
	return out;
}

char *
bench_wildcard(const char *prefix, const char *pattern)
{
	size_t np = strlen(prefix), n = np + strlen(pattern) + 1, k = np;
	char *out = malloc(n);
	const char *level = pattern;

	if (out == NULL) {
		return NULL;
	}
	memcpy(out, prefix, np);
	/* A level is never longer as "+", so @n is enough. */
	while (level != NULL) {
		const char *slash = strchr(level, '/');
		size_t len =
		        slash != NULL ? (size_t)(slash - level) : strlen(level);
		const char *var = strstr(level, "%i");

		if (var != NULL && (size_t)(var - level) < len) {
			out[k++] = '+';
		} else {
			memcpy(out + k, level, len);
			k += len;
		}
		if (slash != NULL) {
			out[k++] = '/';
		}
		level = slash != NULL ? slash + 1 : NULL;
	}
	out[k] = '\0';
	return out;
}

/* next_item() - the next comma-separated item of *@list into @buf. */
static bool
next_item(const char **list, char *buf, size_t cap)
{
	const char *s = *list, *comma;
	size_t len;

	if (s == NULL || *s == '\0') {
		return false;
	}
	comma = strchr(s, ',');
	len = comma != NULL ? (size_t)(comma - s) : strlen(s);
	*list = comma != NULL ? comma + 1 : NULL;
	if (len >= cap) {
		len = cap - 1;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	return true;
}

static int
resolve(struct bench_target *t, const char *host, const char *port)
{
	struct addrinfo hints = {0}, *res = NULL;
	int err;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	err = getaddrinfo(host, port, &hints, &res);
	if (err != 0 || res == NULL) {
		cli_error(NULL, "Cannot resolve %s port %s: %s.", host, port,
		          gai_strerror(err));
		return CLI_ERR;
	}
	memcpy(&t->addr, res->ai_addr, res->ai_addrlen);
	t->addr_len = res->ai_addrlen;
	(void)snprintf(t->name, sizeof t->name, "%s:%s", host, port);
	freeaddrinfo(res);
	return 0;
}

static size_t
count_items(const char *list)
{
	size_t n = 1;

	for (const char *p = list; *p != '\0'; p++) {
		n += *p == ',';
	}
	return n;
}

int
bench_targets(struct bench *b)
{
	const char *hosts = b->o.hosts;
	char host[256], port[16];

	b->targets = calloc(count_items(b->o.hosts) * count_items(b->o.ports),
	                    sizeof(*b->targets));
	if (b->targets == NULL) {
		return CLI_ERR;
	}
	while (next_item(&hosts, host, sizeof host)) {
		const char *ports = b->o.ports;

		while (next_item(&ports, port, sizeof port)) {
			char *end = NULL;
			long p = strtol(port, &end, 10);

			if (end == port || *end != '\0' || p < 1 || p > 65535) {
				cli_error(NULL, "Invalid port '%s'.", port);
				return CLI_ERR;
			}
			if (resolve(&b->targets[b->n_targets], host, port) !=
			    0) {
				return CLI_ERR;
			}
			b->n_targets++;
		}
	}
	if (b->n_targets == 0) {
		cli_error(NULL, "No broker address (-h, -p).");
		return CLI_ERR;
	}
	return 0;
}
