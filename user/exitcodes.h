/* SPDX-License-Identifier: GPL-2.0-only */
/* Exit codes of `kslice connect` (documented in README and docs/kslice.1.md). */
#pragma once

enum ks_exit {
	KS_EXIT_OK = 0,		/* disconnected on request */
	KS_EXIT_ERROR = 1,	/* local failure (TUN, memory, control socket...) */
	KS_EXIT_USAGE = 2,	/* bad command line or config */
	KS_EXIT_CERT = 3,	/* gateway certificate not trusted (fingerprints printed) */
	KS_EXIT_AUTH = 4,	/* login failed (wrong password/code, cookie rejected) */
	KS_EXIT_NETWORK = 5,	/* gateway unreachable, TLS failure */
	KS_EXIT_PROTOCOL = 6,	/* gateway sent something we cannot accept */
	KS_EXIT_GATEWAY = 7,	/* session ended by the gateway (disconnect, terminate, DPD) */
	KS_EXIT_NOT_RUNNING = 8, /* status/disconnect: no kslice on that interface */
};
