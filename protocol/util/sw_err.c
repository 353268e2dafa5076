/* sw_err: names and classification of the SW_ERR_* codes (see sw_err.h). */
#include "sw_err.h"

const char *sw_err_name(int code)
{
	switch ((enum sw_err)code) {
	case SW_OK: return "ok";
	case SW_ERR_NOMEM: return "nomem";
	case SW_ERR_INVALID: return "invalid";
	case SW_ERR_RESOLVE: return "resolve";
	case SW_ERR_CONNECT: return "connect";
	case SW_ERR_CONNECT_TIMEOUT: return "connect-timeout";
	case SW_ERR_TLS: return "tls";
	case SW_ERR_TLS_VERIFY: return "tls-verify";
	case SW_ERR_TLS_TIMEOUT: return "tls-timeout";
	case SW_ERR_ALPN: return "alpn";
	case SW_ERR_TIMEOUT: return "timeout";
	case SW_ERR_CLOSED: return "closed";
	case SW_ERR_RESET: return "reset";
	case SW_ERR_GOAWAY: return "goaway";
	case SW_ERR_PROTO: return "protocol";
	case SW_ERR_TOO_BIG: return "too-big";
	case SW_ERR_CANCELLED: return "cancelled";
	case SW_ERR_IO: return "io";
	case SW_ERR_RETRIES: return "retries";
	case SW_ERR_PARSE: return "parse";
	case SW_ERR_STATE: return "state";
	case SW_ERR_NOT_FOUND: return "not-found";
	}
	return "unknown";
}

int sw_err_is_fatal(int code)
{
	switch ((enum sw_err)code) {
	case SW_OK:
	case SW_ERR_RESOLVE:
	case SW_ERR_CONNECT:
	case SW_ERR_CONNECT_TIMEOUT:
	case SW_ERR_TLS_TIMEOUT:
	case SW_ERR_TIMEOUT:
	case SW_ERR_CLOSED:
	case SW_ERR_RESET:
	case SW_ERR_GOAWAY:
	case SW_ERR_IO:
	case SW_ERR_RETRIES:
		return 0;
	case SW_ERR_NOMEM:
	case SW_ERR_INVALID:
	case SW_ERR_TLS:
	case SW_ERR_TLS_VERIFY:
	case SW_ERR_ALPN:
	case SW_ERR_PROTO:
	case SW_ERR_TOO_BIG:
	case SW_ERR_CANCELLED:
	case SW_ERR_PARSE:
	case SW_ERR_STATE:
	case SW_ERR_NOT_FOUND:
		return 1;
	}
	/* A code nobody knows is not worth retrying. */
	return 1;
}
