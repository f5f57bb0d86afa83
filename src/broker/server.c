/*
 * server.c - struct server: the one context. Start-up (listeners, router,
 * workers), the supervisor loop on the main thread (signals), and an
 * orderly shutdown that frees everything.
 */
#include "broker.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "../base/alloc.h"
#include "../base/log.h"

/* memory_limit: -1 (the default) is three quarters of physical memory,
 * 0 is no limit. */
static size_t
mem_budget(const struct config *cfg)
{
	long pages = sysconf(_SC_PHYS_PAGES);
	long page = sysconf(_SC_PAGESIZE);

	if (cfg->memory_limit > 0) {
		return (size_t)cfg->memory_limit;
	}
	if (cfg->memory_limit == 0 || pages <= 0 || page <= 0) {
		return SIZE_MAX;
	}
	return (size_t)pages / 4 * 3 * (size_t)page;
}

enum mem_pressure
server_mem_pressure(const struct server *srv)
{
	/* Approximate (ALLOC_FOLD_BYTES per worker): exact would mean
	 * visiting every thread's counter for every PUBLISH. */
	size_t used = alloc_in_use_approx();

	if (srv->mem_budget == SIZE_MAX || used < srv->mem_budget / 10 * 9) {
		return MEM_OK;
	}
	return used < srv->mem_budget ? MEM_HIGH : MEM_FULL;
}

static unsigned
worker_count(const struct config *cfg)
{
	long n = cfg->workers;

	if (n <= 0) {
		n = sysconf(_SC_NPROCESSORS_ONLN);
	}
	if (n < 1) {
		n = 1;
	}
	return n > 256 ? 256u : (unsigned)n;
}

static int
load_auth(struct server *srv, char *err, size_t errlen)
{
	const struct config *cfg = srv->cfg;

	if (cfg->password_file != NULL &&
	    passwd_load(cfg->password_file, &srv->passwd, err, errlen) != 0) {
		return TERN_ECONFIG;
	}
	if (cfg->acl_file != NULL &&
	    acl_load(cfg->acl_file, &srv->acl, err, errlen) != 0) {
		return TERN_ECONFIG;
	}
	return 0;
}

/* Every configured port must be free before the workers share it. */
static int
probe_listeners(struct server *srv, char *err, size_t errlen)
{
	for (size_t i = 0; i < srv->n_listeners; i++) {
		const struct config_listener *cl = srv->listeners[i].cfg;
		char why[128];

		if (listener_probe(cl->bind_address, cl->port, why,
		                   sizeof why) != 0) {
			snprintf(err, errlen, "port %u on %s: %s",
			         (unsigned)cl->port,
			         cl->bind_address ? cl->bind_address
			                          : "all addresses",
			         why);
			return TERN_EIO;
		}
	}
	return 0;
}

static int
make_workers(struct server *srv, char *err, size_t errlen)
{
	srv->workers = tern_calloc(srv->n_workers, sizeof(*srv->workers));
	if (srv->workers == NULL) {
		snprintf(err, errlen, "out of memory");
		return TERN_ENOMEM;
	}
	for (unsigned i = 0; i < srv->n_workers; i++) {
		srv->workers[i] = tern_calloc(1, sizeof(struct worker));
		if (srv->workers[i] == NULL) {
			snprintf(err, errlen, "out of memory");
			return TERN_ENOMEM;
		}
	}
	for (unsigned i = 0; i < srv->n_workers; i++) {
		int e = worker_init(srv->workers[i], srv, i, err, errlen);
		if (e != 0) {
			return e;
		}
	}
	return 0;
}

