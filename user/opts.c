// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "env.h"
#include "esc.h"
#include "exitcodes.h"
#include "secret.h"
#include "secret_file.h"
#include "generated/config.h"
#include "kslice/kconfig.h"
#include "log.h"
#include "opts.h"
#include "dtls_suites.h"
#include "client_cert.h"
#include "profile.h"

/* credential:NAME, a systemd credential: its file in $CREDENTIALS_DIRECTORY, into path. */
static int credential_path(const char *opt, const char *arg, char *path, size_t len,
			   struct ks_error *e)
{
	/* As the other variables that aim root at files: not under sudo (env.h). */
	const char *dir = env_override("CREDENTIALS_DIRECTORY"), *name = arg + 11;

	if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return ks_fail(e, -EINVAL, "%s: '%s' is not a credential name", opt, esc(name));
	if (!dir || dir[0] != '/')
		return ks_fail(e, -EINVAL, "%s %s: CREDENTIALS_DIRECTORY is not set, or not taken "
			       "under sudo (run from a systemd unit with LoadCredential=)", opt,
			       esc(arg));
	if ((size_t)snprintf(path, len, "%s/%s", dir, name) >= len)
		return ks_fail(e, -ENAMETOOLONG, "%s: credential path too long", opt);
	return 0;
}

/* --passwd-file FILE or credential:NAME. */
static int read_passwd_file(struct ks_connect_opts *o, const char *arg, struct ks_error *e)
{
	char path[PATH_MAX];
	int err;

	if (!strncmp(arg, "credential:", 11)) {
		err = credential_path("--passwd-file", arg, path, sizeof(path), e);
		if (err)
			return err;
		arg = path;
	}
	err = secret_read_line("--passwd-file", arg, true, o->passwd, sizeof(o->passwd), e);
	o->have_passwd = !err;
	return err;
}

/* --key-password: @FILE (its first line), credential:NAME, env:VAR, or the text, then
 * scrubbed from argv. */
static int key_password(struct ks_connect_opts *o, char *arg, struct ks_error *e)
{
	char path[PATH_MAX];
	int err = 0;

	if (arg[0] == '@' || !strncmp(arg, "credential:", 11)) {
		err = arg[0] == '@' ? 0 : credential_path("--key-password", arg, path, sizeof(path), e);
		if (!err)
			err = secret_read_line("--key-password", arg[0] == '@' ? arg + 1 : path, true,
					       o->key_pass, sizeof(o->key_pass), e);
	} else if (!strncmp(arg, "env:", 4)) {
		char *v = getenv(arg + 4);

		if (!v)
			return ks_fail(e, -EINVAL, "--key-password: %s is not set", esc(arg));
		if ((size_t)snprintf(o->key_pass, sizeof(o->key_pass), "%s", v) >= sizeof(o->key_pass))
			err = ks_fail(e, -E2BIG, "--key-password: longer than %zu bytes",
				      sizeof(o->key_pass) - 1);
		/* As --token-secret env:VAR: wiped where /proc/PID/environ shows it, removed. */
		OPENSSL_cleanse(v, strlen(v));
		unsetenv(arg + 4);
	} else {
		if ((size_t)snprintf(o->key_pass, sizeof(o->key_pass), "%s", arg) >= sizeof(o->key_pass))
			err = ks_fail(e, -E2BIG, "--key-password: longer than %zu bytes",
				      sizeof(o->key_pass) - 1);
		secret_scrub_arg(arg);
	}
	o->have_key_pass = !err;
	if (err)
		OPENSSL_cleanse(o->key_pass, sizeof(o->key_pass));
	return err;
}

void opts_wipe_key_pass(struct ks_connect_opts *o)
{
	OPENSSL_cleanse(o->key_pass, sizeof(o->key_pass));
	o->have_key_pass = false;
}

