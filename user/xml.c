// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "secret.h"
#include "esc.h"
#include "xml.h"

#define XML_MAX_DOC (256u << 10)

static bool is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

static char *attr(xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	char *s = v ? strdup((const char *)v) : NULL;

	xmlFree(v);
	return s;
}

static char *text(xmlNode *n)
{
	xmlChar *v = xmlNodeGetContent(n);
	char *s = v ? strdup((const char *)v) : NULL;

	xmlFree(v);
	return s;
}

static void free_str(char **s)
{
	secret_free(*s); /* a field's value may be an answer from the secure heap */
	*s = NULL;
}

/* Field names become element names in our reply: letters, digits, '_', '-', '.' only. */
static bool valid_name(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!(s[n] == '_' || s[n] == '-' || s[n] == '.' || (s[n] >= '0' && s[n] <= '9') ||
		      ((s[n] | 0x20) >= 'a' && (s[n] | 0x20) <= 'z')))
			return false;
	return n > 0 && n <= 64 && !(s[0] >= '0' && s[0] <= '9') && s[0] != '-' && s[0] != '.';
}

static int parse_select(xmlNode *sel, struct ks_form_field *f, struct ks_error *e)
{
	for (xmlNode *o = sel->children; o; o = o->next) {
		struct ks_form_option *opt;

		if (!is(o, "option"))
			continue;
		if (f->noptions == KS_FORM_MAX_OPTIONS)
			return ks_fail(e, -EMSGSIZE, "auth: <select name=\"%s\"> has more than %d options",
				       f->name, KS_FORM_MAX_OPTIONS);
		opt = &f->options[f->noptions++];
		opt->label = text(o);
		opt->value = attr(o, "value");
		if (!opt->value && opt->label)
			opt->value = strdup(opt->label);
		if (!opt->value || !opt->label)
			return -ENOMEM;
	}
	return 0;
}

static int parse_form(xmlNode *form, struct ks_auth_doc *doc, struct ks_error *e)
{
	free_str(&doc->action); /* a second <form>: its action wins */
	doc->action = attr(form, "action");
	for (xmlNode *n = form->children; n; n = n->next) {
		struct ks_form_field *f;
		char *type;

		if (!is(n, "input") && !is(n, "select"))
			continue;
		if (doc->nfields == KS_FORM_MAX_FIELDS)
			return ks_fail(e, -EMSGSIZE, "auth: form has more than %d fields",
				       KS_FORM_MAX_FIELDS);
		f = &doc->fields[doc->nfields];
		f->name = attr(n, "name");
		if (!f->name || !valid_name(f->name)) {
			ks_fail(e, -EBADMSG, "auth: form field #%d has an empty or invalid name '%.40s'",
				doc->nfields + 1, f->name ? f->name : "");
			free_str(&f->name);
			return -EBADMSG;
		}
		doc->nfields++;
		f->label = attr(n, "label");
		if (is(n, "select")) {
			f->kind = KS_FIELD_SELECT;
			if (parse_select(n, f, e))
				return -EBADMSG;
			continue;
		}
		type = attr(n, "type");
		if (!type || !strcmp(type, "text") || !strcmp(type, "email"))
			f->kind = KS_FIELD_TEXT;
		else if (!strcmp(type, "password"))
			f->kind = KS_FIELD_PASSWORD;
		else if (!strcmp(type, "hidden"))
			f->kind = KS_FIELD_HIDDEN;
		else if (!strcmp(type, "sso"))
			f->kind = KS_FIELD_SSO;
		else if (!strcmp(type, "submit") || !strcmp(type, "reset")) {
			free(type);
			free_str(&f->name);
			free_str(&f->label);
			doc->nfields--;
			continue;
		} else {
			ks_fail(e, -EBADMSG, "auth: field '%s' has unknown type '%.32s'", f->name,
				type);
			free(type);
			return -EBADMSG;
		}
		free(type);
		f->value = attr(n, "value");
	}
	return 0;
}

static int serialize(xmlNode *n, char **out)
{
	xmlBufferPtr b = xmlBufferCreate();

	if (!b)
		return -ENOMEM;
	xmlNodeDump(b, n->doc, n, 0, 0);
	*out = strdup((const char *)xmlBufferContent(b));
	xmlBufferFree(b);
	return *out ? 0 : -ENOMEM;
}

