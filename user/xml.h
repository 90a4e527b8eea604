/* SPDX-License-Identifier: GPL-2.0-only */
/* AnyConnect aggregate-auth documents (<config-auth>), parsed with libxml2. */
#pragma once
#include <stdbool.h>
#include "buf.h"
#include "error.h"

#define KS_FORM_MAX_FIELDS 16
#define KS_FORM_MAX_OPTIONS 64

enum ks_field_kind {
	KS_FIELD_TEXT,
	KS_FIELD_PASSWORD,
	KS_FIELD_HIDDEN,
	KS_FIELD_SELECT,
	KS_FIELD_SSO, /* <input type="sso">: the SAML token (the ASA's single-sign-on-v2) */
};

struct ks_form_option {
	char *value;
	char *label;
};

struct ks_form_field {
	enum ks_field_kind kind;
	char *name;
	char *label;
	char *value; /* hidden fields' value; the answer once filled in */
	struct ks_form_option options[KS_FORM_MAX_OPTIONS];
	int noptions;
};

enum ks_auth_doc_type { KS_AUTH_REQUEST, KS_AUTH_COMPLETE };

struct ks_auth_doc {
	enum ks_auth_doc_type type;
	char *auth_id;	/* <auth id="..."> */
	char *message;	/* <message> */
	char *error;	/* <error> */
	char *banner;	/* <banner> (pre-login or post-auth) */
	char *action;	/* <form action="..."> */
	char *session_token;
	char *opaque;	/* <opaque> serialized, echoed back untouched */
	struct ks_form_field fields[KS_FORM_MAX_FIELDS];
	int nfields;
	bool cert_request; /* <client-cert-request/> (ASA): log in on a connection that
			    * presents the client certificate */
	/* SAML (<auth>'s sso-v2-* elements, with an <input type="sso">) */
	char *sso_login;	/* where the browser starts */
	char *sso_login_final;	/* where it ends (the embedded flow's last page) */
	char *sso_token_cookie; /* the cookie that carries the token there */
	char *sso_error_cookie;
	char *sso_browser_mode; /* "external": the token comes back to 127.0.0.1:29786 */
};

int xml_parse_auth(const char *data, size_t len, struct ks_auth_doc *doc, struct ks_error *e);
void xml_auth_doc_free(struct ks_auth_doc *doc);

struct ks_client_id {
	const char *version;   /* "v9.01"-like string in <version who="vpn"> */
	const char *device_id; /* "linux-64" */
	const char *group_access; /* https://host[:port]/path */
	const char *group;	  /* --authgroup, or NULL */
	bool cert_fail;		  /* <client-cert-fail/>: we have no certificate to give */
};

int xml_build_init(const struct ks_client_id *id, struct ks_buf *out);
/* The auth-reply for doc with its fields' value filled in. */
int xml_build_reply(const struct ks_client_id *id, const struct ks_auth_doc *doc,
		    struct ks_buf *out);

/* X-CSTP-Post-Auth-XML (Cisco ASA): the text of the first <dynamic-split-include-domains>
 * and <dynamic-split-exclude-domains> anywhere in it (comma-separated names), malloc'd, or
 * NULL when absent. -EINVAL: not XML. */
int xml_post_auth_domains(const char *data, size_t len, char **include, char **exclude);