void opts_connect_usage(FILE *f)
{
	fprintf(f,
		"usage: kslice connect [options] SERVER[:PORT][/GROUP-PATH] [PREFIX|DOMAIN...]\n"
		"       kslice connect @PROFILE [options] [PREFIX|DOMAIN...]\n"
	      "      --config FILE           options from FILE: one long option a line, without\n"
	      "                              dashes (`user alice`, `server vpn.example.com`);\n"
	      "                              @PROFILE reads " KS_PROFILE_DIR "/PROFILE.conf\n"
	      "  -u, --user NAME             login name\n"
	      "      --passwd-on-stdin       read form answers from stdin, one per line, in form order\n"
	      "      --cookie-on-stdin       read a session cookie (openconnect --authenticate) from stdin\n"
	      "      --external-browser[=CMD] SAML single sign-on: open the login page with CMD\n"
	      "                              (default xdg-open; as you, never root) and take the\n"
	      "                              token back on 127.0.0.1/[::1] port 29786\n"
	      "      --sso-token-on-stdin    SAML: print the login page's address, read the token (or\n"
	      "                              the http://localhost:29786/... address) from stdin\n"
	      "      --sso-timeout SECONDS   wait this long for the browser to come back (300)\n"
	      "      --authenticate          log in, print COOKIE, HOST, CONNECT_URL, FINGERPRINT and\n"
	      "                              RESOLVE as shell assignments (openconnect's), and end:\n"
	      "                              no tunnel, root not needed\n"
	      "      --passwd-file FILE      the password: FILE's first line (yours, mode 0600 or 0400), or\n"
	      "                              credential:NAME (systemd LoadCredential=); kept to log in again\n"
	      "      --servercert HASH       accept the gateway certificate with this fingerprint:\n"
	      "                              sha256:HEX (certificate), pin-sha256:BASE64 (public key),\n"
	      "                              sha1:HEX; repeatable\n"
	      "      --cafile FILE           trust this CA instead of the system store\n"
	      "  -c, --certificate CERT      log in with this client certificate: a PEM file (with its\n"
	      "                              chain, and the key unless -k), PKCS#12, or a pkcs11: URI\n"
	      "  -k, --sslkey KEY            its private key: a PEM or DER file, or a pkcs11: URI\n"
	      "  -p, --key-password PASS     the key's (or PKCS#12 file's) password, or the token PIN:\n"
	      "                              @FILE, credential:NAME or env:VAR (kept off the command\n"
	      "                              line), or the text\n"
	      "      --key-password-on-stdin the same, from stdin's first line (before any answer)\n"
	      "  -e, --cert-expire-warning D warn when the certificate expires within D days (30)\n"
	      "      --token-mode totp       answer the code form with a locally computed TOTP\n"
	      "      --token-secret SECRET   @FILE, credential:NAME or env:VAR (kept off the command\n"
	      "                              line), or base32:KEY,\n"
	      "                              0xHEX, otpauth://totp/...?secret=, raw text\n"
	      "  -g, --authgroup NAME        choose this group in the gateway's group list\n"
	      "  -i, --interface NAME        TUN device name (default " CONFIG_DEFAULT_IFNAME ")\n"
	      "  -b, --background            detach once the tunnel is up (exit code says if it came up)\n"
	      "      --pid-file FILE         write the daemon's PID here\n"
	      "  -U, --setuid USER           the process that talks to the gateway runs as USER\n"
	      "                              (default " CONFIG_PRIVSEP_USER ", no capabilities)\n"
	      "  -l, --syslog                log to syslog instead of stderr\n"
	      "      --compression MODE      all (default: oc-lz4, lzs or deflate, as the gateway takes),\n"
	      "                              stateless (oc-lz4 or lzs), none, or one: oc-lz4, lzs, deflate\n"
	      "      --no-compression        same as --compression none\n"
	      "      --no-dtls               carry data over TLS only (default: DTLS when the gateway\n"
	      "                              offers it, TLS while UDP does not get through)\n"
	      "      --dtls-ciphers LIST     offer only these DTLS suites (':' between): PSK-NEGOTIATE,\n"
	      "                              OC-DTLS1_2-AES256-GCM, ..., AES256-SHA, AES128-SHA (kslice.1)\n"
	      "      --proxy URL             reach the gateway through this HTTP proxy:\n"
	      "                              http://[USER:PASSWORD@]HOST[:PORT] (CONNECT; no DTLS)\n"
	      "      --no-proxy              ignore https_proxy/all_proxy from the environment\n"
	      "      --disable-ipv6          do not ask for an IPv6 tunnel address\n"
	      "      --useragent STRING      HTTP User-Agent sent to the gateway\n"
	      "      --timeout SECONDS       deadline of each exchange with the gateway (default 20)\n"
	      "      --reconnect-timeout S   keep trying to resume a lost session this long (default\n"
	      "                              300, 0 = give up at once); the TUN device stays\n"
	      "      --force-dpd SECONDS     dead peer detection at this interval, whatever the\n"
	      "                              gateway asks (openconnect's option)\n"
	      "      --non-inter             never prompt on the terminal\n"
	      "\nsplit tunneling (PREFIX: 10.0.0.0/8, 10.0.0.0/255.0.0.0, fd00::/64 or an address):\n"
	      "      --include PREFIX        send PREFIX through the tunnel; repeatable; prefixes\n"
	      "                              after SERVER mean the same (vpn-slice style)\n"
	      "      --exclude PREFIX        keep PREFIX off the tunnel; beats any include\n"
	      "      --split-only            with no include from gateway or user, tunnel nothing\n"
	      "                              (default: everything, as AnyConnect does)\n"
	      "      --allow-lan             full tunnel: keep the local networks off the tunnel,\n"
	      "                              if the gateway allows it (split-exclude 0.0.0.0/32);\n"
	      "                              only private ones that overlap nothing corporate\n"
	      "      --no-lan                full tunnel: the local networks go through it too\n"
	      "                              (the default: TunnelCrack LocalNet, kslice.1)\n"
	      "      --forward-from IFACE    carry what containers or VMs behind IFACE (a bridge,\n"
	      "                              a veth, a tap) send to corporate addresses;\n"
	      "                              repeatable; replaces the detected ones (bridges and\n"
	      "                              veths that are not uplinks)\n"
	      "      --no-forward            carry no forwarded traffic (it stays blocked)\n"
	      "      --kill-switch POLICY    when the session ends: on-failure (default: keep\n"
	      "                              blocking corporate traffic unless you ended it),\n"
	      "                              always, or off\n"
	      "      --mark BIT              fwmark bit of corporate sockets (default 0x%x)\n"
	      "      --table N               routing table of the tunnel (default %d)\n"
	      "      --rule-pref N           first of the 3 policy rules (default %d)\n"
	      "\ncorporate domains (DOMAIN covers its subdomains: corp.example, *.corp.example):\n"
	      "      --domain DOMAIN         its names resolve through the corporate DNS and their\n"
	      "                              addresses go through the tunnel; repeatable; a name\n"
	      "                              after SERVER means the same\n"
	      "      --learn-domain DOMAIN   its addresses go through the tunnel; it resolves\n"
	      "                              where it always did (public names, VPN-only hosts)\n"
	      "      --exclude-domain DOMAIN its addresses never go through the tunnel\n"
	      "      --dns MODE              auto (systemd-resolved if it runs, and eBPF), bpf,\n"
	      "                              resolved, or off (prefixes only); default auto\n"
	      "      --dns-ttl-max SECONDS   cap on learned TTLs (default %d)\n"
	      "      --dns-grace SECONDS     learned addresses outlive their TTL by (default %d)\n"
	      "\ndata path:\n"
	      "      --no-offload            plain packets on the TUN device: no TSO, GRO or\n"
	      "                              checksum offload (for comparison; slower)\n"
	      "      --coalesce-usecs N      under load, gather completions up to N microseconds\n"
	      "                              before a pass (0 = never wait; default %d)\n"
	      "      --metrics-file PATH     write the Prometheus metrics to PATH every 5 s\n"
	      "                              (node_exporter's textfile collector)\n"
	      "  -v, --verbose               more log lines (repeat for debug)\n"
	      "  -q, --quiet                 errors only\n"
	      "  -h, --help                  this text\n",
	      CONFIG_SPLIT_MARK, CONFIG_SPLIT_TABLE, CONFIG_SPLIT_RULE_PREF, CONFIG_DNS_TTL_MAX,
	      CONFIG_DNS_GRACE, CONFIG_COALESCE_USECS);
}