static int walk(xmlNode *root, struct ks_auth_doc *doc, struct ks_error *e)
{
	int err = 0;

	for (xmlNode *n = root->children; n && !err; n = n->next) {
		if (is(n, "opaque")) {
			free_str(&doc->opaque);
			err = serialize(n, &doc->opaque);
		} else if (is(n, "client-cert-request")) {
			doc->cert_request = true;
		} else if (is(n, "session-token")) {
			free_str(&doc->session_token);
			doc->session_token = text(n);
		} else if (is(n, "auth")) {
			free_str(&doc->auth_id); /* a second <auth>: the last one names it */
			doc->auth_id = attr(n, "id");
			for (xmlNode *c = n->children; c && !err; c = c->next) {
				if (is(c, "message") && !doc->message)
					doc->message = text(c);
				else if (is(c, "error") && !doc->error)
					doc->error = text(c);
				else if (is(c, "banner") && !doc->banner)
					doc->banner = text(c);
				else if (is(c, "sso-v2-login") && !doc->sso_login)
					doc->sso_login = text(c);
				else if (is(c, "sso-v2-login-final") && !doc->sso_login_final)
					doc->sso_login_final = text(c);
				else if (is(c, "sso-v2-token-cookie-name") && !doc->sso_token_cookie)
					doc->sso_token_cookie = text(c);
				else if (is(c, "sso-v2-error-cookie-name") && !doc->sso_error_cookie)
					doc->sso_error_cookie = text(c);
				else if (is(c, "sso-v2-browser-mode") && !doc->sso_browser_mode)
					doc->sso_browser_mode = text(c);
				else if (is(c, "form"))
					err = parse_form(c, doc, e);
			}
		}
	}
	return err;
}

/* A DOCTYPE stops the parse where it starts, before any entity is declared. */
static void refuse_dtd(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
	xmlParserCtxtPtr p = ctx;

	p->_private = p; /* "a DTD was seen" */
	xmlStopParser(p);
}

/* The gateway's XML as a tree: no network, no DTD. libxml2 2.9 has no switch that stops
 * internal entities from being declared and expanded when a node's text is read, so a
 * document with any DOCTYPE is refused whole, at its DOCTYPE. */
static xmlDocPtr read_gateway_xml(const char *data, size_t len, const char *what,
				  struct ks_error *e)
{
	xmlParserCtxtPtr p;
	xmlDocPtr x;

	if (len > XML_MAX_DOC) {
		ks_fail(e, -EMSGSIZE, "%s: XML document of %zu bytes, limit %u", what, len,
			XML_MAX_DOC);
		return NULL;
	}
	p = xmlNewParserCtxt();
	if (!p) {
		ks_fail(e, -ENOMEM, "%s: out of memory", what);
		return NULL;
	}
	p->sax->internalSubset = refuse_dtd;
	x = xmlCtxtReadMemory(p, data, (int)len, "gateway.xml", NULL,
			      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (p->_private) {
		ks_fail(e, -EBADMSG, "%s: the gateway's XML has a DTD (<!DOCTYPE>): refused", what);
		xmlFreeDoc(x);
		x = NULL;
	} else if (!x) {
		const xmlError *xe = xmlCtxtGetLastError(p);

		ks_fail(e, -EBADMSG, "%s: malformed XML from gateway at line %d: %s", what,
			xe ? xe->line : 0, escn(xe && xe->message ? xe->message : "?", 120));
	}
	xmlFreeParserCtxt(p);
	return x;
}

int xml_parse_auth(const char *data, size_t len, struct ks_auth_doc *doc, struct ks_error *e)
{
	xmlDocPtr x;
	xmlNode *root;
	char *type;
	int err;

	memset(doc, 0, sizeof(*doc));
	x = read_gateway_xml(data, len, "auth", e);
	if (!x)
		return len > XML_MAX_DOC ? -EMSGSIZE : -EBADMSG;
	root = xmlDocGetRootElement(x);
	if (!root || !is(root, "config-auth")) {
		err = ks_fail(e, -EBADMSG, "auth: root element is <%s>, expected <config-auth>",
			      root ? (const char *)root->name : "");
		goto out;
	}
	type = attr(root, "type");
	if (type && !strcmp(type, "complete"))
		doc->type = KS_AUTH_COMPLETE;
	else if (type && !strcmp(type, "auth-request"))
		doc->type = KS_AUTH_REQUEST;
	else {
		err = ks_fail(e, -EBADMSG, "auth: <config-auth type=\"%.32s\"> is not understood",
			      type ? type : "");
		free(type);
		goto out;
	}
	free(type);
	err = walk(root, doc, e);
	if (!err && doc->type == KS_AUTH_REQUEST && !doc->nfields && !doc->session_token &&
	    !doc->cert_request)
		err = ks_fail(e, -EBADMSG, "auth: auth-request%s%s has no form",
			      doc->error ? " with error: " : "", doc->error ? doc->error : "");
out:
	xmlFreeDoc(x);
	if (err)
		xml_auth_doc_free(doc);
	return err;
}

void xml_auth_doc_free(struct ks_auth_doc *doc)
{
	char **strs[] = { &doc->auth_id,	  &doc->message,	 &doc->error,
			  &doc->banner,		  &doc->action,		 &doc->session_token,
			  &doc->opaque,		  &doc->sso_login,	 &doc->sso_login_final,
			  &doc->sso_token_cookie, &doc->sso_error_cookie, &doc->sso_browser_mode };

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free_str(strs[i]);
	for (int i = 0; i < doc->nfields; i++) {
		struct ks_form_field *f = &doc->fields[i];

		free_str(&f->name);
		free_str(&f->label);
		free_str(&f->value);
		for (int j = 0; j < f->noptions; j++) {
			free_str(&f->options[j].value);
			free_str(&f->options[j].label);
		}
	}
	memset(doc, 0, sizeof(*doc));
}

static xmlNode *new_root(xmlDocPtr x, const char *type, const struct ks_client_id *id)
{
	xmlNode *root = xmlNewNode(NULL, (const xmlChar *)"config-auth"), *v;

	xmlDocSetRootElement(x, root);
	xmlNewProp(root, (const xmlChar *)"client", (const xmlChar *)"vpn");
	xmlNewProp(root, (const xmlChar *)"type", (const xmlChar *)type);
	xmlNewProp(root, (const xmlChar *)"aggregate-auth-version", (const xmlChar *)"2");
	v = xmlNewTextChild(root, NULL, (const xmlChar *)"version", (const xmlChar *)id->version);
	xmlNewProp(v, (const xmlChar *)"who", (const xmlChar *)"vpn");
	xmlNewTextChild(root, NULL, (const xmlChar *)"device-id", (const xmlChar *)id->device_id);
	/* SAML, as openconnect 9 announces it (not the bare "single-sign-on", which confuses
	 * ASAs): in the init and in every answer. */
	v = xmlNewChild(root, NULL, (const xmlChar *)"capabilities", NULL);
	xmlNewTextChild(v, NULL, (const xmlChar *)"auth-method",
			(const xmlChar *)"single-sign-on-v2");
	xmlNewTextChild(v, NULL, (const xmlChar *)"auth-method",
			(const xmlChar *)"single-sign-on-external-browser");
	return root;
}

static int finish(xmlDocPtr x, struct ks_buf *out)
{
	xmlChar *mem = NULL;
	int size = 0, err;

	xmlDocDumpMemoryEnc(x, &mem, &size, "UTF-8");
	err = mem ? buf_append(out, mem, (size_t)size) : -ENOMEM;
	if (mem) {
		OPENSSL_cleanse(mem, (size_t)size);
		xmlFree(mem);
	}
	xmlFreeDoc(x);
	return err;
}

int xml_build_init(const struct ks_client_id *id, struct ks_buf *out)
{
	xmlDocPtr x = xmlNewDoc((const xmlChar *)"1.0");
	xmlNode *root = new_root(x, "init", id);

	xmlNewTextChild(root, NULL, (const xmlChar *)"group-access",
			(const xmlChar *)id->group_access);
	if (id->cert_fail)
		xmlNewChild(root, NULL, (const xmlChar *)"client-cert-fail", NULL);
	if (id->group)
		xmlNewTextChild(root, NULL, (const xmlChar *)"group-select",
				(const xmlChar *)id->group);
	return finish(x, out);
}

int xml_build_reply(const struct ks_client_id *id, const struct ks_auth_doc *doc,
		    struct ks_buf *out)
{
	xmlDocPtr x = xmlNewDoc((const xmlChar *)"1.0");
	xmlNode *root = new_root(x, "auth-reply", id), *auth;

