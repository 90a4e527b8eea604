// SPDX-License-Identifier: GPL-2.0-only
/* One aggregate-auth document: parsed (xml.c), its form filled with fixed answers
 * (auth.c: user name, stdin lines, TOTP, --authgroup), its action reduced to a path, and
 * the reply built; the reply must be XML that parses back to the same fields.
 * Input: flags, then the document. */
#include "../../user/auth.c"

#include <libxml/parser.h>

#include "fuzz.h"
#include "fuzz_opts.h"

static const char stdin_lines[] = "secret-1\nsecret-2\nsecret-3\n";

static bool in_options(const struct ks_form_field *f, const char *v)
{
	for (int i = 0; i < f->noptions; i++)
		if (!strcmp(f->options[i].value, v))
			return true;
	return false;
}

static void check_doc(const struct ks_auth_doc *doc)
{
	FUZZ_CHECK(doc->nfields >= 0 && doc->nfields <= KS_FORM_MAX_FIELDS, "%d fields",
		   doc->nfields);
	FUZZ_CHECK(doc->type == KS_AUTH_COMPLETE || doc->nfields || doc->session_token,
		   "auth-request without a form");
	for (int i = 0; i < doc->nfields; i++) {
		const struct ks_form_field *f = &doc->fields[i];

		/* Names become element names in the reply (xml.c valid_name). */
		FUZZ_CHECK(f->name && f->name[0] && strlen(f->name) <= 64 &&
				   strspn(f->name,
					  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					  "0123456789_-.") == strlen(f->name) &&
				   !strchr("0123456789-.", f->name[0]),
			   "field %d name '%s'", i, f->name);
		FUZZ_CHECK(f->noptions >= 0 && f->noptions <= KS_FORM_MAX_OPTIONS, "options");
		FUZZ_CHECK(f->kind == KS_FIELD_SELECT || !f->noptions, "options on a non-select");
		for (int j = 0; j < f->noptions; j++)
			FUZZ_CHECK(f->options[j].value && f->options[j].label, "option %d", j);
	}
}

static void check_filled(const struct ks_auth_doc *doc, const struct ks_connect_opts *o)
{
	for (int i = 0; i < doc->nfields; i++) {
		const struct ks_form_field *f = &doc->fields[i];

		if (f->kind == KS_FIELD_HIDDEN)
			continue;
		FUZZ_CHECK(f->value, "field '%s' left without an answer", f->name);
		if (f->kind == KS_FIELD_SELECT)
			FUZZ_CHECK(in_options(f, f->value), "'%s' chose '%s', not offered", f->name,
				   f->value);
		if (f->kind == KS_FIELD_TEXT && o->user &&
		    (contains_ci(f->name, "user") || contains_ci(f->label, "user")))
			FUZZ_CHECK(!strcmp(f->value, o->user), "user field '%s' got '%s'", f->name,
				   f->value);
	}
}

static xmlNode *child(xmlNode *n, const char *name)
{
	for (n = n ? n->children : NULL; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name))
			return n;
	return NULL;
}

/* The reply parses, and <auth> holds every field (but the group list) in order. */
static void check_reply(const struct ks_auth_doc *doc, const struct ks_buf *out)
{
	xmlDocPtr x = xmlReadMemory((const char *)out->data, (int)out->len, "reply.xml", NULL,
				    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlNode *root, *auth, *n;
	int i = 0, groups = 0, want_groups = 0;

	FUZZ_CHECK(x, "the reply we built is not XML:\n%.*s", (int)out->len, out->data);
	root = xmlDocGetRootElement(x);
	FUZZ_CHECK(root && !strcmp((const char *)root->name, "config-auth"), "root");
	auth = child(root, "auth");
	FUZZ_CHECK(auth, "no <auth>");
	for (n = auth->children; n; n = n->next) {
		const struct ks_form_field *f;
		xmlChar *t;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		while (i < doc->nfields && doc->fields[i].kind == KS_FIELD_SELECT &&
		       !strcmp(doc->fields[i].name, "group_list"))
			i++;
		FUZZ_CHECK(i < doc->nfields, "more elements in <auth> than fields");
		f = &doc->fields[i++];
		t = xmlNodeGetContent(n);
		FUZZ_CHECK(!strcmp((const char *)n->name, f->name), "<%s> for field '%s'", n->name,
			   f->name);
		FUZZ_CHECK(!strcmp((const char *)t, f->value ? f->value : ""),
			   "field '%s': '%s' sent, '%s' meant", f->name, t, f->value);
		xmlFree(t);
	}
	for (int j = 0; j < doc->nfields; j++)
		want_groups += doc->fields[j].kind == KS_FIELD_SELECT &&
			       !strcmp(doc->fields[j].name, "group_list");
	for (n = root->children; n; n = n->next)
		groups += n->type == XML_ELEMENT_NODE &&
			  !strcmp((const char *)n->name, "group-select");
	FUZZ_CHECK(groups == want_groups, "%d <group-select> for %d group lists", groups,
		   want_groups);
	xmlFreeDoc(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t flags = fuzz_u8(&in);
	struct ks_connect_opts o = { .host = "vpn.example.com", .port = "443", .path = "/" };
	struct ks_client_id id = { .version = "v9.01",
				   .device_id = "linux-64",
				   .group_access = "https://vpn.example.com/" };
	struct ks_answers a = { .o = &o, .now = 1700000000 };
	struct ks_auth_doc doc;
	struct ks_error e = { { 0 } };
	struct ks_buf out = { 0 };
	char path[256];
	int err;

	fuzz_login_opts(&o, flags);
	a.passwords_sent = flags & 8 ? 1 : 0;
	if (flags & 16)
		snprintf(o.port, sizeof(o.port), "8443");
	err = xml_parse_auth((const char *)in.p, in.n, &doc, &e);
	if (err) {
		FUZZ_CHECK(err == -EBADMSG || err == -EMSGSIZE, "parse: %d", err);
		FUZZ_CHECK(e.msg[0], "parse error %d without a message", err);
		return 0;
	}
	check_doc(&doc);
	if (flags & 32)
		a.in = fmemopen((void *)stdin_lines, sizeof(stdin_lines) - 1, "r");
	err = auth_fill_form(&doc, &a, &e);
	FUZZ_LOG("auth: %d fields, fill %d (%s)", doc.nfields, err, e.msg);
	if (a.in)
		fclose(a.in);
	if (!err) {
		check_filled(&doc, &o);
		err = action_path(&o, doc.action, path, sizeof(path), &e);
		if (!err) {
			FUZZ_CHECK(path[0] == '/' && strlen(path) < sizeof(path), "path '%s'",
				   path);
			for (const char *c = path; *c; c++)
				FUZZ_CHECK((unsigned char)*c > ' ' && *c != 0x7f, "path '%s'",
					   path);
		} else {
			FUZZ_CHECK(err == -EPROTO && e.msg[0], "action: %d", err);
		}
		if (doc.nfields) {
			err = xml_build_reply(&id, &doc, &out);
			FUZZ_CHECK(!err, "reply: %d", err);
			check_reply(&doc, &out);
		}
	} else {
		FUZZ_CHECK(err == -ENOKEY || err == -EBADMSG, "fill: %d", err);
		FUZZ_CHECK(e.msg[0], "fill error %d without a message", err);
	}
	buf_free(&out);
	xml_auth_doc_free(&doc);
	return 0;
}