int opts_check_ifname(const char *name, struct ks_error *e)
{
	size_t n = strlen(name);

	if (n == 0 || n >= IFNAMSIZ)
		return ks_fail(e, -EINVAL, "interface name '%s' must be 1..%d characters", name,
			       IFNAMSIZ - 1);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '-' && name[i] != '_' &&
		    name[i] != '.')
			return ks_fail(e, -EINVAL,
				       "interface name '%s': character '%c' at %zu is not allowed",
				       name, name[i], i);
	return 0;
}

bool opts_ifname_arg(const char *name, char out[IFNAMSIZ])
{
	struct ks_error e;

	if (opts_check_ifname(name, &e)) {
		fprintf(stderr, "kslice: %s\n", e.msg);
		return false;
	}
	snprintf(out, IFNAMSIZ, "%s", name);
	return true;
}

int opts_small_case(int c, const char *cmd, const char *usage, char *const argv[],
		    char ifname[IFNAMSIZ])
{
	switch (c) {
	case 'i':
		return opts_ifname_arg(optarg, ifname) ? OPTS_GO_ON : KS_EXIT_USAGE;
	case 'h':
		fputs(usage, stdout);
		return KS_EXIT_OK;
	default:
		fprintf(stderr, "kslice: %s: bad option '%s'\n%s", cmd, escn(argv[optind - 1], 64),
			usage);
		return KS_EXIT_USAGE;
	}
}

static int parse_port(struct ks_connect_opts *o, const char *p, size_t len, struct ks_error *e)
{
	unsigned long v = 0;

	if (len == 0 || len > 5)
		return ks_fail(e, -EINVAL, "server: port '%.*s' is not 1..65535", (int)len, p);
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)p[i]))
			return ks_fail(e, -EINVAL, "server: port '%.*s' is not a number", (int)len, p);
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	if (v < 1 || v > 65535)
		return ks_fail(e, -EINVAL, "server: port %lu is not 1..65535", v);
	snprintf(o->port, sizeof(o->port), "%lu", v);
	return 0;
}

/* Accepts host, host:port, [v6]:port, https://host[:port][/path]. */
int opts_parse_server(struct ks_connect_opts *o, const char *arg, struct ks_error *e)
{
	const char *p = arg, *host, *hend, *slash;
	size_t hlen;

	if (!strncasecmp(p, "https://", 8))
		p += 8;
	else if (strstr(p, "://"))
		return ks_fail(e, -EINVAL, "server: '%s': only https:// URLs are supported", arg);
	slash = strchr(p, '/');
	if (!slash)
		slash = p + strlen(p);
	if (*p == '[') {
		host = p + 1;
		hend = memchr(host, ']', (size_t)(slash - host));
		if (!hend)
			return ks_fail(e, -EINVAL, "server: '%s': missing ']' after IPv6 address", arg);
		p = hend + 1;
	} else {
		host = p;
		hend = memchr(host, ':', (size_t)(slash - host));
		if (!hend)
			hend = slash;
		p = hend;
	}
	hlen = (size_t)(hend - host);
	if (hlen == 0 || hlen >= sizeof(o->host))
		return ks_fail(e, -EINVAL, "server: '%s': empty or overlong host name", arg);
	for (size_t i = 0; i < hlen; i++)
		if (!isalnum((unsigned char)host[i]) && !strchr("-._:", host[i]))
			return ks_fail(e, -EINVAL, "server: '%s': character '%c' in host name", arg,
				       host[i]);
	memcpy(o->host, host, hlen);
	o->host[hlen] = 0;
	snprintf(o->port, sizeof(o->port), "%d", CONFIG_DEFAULT_PORT);
	if (*p == ':') {
		int err = parse_port(o, p + 1, (size_t)(slash - p - 1), e);

		if (err)
			return err;
	} else if (p != slash) {
		return ks_fail(e, -EINVAL, "server: '%s': unexpected text after host", arg);
	}
	if (strlen(slash) >= sizeof(o->path))
		return ks_fail(e, -EINVAL, "server: '%s': path too long", arg);
	for (const char *c = slash; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == '"' || *c == '<' || *c == '>' || *c == 0x7f)
			return ks_fail(e, -EINVAL, "server: '%s': bad character in path", arg);
	snprintf(o->path, sizeof(o->path), "%s", *slash ? slash : "/");
	return 0;
}

enum {
	OPT_PASSWD_STDIN = 256,
	OPT_PASSWD_FILE,
	OPT_COOKIE_STDIN,
	OPT_AUTHENTICATE,
	OPT_EXTERNAL_BROWSER,
	OPT_SSO_STDIN,
	OPT_SSO_TIMEOUT,
	OPT_SERVERCERT,
	OPT_CAFILE,
	OPT_KEY_PASS_STDIN,
	OPT_TOKEN_MODE,
	OPT_TOKEN_SECRET,
	OPT_PID_FILE,
	OPT_SETUID,
	OPT_COMPRESSION,
	OPT_NO_COMPRESSION,
	OPT_NO_DTLS,
	OPT_PROXY,
	OPT_NO_PROXY,
	OPT_DTLS_CIPHERS,
	OPT_DISABLE_IPV6,
	OPT_USERAGENT,
	OPT_TIMEOUT,
	OPT_FORCE_DPD,
	OPT_RECONNECT_TIMEOUT,
	OPT_NON_INTER,
	OPT_INCLUDE,
	OPT_EXCLUDE,
	OPT_SPLIT_ONLY,
	OPT_MARK,
	OPT_TABLE,
	OPT_RULE_PREF,
	OPT_NO_LAN,
	OPT_ALLOW_LAN,
	OPT_FORWARD_FROM,
	OPT_NO_FORWARD,
	OPT_DOMAIN,
	OPT_LEARN_DOMAIN,
	OPT_EXCLUDE_DOMAIN,
	OPT_DNS,
	OPT_KILL_SWITCH,
	OPT_DNS_TTL_MAX,
	OPT_DNS_GRACE,
	OPT_NO_OFFLOAD,
	OPT_COALESCE_USECS,
	OPT_CONFIG,
	OPT_METRICS_FILE,
};

