/*
 * err.h - the error space of Tern.
 *
 * Every function that can fail returns 0 or a negative enum tern_err.
 * MQTT reason codes are data; broker/proto.c maps errors to them.
 * include/tern/tern.h repeats enum tern_err for libtern's users; the
 * ctest tern_err_sync_test (tools/check_err_sync.sh) keeps the two equal.
 */
#ifndef TERN_BASE_ERR_H
#define TERN_BASE_ERR_H

enum tern_err {
	TERN_OK = 0,
	TERN_EAGAIN = -1,     /* incomplete input or would block */
	TERN_EMALFORMED = -2, /* bytes violate the wire format */
	TERN_EPROTO = -3,     /* well-formed but breaks the protocol rules */
	TERN_ETOOBIG = -4,    /* over a configured or protocol size limit */
	TERN_ENOMEM = -5,     /* allocation failed or memory budget spent */
	TERN_EIO = -6,        /* an I/O call failed */
	TERN_ECLOSED = -7,    /* the peer closed the connection */
	TERN_EINVAL = -8,     /* bad argument or value */
	TERN_ENOTFOUND = -9,  /* no such item */
	TERN_EFULL = -10,     /* a queue or table reached its cap */
	TERN_ETOPIC = -11,    /* invalid topic name or filter */
	TERN_EVERSION = -12,  /* unsupported protocol level */
	TERN_EBUSY = -13,     /* temporarily unable, try later */
	TERN_ETIMEOUT = -14,  /* a deadline passed */
	TERN_EAUTH = -15,     /* bad user name or password */
	TERN_EDENIED = -16,   /* not authorised */
	TERN_EEXIST = -17,    /* already present */
	TERN_ECONFIG = -18,   /* bad configuration */
	TERN_EIDENT = -19,    /* client identifier rejected */
	TERN_ERR_MIN = -19
};

/*
 * tern_strerror() - a short English phrase for @err (0 gives "ok").
 * Returns a static string. Thread: any.
 */
const char *tern_strerror(int err);

#endif