	xmlNewChild(root, NULL, (const xmlChar *)"session-token", NULL);
	xmlNewChild(root, NULL, (const xmlChar *)"session-id", NULL);
	if (doc->opaque) {
		xmlDocPtr o = read_gateway_xml(doc->opaque, strlen(doc->opaque), "opaque", NULL);

		if (o) {
			xmlAddChild(root, xmlDocCopyNode(xmlDocGetRootElement(o), x, 1));
			xmlFreeDoc(o);
		}
	}
	auth = xmlNewChild(root, NULL, (const xmlChar *)"auth", NULL);
	for (int i = 0; i < doc->nfields; i++) {
		const struct ks_form_field *f = &doc->fields[i];

		/* The group list is answered in <group-select>, as the AnyConnect client does. */
		if (f->kind == KS_FIELD_SELECT && !strcmp(f->name, "group_list")) {
			xmlNewTextChild(root, NULL, (const xmlChar *)"group-select",
					(const xmlChar *)(f->value ? f->value : ""));
			continue;
		}
		xmlNewTextChild(auth, NULL, (const xmlChar *)f->name,
				(const xmlChar *)(f->value ? f->value : ""));
	}
	return finish(x, out);
}

static xmlNodePtr find_element(xmlNodePtr n, const char *name)
{
	for (; n; n = n->next) {
		xmlNodePtr found;

		if (n->type == XML_ELEMENT_NODE && !xmlStrcmp(n->name, (const xmlChar *)name))
			return n;
		found = find_element(n->children, name);
		if (found)
			return found;
	}
	return NULL;
}

int xml_post_auth_domains(const char *data, size_t len, char **include, char **exclude)
{
	xmlDocPtr x;
	xmlNodePtr n;

	*include = *exclude = NULL;
	x = read_gateway_xml(data, len, "post-auth", NULL);
	if (!x)
		return -EINVAL;
	n = find_element(xmlDocGetRootElement(x), "dynamic-split-include-domains");
	*include = n ? text(n) : NULL;
	n = find_element(xmlDocGetRootElement(x), "dynamic-split-exclude-domains");
	*exclude = n ? text(n) : NULL;
	xmlFreeDoc(x);
	return 0;
}