static const struct option long_opts[] = {
	{ "user", required_argument, NULL, 'u' },
	{ "passwd-on-stdin", no_argument, NULL, OPT_PASSWD_STDIN },
	{ "passwd-file", required_argument, NULL, OPT_PASSWD_FILE },
	{ "cookie-on-stdin", no_argument, NULL, OPT_COOKIE_STDIN },
	{ "authenticate", no_argument, NULL, OPT_AUTHENTICATE },
	{ "external-browser", optional_argument, NULL, OPT_EXTERNAL_BROWSER },
	{ "sso-token-on-stdin", no_argument, NULL, OPT_SSO_STDIN },
	{ "sso-timeout", required_argument, NULL, OPT_SSO_TIMEOUT },
	{ "servercert", required_argument, NULL, OPT_SERVERCERT },
	{ "cafile", required_argument, NULL, OPT_CAFILE },
	{ "certificate", required_argument, NULL, 'c' },
	{ "sslkey", required_argument, NULL, 'k' },
	{ "key-password", required_argument, NULL, 'p' },
	{ "key-password-on-stdin", no_argument, NULL, OPT_KEY_PASS_STDIN },
	{ "cert-expire-warning", required_argument, NULL, 'e' },
	{ "token-mode", required_argument, NULL, OPT_TOKEN_MODE },
	{ "token-secret", required_argument, NULL, OPT_TOKEN_SECRET },
	{ "authgroup", required_argument, NULL, 'g' },
	{ "interface", required_argument, NULL, 'i' },
	{ "background", no_argument, NULL, 'b' },
	{ "pid-file", required_argument, NULL, OPT_PID_FILE },
	{ "setuid", required_argument, NULL, 'U' },
	{ "syslog", no_argument, NULL, 'l' },
	{ "compression", required_argument, NULL, OPT_COMPRESSION },
	{ "no-compression", no_argument, NULL, OPT_NO_COMPRESSION },
	{ "no-dtls", no_argument, NULL, OPT_NO_DTLS },
	{ "proxy", required_argument, NULL, OPT_PROXY },
	{ "no-proxy", no_argument, NULL, OPT_NO_PROXY },
	{ "dtls-ciphers", required_argument, NULL, OPT_DTLS_CIPHERS },
	{ "disable-ipv6", no_argument, NULL, OPT_DISABLE_IPV6 },
	{ "useragent", required_argument, NULL, OPT_USERAGENT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "reconnect-timeout", required_argument, NULL, OPT_RECONNECT_TIMEOUT },
	{ "force-dpd", required_argument, NULL, OPT_FORCE_DPD },
	{ "non-inter", no_argument, NULL, OPT_NON_INTER },
	{ "include", required_argument, NULL, OPT_INCLUDE },
	{ "exclude", required_argument, NULL, OPT_EXCLUDE },
	{ "split-only", no_argument, NULL, OPT_SPLIT_ONLY },
	{ "no-full-tunnel", no_argument, NULL, OPT_SPLIT_ONLY },
	{ "mark", required_argument, NULL, OPT_MARK },
	{ "table", required_argument, NULL, OPT_TABLE },
	{ "rule-pref", required_argument, NULL, OPT_RULE_PREF },
	{ "no-lan", no_argument, NULL, OPT_NO_LAN },
	{ "allow-lan", no_argument, NULL, OPT_ALLOW_LAN },
	{ "forward-from", required_argument, NULL, OPT_FORWARD_FROM },
	{ "no-forward", no_argument, NULL, OPT_NO_FORWARD },
	{ "domain", required_argument, NULL, OPT_DOMAIN },
	{ "learn-domain", required_argument, NULL, OPT_LEARN_DOMAIN },
	{ "exclude-domain", required_argument, NULL, OPT_EXCLUDE_DOMAIN },
	{ "dns", required_argument, NULL, OPT_DNS },
	{ "kill-switch", required_argument, NULL, OPT_KILL_SWITCH },
	{ "dns-ttl-max", required_argument, NULL, OPT_DNS_TTL_MAX },
	{ "dns-grace", required_argument, NULL, OPT_DNS_GRACE },
	{ "no-offload", no_argument, NULL, OPT_NO_OFFLOAD },
	{ "coalesce-usecs", required_argument, NULL, OPT_COALESCE_USECS },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "metrics-file", required_argument, NULL, OPT_METRICS_FILE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

const struct option *opts_connect_options(void)
{
	return long_opts;
}

int opts_parse_prefix(const char *opt, const char *arg, struct ks_prefix *out,
		      struct ks_error *e)
{
	if (!prefix_parse(arg, out))
		return 0;
	if (strchr(arg, '/') && (strchr(arg, '.') || strchr(arg, ':'))) {
		struct ks_prefix loose;
		char a[INET6_ADDRSTRLEN + 8];

		/* Tell apart "bad length" from "host bits set", the common slip. */
		snprintf(a, sizeof(a), "%.*s", (int)(strchr(arg, '/') - arg), arg);
		if (!prefix_parse(a, &loose))
			return ks_fail(e, -EINVAL,
				       "%s: '%s': bad prefix length, or address bits set beyond it",
				       opt, arg);
	}
	return ks_fail(e, -EINVAL, "%s: '%s' is not an IPv4/IPv6 prefix or address", opt, arg);
}

static int push_prefix(struct ks_prefix **arr, size_t *n, const struct ks_prefix *p,
		       struct ks_error *e)
{
	struct ks_prefix *na;

	if (*n >= CSTP_MAX_SPLIT)
		return ks_fail(e, -E2BIG, "split: more than %d prefixes", CSTP_MAX_SPLIT);
	na = realloc(*arr, (*n + 1) * sizeof(**arr));
	if (!na)
		return ks_fail(e, -ENOMEM, "split: out of memory");
	na[(*n)++] = *p;
	*arr = na;
	return 0;
}

int opts_add_domain(struct ks_domain_arg **arr, size_t *n, const char *opt, const char *arg,
		    uint32_t flags, struct ks_error *e)
{
	struct ks_domain_arg d = { .flags = flags }, *na;
	const char *why;

	if (dns_domain_normalize(arg, d.name, &why))
		return ks_fail(e, -EINVAL, "%s: '%.80s' is not a domain name: %s", opt, arg, why);
	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*arr)[i].name, d.name))
			continue;
		if (((*arr)[i].flags ^ flags) & KS_DOMAIN_EXCLUDE)
			return ks_fail(e, -EINVAL, "%s: '%s' is also given as the opposite", opt,
				       d.name);
		(*arr)[i].flags |= flags;
		return 0;
	}
	if (*n >= CSTP_MAX_DOMAINS)
		return ks_fail(e, -E2BIG, "%s: more than %d domains", opt, CSTP_MAX_DOMAINS);
	na = realloc(*arr, (*n + 1) * sizeof(**arr));
	if (!na)
		return ks_fail(e, -ENOMEM, "dns: out of memory");
	na[(*n)++] = d;
	*arr = na;
	return 0;
}