struct server *
server_new(const struct config *cfg, uint64_t (*clock)(void), char *err,
           size_t errlen)
{
	struct server *srv = tern_calloc(1, sizeof(*srv));

	if (srv == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	srv->cfg = cfg;
	srv->clock = clock;
	srv->start_ms = clock();
	srv->n_workers = worker_count(cfg);
	srv->limits.max_packet = (size_t)cfg->max_packet_size;
	srv->connect_limits.max_packet =
	        srv->limits.max_packet != 0 &&
	                        srv->limits.max_packet < CONNECT_MAX
	                ? srv->limits.max_packet
	                : CONNECT_MAX;
	srv->max_payload = (size_t)cfg->message_size_limit;
	srv->mem_budget = mem_budget(cfg);
	srv->n_listeners = cfg->n_listeners;
	for (size_t i = 0; i < cfg->n_listeners; i++) {
		srv->listeners[i].cfg = &cfg->listeners[i];
	}
	srv->router = router_new(srv->n_workers);
	srv->retain = retain_new();
	if (srv->router == NULL || srv->retain == NULL ||
	    registry_init(&srv->reg) != 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	srv->reg_ready = true;
	if (load_auth(srv, err, errlen) != 0 ||
	    make_workers(srv, err, errlen) != 0) {
		goto fail;
	}
	return srv;
fail:
	server_free(srv);
	return NULL;
}

int
server_listen(struct server *srv, char *err, size_t errlen)
{
	int e = probe_listeners(srv, err, errlen);

	for (unsigned i = 0; e == 0 && i < srv->n_workers; i++) {
		e = worker_listen(srv->workers[i], err, errlen);
	}
	return e;
}

static void
stop_workers(struct server *srv, unsigned started)
{
	atomic_store_explicit(&srv->stopping, true, memory_order_release);
	for (unsigned i = 0; i < started; i++) {
		loop_wake(&srv->workers[i]->loop);
	}
	for (unsigned i = 0; i < started; i++) {
		pthread_join(srv->workers[i]->thread, NULL);
	}
}

/* Wait for SIGINT / SIGTERM on @signal_fd; SIGHUP is logged. */
static void
supervise(int signal_fd)
{
	for (;;) {
		struct signalfd_siginfo si;
		struct pollfd pfd = {.fd = signal_fd, .events = POLLIN};

		if (poll(&pfd, 1, -1) <= 0) {
			continue;
		}
		if (read(signal_fd, &si, sizeof si) != sizeof si) {
			continue;
		}
		if (si.ssi_signo == SIGHUP) {
			log_msg(LOG_NOTICE, "SIGHUP: configuration reload is "
			                    "not supported yet; ignored.");
			continue;
		}
		log_msg(LOG_NOTICE, "%s received, shutting down.",
		        si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
		return;
	}
}

int
server_run(struct server *srv, int signal_fd)
{
	unsigned started = 0;

	for (; started < srv->n_workers; started++) {
		struct worker *w = srv->workers[started];
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			log_msg(LOG_ERR, "cannot start worker threads");
			stop_workers(srv, started);
			return TERN_ENOMEM;
		}
	}
	log_msg(LOG_NOTICE, "tern version %s running (%u workers).",
	        TERN_VERSION, srv->n_workers);
	supervise(signal_fd);
	stop_workers(srv, started);
	return 0;
}

void
server_free(struct server *srv)
{
	if (srv == NULL) {
		return;
	}
	for (unsigned i = 0; srv->workers != NULL && i < srv->n_workers; i++) {
		if (srv->workers[i] != NULL && srv->workers[i]->out != NULL) {
			worker_fini(srv->workers[i]);
		}
	}
	router_free(srv->router);
	retain_free(srv->retain);
	passwd_free(srv->passwd);
	acl_free(srv->acl);
	if (srv->reg_ready) {
		registry_fini(&srv->reg);
	}
	/* Last: every message above went back to its maker's pool. */
	for (unsigned i = 0; srv->workers != NULL && i < srv->n_workers; i++) {
		if (srv->workers[i] != NULL && srv->workers[i]->out != NULL) {
			worker_fini_pools(srv->workers[i]);
		}
		tern_free(srv->workers[i]);
	}
	tern_free(srv->workers);
	tern_free(srv);
}
