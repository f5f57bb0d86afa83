/*
 * ternd.c - the broker's main(): flags -> config -> server_run().
 *
 * Flags follow mosquitto's: -c FILE, -p PORT, -v, -h, --version.
 * Signals are read from a signalfd by the main thread; every other thread
 * has them blocked.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "broker/broker.h"

struct opts {
	const char *conf;
	long port;
	bool verbose;
};

static void
usage(FILE *f)
{
	fprintf(f,
	        "tern version %s\n\n"
	        "ternd is an MQTT 3.1 / 3.1.1 broker.\n\n"
	        "Usage: ternd [-c config_file] [-p port] [-v]\n\n"
	        " -c : read the configuration from a file (mosquitto.conf "
	        "syntax).\n"
	        "      Without it ternd listens on 127.0.0.1:1883.\n"
	        " -p : listen on this port (adds a listener when the "
	        "configuration has some).\n"
	        " -v : verbose: log everything.\n"
	        " -h : this help.\n"
	        " --version : print the version and exit.\n",
	        TERN_VERSION);
}

/* Returns 0 to run, 1 to exit successfully, -1 on a bad flag. */
static int
parse_flags(int argc, char **argv, struct opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		char *end;

		if (strcmp(a, "-c") == 0 || strcmp(a, "--config-file") == 0) {
			if (++i == argc) {
				fprintf(stderr, "Error: -c needs a file.\n");
				return -1;
			}
			o->conf = argv[i];
		} else if (strcmp(a, "-p") == 0 || strcmp(a, "--port") == 0) {
			if (++i == argc) {
				fprintf(stderr, "Error: -p needs a port.\n");
				return -1;
			}
			o->port = strtol(argv[i], &end, 10);
			if (*end != '\0' || o->port < 1 || o->port > 65535) {
				fprintf(stderr, "Error: invalid port '%s'.\n",
				        argv[i]);
				return -1;
			}
		} else if (strcmp(a, "-v") == 0 ||
		           strcmp(a, "--verbose") == 0) {
			o->verbose = true;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 1;
		} else if (strcmp(a, "--version") == 0) {
			printf("tern version %s\n", TERN_VERSION);
			return 1;
		} else {
			fprintf(stderr, "Error: unknown option '%s'.\n", a);
			usage(stderr);
			return -1;
		}
	}
	return 0;
}

static int
add_port(struct config *cfg, long port)
{
	struct config_listener *l;

	if (cfg->n_listeners == 0) {
		cfg->port = (uint16_t)port;
		return 0;
	}
	if (cfg->n_listeners == CONFIG_MAX_LISTENERS) {
		return -1;
	}
	l = &cfg->listeners[cfg->n_listeners++];
	memset(l, 0, sizeof(*l));
	l->port = (uint16_t)port;
	l->max_connections = -1;
	return 0;
}

static int
load_config(struct config *cfg, const struct opts *o)
{
	char err[512];

	config_init(cfg);
	if (o->conf != NULL &&
	    config_load(cfg, o->conf, err, sizeof err) != 0) {
		fprintf(stderr, "Error: %s\n", err);
		return -1;
	}
	if (o->port != 0 && add_port(cfg, o->port) != 0) {
		fprintf(stderr, "Error: too many listeners.\n");
		return -1;
	}
	if (config_finish(cfg, err, sizeof err) != 0) {
		fprintf(stderr, "Error: %s\n", err);
		return -1;
	}
	return 0;
}

/* The configuration's warnings, one "FILE:LINE: text" per line. */
static void
log_warnings(const char *w)
{
	while (w != NULL && *w != '\0') {
		const char *nl = strchr(w, '\n');
		int n = nl != NULL ? (int)(nl - w) : (int)strlen(w);

		log_msg(LOG_WARN, "Warning: %.*s", n, w);
		w = nl != NULL ? nl + 1 : w + n;
	}
}

static int
open_log(const struct config *cfg, bool verbose)
{
	struct log_settings ls = {.mask = cfg->log_type,
	                          .fd = 2,
	                          .timestamp = cfg->log_timestamp};
	const char *d = cfg->log_dest;

	if (verbose) {
		ls.mask = LOG_ALL;
	}
	if (d != NULL && strcmp(d, "stdout") == 0) {
		ls.fd = 1;
	} else if (d != NULL && strcmp(d, "none") == 0) {
		ls.mask = 0;
	} else if (d != NULL && strncmp(d, "file ", 5) == 0) {
		FILE *f = fopen(d + 5, "a");
		if (f == NULL) {
			fprintf(stderr, "Error: cannot open log file %s.\n",
			        d + 5);
			return -1;
		}
		ls.fd = dup(fileno(f));
		fclose(f);
	}
	log_setup(&ls);
	log_warnings(cfg->warnings);
	return 0;
}

static int
block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGPIPE);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) {
		return -1;
	}
	sigdelset(&set, SIGPIPE);
	return signalfd(-1, &set, SFD_CLOEXEC);
}

int
main(int argc, char **argv)
{
	struct opts o = {0};
	struct config cfg;
	struct server *srv;
	char err[512];
	int sfd, rc;

	rc = parse_flags(argc, argv, &o);
	if (rc != 0) {
		return rc > 0 ? 0 : 1;
	}
	if (load_config(&cfg, &o) != 0 || open_log(&cfg, o.verbose) != 0) {
		config_fini(&cfg);
		return 1;
	}
	sfd = block_signals();
	if (sfd < 0) {
		fprintf(stderr, "Error: cannot set up signal handling.\n");
		config_fini(&cfg);
		return 1;
	}
	srv = server_new(&cfg, clock_mono_ms, err, sizeof err);
	if (srv == NULL || server_listen(srv, err, sizeof err) != 0) {
		log_msg(LOG_ERR, "Error: %s", err);
		server_free(srv);
		close(sfd);
		config_fini(&cfg);
		return 1;
	}
	for (size_t i = 0; i < cfg.n_listeners; i++) {
		log_msg(LOG_NOTICE, "Opening listener on %s port %u.",
		        cfg.listeners[i].bind_address != NULL
		                ? cfg.listeners[i].bind_address
		                : "all addresses",
		        (unsigned)cfg.listeners[i].port);
	}
	rc = server_run(srv, sfd);
	server_free(srv);
	close(sfd);
	config_fini(&cfg);
	log_msg(LOG_NOTICE, "tern version %s terminating.", TERN_VERSION);
	return rc == 0 ? 0 : 1;
}