static int parse_kill_switch(const char *arg, enum ks_kill_switch *out, struct ks_error *e)
{
	static const char *const names[] = { "on-failure", "always", "off" };

	for (int i = 0; i < 3; i++)
		if (!strcmp(arg, names[i])) {
			*out = (enum ks_kill_switch)i;
			return 0;
		}
	return ks_fail(e, -EINVAL, "--kill-switch: '%s' is not on-failure, always or off", arg);
}

static int parse_dns_mode(const char *arg, enum ks_dns_mode *out, struct ks_error *e)
{
	static const char *const names[] = { "auto", "bpf", "resolved", "off" };

	for (int i = 0; i < 4; i++)
		if (!strcmp(arg, names[i])) {
			*out = (enum ks_dns_mode)i;
			return 0;
		}
	return ks_fail(e, -EINVAL, "--dns: '%s' is not auto, bpf, resolved or off", arg);
}

/* A positional argument after SERVER: a prefix if it looks like an address, else a name. */
static bool looks_like_address(const char *arg)
{
	return strchr(arg, '/') || strchr(arg, ':') || strspn(arg, "0123456789.") == strlen(arg);
}

static int add_prefix_opt(struct ks_connect_opts *o, const char *opt, const char *arg,
			  bool exclude, struct ks_error *e)
{
	struct ks_prefix p;
	int err = opts_parse_prefix(opt, arg, &p, e);

	if (err)
		return err;
	return exclude ? push_prefix(&o->exclude, &o->n_exclude, &p, e) :
			 push_prefix(&o->include, &o->n_include, &p, e);
}

/* A whole number of seconds in decimal, min..max, for option opt. */
static int parse_seconds(const char *opt, const char *arg, long min, long max, int *out,
			 struct ks_error *e)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (!*arg || *end || errno || v < min || v > max)
		return ks_fail(e, -EINVAL, "%s: '%s' is not %ld..%ld seconds", opt, arg, min, max);
	*out = (int)v;
	return 0;
}

