/*
 * tern_props.c - "-D command property-name value [value]": MQTT 5
 * properties from the command line, as mosquitto's clients take them.
 * The property table of codec/ says each property's type and where it
 * may appear.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../codec/mqtt.h"
#include "../codec/proptab.h"
#include "tern_cli.h"

struct prop_cmd {
	const char *name;
	unsigned where; /* enum mqtt_type, or PROP_IN_WILL */
	unsigned cmds;  /* subcommands that send this packet */
	size_t list_off;
};

static const struct prop_cmd prop_cmds[] = {
        {"connect", MQTT_CONNECT, CMD_ALL,
         offsetof(struct cli_opts, p_connect)},
        {"publish", MQTT_PUBLISH, CMD_PUB | CMD_RR,
         offsetof(struct cli_opts, p_publish)},
        {"subscribe", MQTT_SUBSCRIBE, CMD_SUB | CMD_RR,
         offsetof(struct cli_opts, p_subscribe)},
        {"unsubscribe", MQTT_UNSUBSCRIBE, CMD_SUB,
         offsetof(struct cli_opts, p_unsubscribe)},
        {"disconnect", MQTT_DISCONNECT, CMD_ALL,
         offsetof(struct cli_opts, p_disconnect)},
        {"will", PROP_IN_WILL, CMD_ALL, offsetof(struct cli_opts, p_will)},
};

static const struct prop_cmd *
find_cmd(const char *name, enum cli_cmd cmd)
{
	for (size_t i = 0; i < sizeof prop_cmds / sizeof prop_cmds[0]; i++) {
		if (strcasecmp(prop_cmds[i].name, name) == 0 &&
		    (prop_cmds[i].cmds & cmd) != 0) {
			return &prop_cmds[i];
		}
	}
	return NULL;
}

static int
push(struct prop_list *l, const struct tern_prop *p)
{
	if (l->n == l->cap) {
		size_t cap = l->cap == 0 ? 8 : l->cap * 2;
		struct tern_prop *v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL) {
			return -1;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *p;
	return 0;
}

/* parse_num() - @s as an unsigned number up to @max. */
static int
parse_num(const char *s, unsigned long max, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (s[0] == '-') {
		return -1;
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > max) {
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* parse_value() - fill @p from argv[i..]; how many arguments it took. */
static int
parse_value(struct tern_prop *p, int argc, char **argv, int i)
{
	static const unsigned long max[] = {
	        [PROP_BYTE] = 0xff,
	        [PROP_U16] = 0xffff,
	        [PROP_U32] = 0xffffffffUL,
	        [PROP_VARINT] = MQTT_MAX_REMAINING,
	};
	enum prop_kind k = proptab_kind(p->id);

	if (i >= argc || (k == PROP_PAIR && i + 1 >= argc)) {
		return -1;
	}
	switch (k) {
	case PROP_BYTE:
	case PROP_U16:
	case PROP_U32:
	case PROP_VARINT:
		return parse_num(argv[i], max[k], &p->num) == 0 ? 1 : -1;
	case PROP_PAIR:
		p->val = argv[i + 1];
		p->val_len = strlen(argv[i + 1]);
		p->str = argv[i];
		p->str_len = strlen(argv[i]);
		return 2;
	case PROP_UTF8:
	case PROP_BIN:
		p->str = argv[i];
		p->str_len = strlen(argv[i]);
		return 1;
	default:
		return -1;
	}
}

int
cli_prop_add(struct cli_opts *o, int argc, char **argv, int i)
{
	const struct prop_cmd *pc;
	struct tern_prop p = {0};
	int id, used;

	if (i + 2 >= argc) {
		cli_error(NULL, "--property argument given but not enough "
		                "arguments specified.");
		return -1;
	}
	pc = find_cmd(argv[i + 1], o->cmd);
	if (pc == NULL) {
		cli_error(NULL,
		          "Invalid command '%s' given in --property "
		          "argument.",
		          argv[i + 1]);
		return -1;
	}
	id = tern_prop_by_name(argv[i + 2]);
	if (id < 0 || !proptab_allowed((uint8_t)id, pc->where)) {
		cli_error(NULL,
		          "Invalid property name '%s' for %s in "
		          "--property argument.",
		          argv[i + 2], pc->name);
		return -1;
	}
	p.id = (uint8_t)id;
	used = parse_value(&p, argc, argv, i + 3);
	if (used < 0) {
		cli_error(NULL,
		          "Invalid value for property '%s' in "
		          "--property argument.",
		          argv[i + 2]);
		return -1;
	}
	if (push((struct prop_list *)((char *)o + pc->list_off), &p) != 0) {
		return -1;
	}
	if (!o->version_set) {
		o->version = TERN_MQTT5;
	}
	return 3 + used;
}