static int parse_u32(const char *arg, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (!*arg || *arg == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(arg, &end, 0);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int opts_parse_mark(const char *arg, uint32_t *out, struct ks_error *e)
{
	if (parse_u32(arg, 1, UINT32_MAX, out) || (*out & (*out - 1)))
		return ks_fail(e, -EINVAL, "--mark: '%s' is not a single bit (e.g. 0x400000)", arg);
	return 0;
}

int opts_parse_table(const char *arg, uint32_t *out, struct ks_error *e)
{
	if (parse_u32(arg, 1, UINT32_MAX, out) || *out == 253 || *out == 254 || *out == 255)
		return ks_fail(e, -EINVAL,
			       "--table: '%s' is not a table number (1..4294967295, not "
			       "default/main/local 253..255)",
			       arg);
	return 0;
}

int opts_parse_rule_pref(const char *arg, uint32_t *out, struct ks_error *e)
{
	if (parse_u32(arg, 1, 32000, out))
		return ks_fail(e, -EINVAL, "--rule-pref: '%s' is not 1..32000", arg);
	return 0;
}

static int parse_one(struct ks_connect_opts *o, int c, const char *arg, const char **secret,
		     const char **mode, struct ks_error *e)
{
	uint32_t days;
	char *end;
	long v;
	int err;

	switch (c) {
	case 'u':
		o->user = arg;
		return 0;
	case OPT_PASSWD_STDIN:
		o->passwd_on_stdin = true;
		return 0;
	case OPT_PASSWD_FILE:
		return read_passwd_file(o, arg, e);
	case OPT_COOKIE_STDIN:
		o->cookie_on_stdin = true;
		return 0;
	case OPT_AUTHENTICATE:
		o->authenticate = true;
		return 0;
	case OPT_EXTERNAL_BROWSER:
		o->external_browser = arg && *arg ? arg : "xdg-open";
		return 0;
	case OPT_SSO_STDIN:
		o->sso_token_on_stdin = true;
		return 0;
	case OPT_SSO_TIMEOUT:
		return parse_seconds("--sso-timeout", arg, 10, 3600, &o->sso_timeout_s, e);
	case 'c':
		o->cert = arg;
		return *arg ? 0 : ks_fail(e, -EINVAL, "--certificate: empty");
	case 'k':
		o->sslkey = arg;
		return *arg ? 0 : ks_fail(e, -EINVAL, "--sslkey: empty");
	case 'p':
		return key_password(o, (char *)arg, e); /* scrubbed from argv */
	case OPT_KEY_PASS_STDIN:
		o->key_pass_on_stdin = true;
		return 0;
	case 'e':
		if (parse_u32(arg, 0, 3650, &days))
			return ks_fail(e, -EINVAL, "--cert-expire-warning: '%s' is not 0..3650 days",
				       esc(arg));
		o->cert_warn_days = (int)days;
		return 0;
	case OPT_SERVERCERT:
		if (o->trust.npins == KS_MAX_PINS)
			return ks_fail(e, -E2BIG, "--servercert: at most %d pins", KS_MAX_PINS);
		return tls_parse_pin(&o->trust.pins[o->trust.npins++], arg, e);
	case OPT_CAFILE:
		o->trust.cafile = arg;
		return 0;
	case OPT_TOKEN_MODE:
		*mode = arg;
		return 0;
	case OPT_TOKEN_SECRET:
		*secret = arg;
		return 0;
	case 'g':
		o->authgroup = arg;
		return 0;
	case 'i':
		snprintf(o->ifname, sizeof(o->ifname), "%s", arg);
		return opts_check_ifname(arg, e);
	case 'b':
		o->background = true;
		return 0;
	case 'U':
		o->setuid_user = arg;
		return 0;
	case OPT_PID_FILE:
		o->pid_file = arg;
		return 0;
	case 'l':
		o->syslog = true;
		return 0;
	case OPT_COMPRESSION:
		if (!strcmp(arg, "none"))
			o->compress = KS_OFFER_NONE;
		else if (!strcmp(arg, "stateless"))
			o->compress = KS_OFFER_STATELESS;
		else if (!strcmp(arg, "all"))
			o->compress = KS_OFFER_ALL;
		else if (!strcmp(arg, "oc-lz4") || !strcmp(arg, "lz4"))
			o->compress = KS_OFFER_LZ4;
		else if (!strcmp(arg, "lzs"))
			o->compress = KS_OFFER_LZS;
		else if (!strcmp(arg, "deflate"))
			o->compress = KS_OFFER_DEFLATE;
		else
			return ks_fail(e, -EINVAL, "--compression: '%s' is not all, stateless, none, "
				       "oc-lz4, lzs or deflate", esc(arg));
		return 0;
	case OPT_NO_COMPRESSION:
		o->compress = KS_OFFER_NONE;
		return 0;
	case OPT_NO_DTLS:
		o->no_dtls = true;
		return 0;
	case OPT_PROXY:
		o->proxy_from = "--proxy";
		/* user:password@ on the command line: gone from /proc/PID/cmdline once read */
		err = proxy_parse(&o->proxy, arg, e);
		if (strchr(arg, '@'))
			secret_scrub_arg((char *)arg);
		return err;
	case OPT_NO_PROXY:
		o->no_proxy = true;
		return 0;
	case OPT_DTLS_CIPHERS:
		return dtls_suites_parse(arg, &o->dtls_suites, e);
	case OPT_DISABLE_IPV6:
		o->ipv6 = false;
		return 0;
	case OPT_USERAGENT:
		for (const char *p = arg; *p; p++)
			if ((unsigned char)*p < ' ' || *p == 0x7f)
				return ks_fail(e, -EINVAL, "--useragent: control character at %zu",
					       (size_t)(p - arg));
		o->useragent = arg;
		return 0;
	case OPT_TIMEOUT:
		return parse_seconds("--timeout", arg, 1, 3600, &o->timeout_s, e);
	case OPT_FORCE_DPD:
		return parse_seconds("--force-dpd", arg, 1, 3600, &o->force_dpd_s, e);
	case OPT_RECONNECT_TIMEOUT:
		return parse_seconds("--reconnect-timeout", arg, 0, 86400, &o->reconnect_timeout_s, e);
	case OPT_NON_INTER:
		o->no_tty_prompt = true;
		return 0;
	case OPT_INCLUDE:
		return add_prefix_opt(o, "--include", arg, false, e);
	case OPT_EXCLUDE:
		return add_prefix_opt(o, "--exclude", arg, true, e);
	case OPT_SPLIT_ONLY:
		o->split_only = true;
		return 0;
	case OPT_NO_LAN: /* the default's name, kept for scripts */
		o->allow_lan = false;
		return 0;
	case OPT_ALLOW_LAN:
		o->allow_lan = true;
		return 0;
	case OPT_FORWARD_FROM:
		if (o->n_forward_from >= KS_FORWARD_FROM_MAX)
			return ks_fail(e, -E2BIG, "--forward-from: at most %d interfaces",
				       KS_FORWARD_FROM_MAX);
		if (opts_check_ifname(arg, e))
			return -EINVAL;
		snprintf(o->forward_from[o->n_forward_from++], IFNAMSIZ, "%s", arg);
		return 0;
	case OPT_NO_FORWARD:
		o->no_forward = true;
		return 0;
	case OPT_NO_OFFLOAD:
		o->no_offload = true;
		return 0;
	case OPT_COALESCE_USECS:
		v = strtol(arg, &end, 10);
		if (!*arg || *end || v < 0 || v > 10000)
			return ks_fail(e, -EINVAL, "--coalesce-usecs: '%s' is not 0..10000 microseconds",
				       arg);
		o->coalesce_us = (unsigned int)v;
		return 0;
	case OPT_MARK:
		return opts_parse_mark(arg, &o->mark, e);
	case OPT_TABLE:
		return opts_parse_table(arg, &o->table, e);
	case OPT_RULE_PREF:
		return opts_parse_rule_pref(arg, &o->rule_pref, e);
	case OPT_DOMAIN:
		return opts_add_domain(&o->domains, &o->n_domains, "--domain", arg,
				       KS_DOMAIN_TUNNEL | KS_DOMAIN_RESOLVE, e);
	case OPT_LEARN_DOMAIN:
		return opts_add_domain(&o->domains, &o->n_domains, "--learn-domain", arg,
				       KS_DOMAIN_TUNNEL, e);
	case OPT_EXCLUDE_DOMAIN:
		return opts_add_domain(&o->domains, &o->n_domains, "--exclude-domain", arg,
				       KS_DOMAIN_EXCLUDE, e);
	case OPT_DNS:
		return parse_dns_mode(arg, &o->dns_mode, e);
	case OPT_KILL_SWITCH:
		return parse_kill_switch(arg, &o->kill_switch, e);
	case OPT_DNS_TTL_MAX:
		if (parse_u32(arg, 1, 604800, &o->dns_ttl_max))
			return ks_fail(e, -EINVAL, "--dns-ttl-max: '%s' is not 1..604800 seconds", arg);
		return 0;
	case OPT_DNS_GRACE:
		if (parse_u32(arg, 0, 86400, &o->dns_grace))
			return ks_fail(e, -EINVAL, "--dns-grace: '%s' is not 0..86400 seconds", arg);
		return 0;
	case OPT_CONFIG: /* read before the rest (load_profile) */
		return 0;
	case OPT_METRICS_FILE:
		if (arg[0] != '/')
			return ks_fail(e, -EINVAL, "--metrics-file: '%s' is not an absolute path",
				       esc(arg));
		o->metrics_file = arg;
		return 0;
	case 'v':
		o->verbosity++;
		return 0;
	case 'q':
		o->verbosity = KS_LOG_ERR;
		return 0;
	default:
		return ks_fail(e, -EINVAL, "connect: unknown option (see kslice connect --help)");
	}
}

#define SHORT_OPTS ":u:g:i:U:c:k:p:e:blvqh"

/* --config FILE or @NAME (the first word after the options): its words go first, then the
 * command line's (which win), with @NAME replaced by the profile's server. The words live
 * in o until opts_free. */
static int load_profile(struct ks_connect_opts *o, int *argc, char ***argv, struct ks_error *e)
{
	const char *config = NULL;
	char path[4096], **words;
	int c, at = -1, n = 0, err;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(*argc, *argv, SHORT_OPTS, long_opts, NULL)) != -1)
		if (c == OPT_CONFIG)
			config = optarg;
	if (optind < *argc && (*argv)[optind][0] == '@')
		at = optind;
	if (!config && at < 0)
		return 0;
	if (config && at >= 0)
		return ks_fail(e, -EINVAL, "--config and @NAME exclude each other");
	if (at >= 0 && (err = profile_path((*argv)[at] + 1, path, sizeof(path), e)))
		return err;
	/* --config under sudo: the caller's own files, or files anyone may read; never one
	 * of root's they could not read themselves (its lines would show in errors). */
	err = profile_load(&o->profile, config ? config : path, long_opts,
			   config && secret_invoking_uid() != 0, e);
	if (err)
		return err;
	if (at >= 0 && !o->profile.server)
		return ks_fail(e, -EINVAL, "%s: no 'server' line", esc(o->profile.path));
	/* argv[0], the profile's words, the command line's options, its positionals (the
	 * server, from the profile when @NAME or none is given), NULL */
	words = calloc((size_t)(*argc + o->profile.n + 2), sizeof(*words));
	if (!words)
		return ks_fail(e, -ENOMEM, "profile: out of memory");
	words[n++] = (*argv)[0];
	for (int i = 0; i < o->profile.n; i++)
		words[n++] = o->profile.words[i];
	for (int i = 1; i < *argc; i++) {
		words[n++] = i == at ? o->profile.server : (*argv)[i];
	}
	if (optind == *argc && o->profile.server)
		words[n++] = o->profile.server;
	o->profile_words = words;
	o->n_from_profile = o->profile.n;
	*argc = n;
	*argv = words;
	return 0;
}

/* getopt refused a word. A short option is named by optopt: inside a cluster optind has
 * not moved on, and argv[optind - 1] is the word before it (maybe a profile's secret). */
static int bad_word(char **argv, int optind_now, int c, struct ks_error *e)
{
	char shown[8];
	const char *word = argv[optind_now - 1];

	if (optopt > 0 && optopt < 256 && isprint(optopt)) {
		snprintf(shown, sizeof(shown), "-%c", optopt);
		word = shown;
	}
	return ks_fail(e, -EINVAL, "connect: %s '%s' (see kslice connect --help)",
		       c == ':' ? "missing value for" : "unknown option", escn(word, 64));
}

/* --metrics-file makes root replace a file: only a *.prom one (what node_exporter reads),
 * and under sudo only where a profile of root's says. */
static int check_metrics_file(const struct ks_connect_opts *o, struct ks_error *e)
{
	const char *base = strrchr(o->metrics_file, '/') + 1;
	size_t n = strlen(base);

	if (n <= 5 || strcmp(base + n - 5, ".prom") || base[0] == '.')
		return ks_fail(e, -EINVAL, "--metrics-file: '%s' is not a NAME.prom file (what "
			       "node_exporter's textfile collector reads)", escn(o->metrics_file, 80));
	if (secret_invoking_uid() != 0 && !o->metrics_from_root)
		return ks_fail(e, -EPERM, "--metrics-file: under sudo, only a profile of root's "
			       "may name it (it makes root write a file)");
	return 0;
}

/* An error about word i: from the profile, it names the file and line. */
static int blame_profile(const struct ks_connect_opts *o, int i, int err, struct ks_error *e)
{
	char msg[sizeof(e->msg)];

	if (i < 1 || i > o->n_from_profile)
		return err;
	snprintf(msg, sizeof(msg), "%s", e->msg);
	return ks_fail(e, err, "%s:%d: %s", esc(o->profile.path), o->profile.lines[i - 1], msg);
}

int opts_parse_connect(struct ks_connect_opts *o, int argc, char **argv, struct ks_error *e)
{
	const char *secret = NULL, *mode = NULL;
	char cred[PATH_MAX + 1];
	int c, err;

	memset(o, 0, sizeof(*o));
	snprintf(o->ifname, sizeof(o->ifname), "%s", CONFIG_DEFAULT_IFNAME);
	o->verbosity = KS_LOG_INFO;
	o->compress = IS_ENABLED(CONFIG_COMPRESSION) ? KS_OFFER_ALL : KS_OFFER_NONE;
	o->ipv6 = IS_ENABLED(CONFIG_IPV6);
	/* ocserv gives IPv6 routes and DNS only to agents it knows: "...Agent v<N>", N > 3. */
	o->useragent = "Open AnyConnect VPN Agent v9.12 (kslice 0.1)";
	o->timeout_s = 20;
	o->reconnect_timeout_s = 300;
	o->mark = CONFIG_SPLIT_MARK;
	o->table = CONFIG_SPLIT_TABLE;
	o->rule_pref = CONFIG_SPLIT_RULE_PREF;
	o->dns_mode = KS_DNS_AUTO;
	o->coalesce_us = CONFIG_COALESCE_USECS;
	o->dtls_suites = KS_DTLS_SUITES_ALL;
	o->dns_ttl_max = CONFIG_DNS_TTL_MAX;
	o->dns_grace = CONFIG_DNS_GRACE;
	o->cert_warn_days = KS_CERT_WARN_DAYS;
	o->sso_timeout_s = 300;
	err = load_profile(o, &argc, &argv, e);
	if (err)
		return err;
	optind = 0; /* a new argv: getopt starts afresh */
	opterr = 0;
	while ((c = getopt_long(argc, argv, SHORT_OPTS, long_opts, NULL)) != -1) {
		if (c == 'h') {
			opts_connect_usage(stdout);
			return -EAGAIN;
		}
		if (c == '?' || c == ':')
			return bad_word(argv, optind, c, e);
		if (c == OPT_METRICS_FILE) /* may root write where it says? (check_metrics_file) */
			o->metrics_from_root = optind - 1 <= o->n_from_profile &&
					       o->profile.owner == 0;
		err = parse_one(o, c, optarg, &secret, &mode, e);
		if (err)
			return blame_profile(o, optind - 1, err, e);
	}
	if (mode && strcasecmp(mode, "totp"))
		return ks_fail(e, -EINVAL, "--token-mode: '%s' unsupported (only totp)", mode);
	if (secret && !mode)
		mode = "totp";
	if (mode && !secret)
		return ks_fail(e, -EINVAL, "--token-mode totp needs --token-secret");
	if (secret && !strncmp(secret, "credential:", 11)) {
		cred[0] = '@';
		err = credential_path("--token-secret", secret, cred + 1, sizeof(cred) - 1, e);
		if (err)
			return err;
		secret = cred;
	}
	if (secret) {
		err = totp_parse_secret(&o->totp, secret, e);
		/* The secret itself on the command line: gone from /proc/PID/cmdline now. */
		if (secret != cred && secret[0] != '@' && strncmp(secret, "env:", 4))
			secret_scrub_arg((char *)secret);
		if (err)
			return err;
		o->have_totp = true;
	}
	if (o->external_browser && o->sso_token_on_stdin)
		return ks_fail(e, -EINVAL, "--external-browser and --sso-token-on-stdin exclude each "
			       "other");
	if (o->metrics_file && (err = check_metrics_file(o, e)))
		return err;
	if (o->authenticate && o->background)
		return ks_fail(e, -EINVAL, "--authenticate prints and ends: no --background");
	if (o->authenticate && o->cookie_on_stdin)
		return ks_fail(e, -EINVAL, "--authenticate and --cookie-on-stdin exclude each other");
	if (o->passwd_on_stdin && o->cookie_on_stdin)
		return ks_fail(e, -EINVAL, "--passwd-on-stdin and --cookie-on-stdin exclude each other");
	if (o->sslkey && !o->cert)
		return ks_fail(e, -EINVAL, "--sslkey needs --certificate");
	if ((o->have_key_pass || o->key_pass_on_stdin) && !o->cert)
		return ks_fail(e, -EINVAL, "--key-password needs --certificate");
	if (o->have_key_pass && o->key_pass_on_stdin)
		return ks_fail(e, -EINVAL, "--key-password and --key-password-on-stdin exclude each "
			       "other");
	if (o->have_passwd && o->cookie_on_stdin)
		return ks_fail(e, -EINVAL, "--passwd-file and --cookie-on-stdin exclude each other");
	if (optind >= argc)
		return ks_fail(e, -EINVAL, "connect: no SERVER given (see kslice connect --help)");
	/* vpn-slice style: everything after SERVER is a prefix or a name to tunnel. */
	for (int i = optind + 1; i < argc; i++) {
		err = looks_like_address(argv[i])
			      ? add_prefix_opt(o, "connect", argv[i], false, e)
			      : opts_add_domain(&o->domains, &o->n_domains, "connect", argv[i],
						KS_DOMAIN_TUNNEL | KS_DOMAIN_RESOLVE, e);
		if (err)
			return err;
	}
	err = opts_parse_server(o, argv[optind], e);
	if (!err && !o->proxy.set && !o->no_proxy)
		err = proxy_from_env(&o->proxy, o->host, &o->proxy_from, e);
	if (!err && o->proxy.set)
		o->no_dtls = true; /* a proxy carries no UDP */
	return err;
}

void opts_free(struct ks_connect_opts *o)
{
	free(o->include);
	free(o->exclude);
	free(o->domains);
	o->domains = NULL;
	o->n_domains = 0;
	o->include = o->exclude = NULL;
	o->n_include = o->n_exclude = 0;
	totp_wipe(&o->totp);
	opts_wipe_passwd(o);
	opts_wipe_key_pass(o);
	proxy_wipe(&o->proxy);
	profile_free(&o->profile);
	free(o->profile_words);
	o->profile_words = NULL;
	o->n_from_profile = 0;
}

void opts_wipe_passwd(struct ks_connect_opts *o)
{
	OPENSSL_cleanse(o->passwd, sizeof(o->passwd));
	o->have_passwd = false;
}
