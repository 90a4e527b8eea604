// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>

#include "auth.h"
#include "ks_test.h"
#include "log.h"
#include "xml.h"

static int parse_file(const char *rel, struct ks_auth_doc *doc, struct ks_error *e)
{
	char path[512], data[8192];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/data/%s", ks_srcdir(), rel);
	f = fopen(path, "r");
	if (!f)
		return -ENOENT;
	n = fread(data, 1, sizeof(data), f);
	fclose(f);
	return xml_parse_auth(data, n, doc, e);
}

void test_xml_ocserv_forms(void)
{
	struct ks_auth_doc doc;
	struct ks_error e;

	ASSERT_OK(parse_file("ocserv-auth-username.xml", &doc, &e), "parse");
	ASSERT_EQ(doc.type, KS_AUTH_REQUEST, "type");
	ASSERT_STREQ(doc.auth_id, "main", "auth id");
	ASSERT_STREQ(doc.action, "/auth", "action");
	ASSERT_EQ(doc.nfields, 1, "fields");
	ASSERT_STREQ(doc.fields[0].name, "username", "name");
	ASSERT_EQ(doc.fields[0].kind, KS_FIELD_TEXT, "kind");
	xml_auth_doc_free(&doc);
}

void test_xml_asa_forms(void)
{
	struct ks_connect_opts o = { .user = "bob", .authgroup = "contractors", .have_totp = true };
	struct ks_answers a = { .o = &o, .now = 59 };
	struct ks_client_id id = { .version = "v9.01", .device_id = "linux-64" };
	struct ks_auth_doc doc;
	struct ks_buf out = { 0 };
	struct ks_error e;
	char lines[] = "hunter2\n";

	ASSERT_OK(totp_parse_secret(&o.totp, "12345678901234567890", NULL), "key");
	ASSERT_OK(parse_file("asa-auth-group.xml", &doc, &e), "parse");
	ASSERT_EQ(doc.nfields, 5, "fields (submit dropped)");
	ASSERT_EQ(doc.fields[3].noptions, 2, "group options");
	ASSERT_TRUE(doc.opaque && strstr(doc.opaque, "auth-handle"), "opaque kept");

	test__start_subtest("fill: user, stdin password, TOTP, group");
	a.in = fmemopen(lines, strlen(lines), "r");
	ASSERT_OK(auth_fill_form(&doc, &a, &e), e.msg);
	fclose(a.in);
	ASSERT_STREQ(doc.fields[0].value, "bob", "username from -u");
	ASSERT_STREQ(doc.fields[1].value, "hunter2", "password from stdin");
	ASSERT_STREQ(doc.fields[2].value, "287082", "secondary password is the TOTP code");
	ASSERT_STREQ(doc.fields[3].value, "Contractors", "group by label, any case");
	ASSERT_STREQ(doc.fields[4].value, "x<y", "hidden value");

	test__start_subtest("reply document");
	ASSERT_OK(xml_build_reply(&id, &doc, &out), "build");
	const char *x = buf_cstr(&out);
	ASSERT_TRUE(strstr(x, "type=\"auth-reply\"") != NULL, "type");
	ASSERT_TRUE(strstr(x, "<auth-handle>161</auth-handle>") != NULL, "opaque echoed");
	ASSERT_TRUE(strstr(x, "<group-select>Contractors</group-select>") != NULL, "group");
	ASSERT_TRUE(strstr(x, "<csrf>x&lt;y</csrf>") != NULL, "escaped hidden value");
	ASSERT_TRUE(strstr(x, "<secondary_password>287082</secondary_password>") != NULL, "otp");
	buf_free(&out);
	xml_auth_doc_free(&doc);

	test__start_subtest("unknown group");
	o.authgroup = "Sales";
	ASSERT_OK(parse_file("asa-auth-group.xml", &doc, &e), "parse");
	a.in = fmemopen(lines, strlen(lines), "r");
	ASSERT_EQ(auth_fill_form(&doc, &a, &e), -ENOKEY, "refused");
	fclose(a.in);
	ASSERT_TRUE(strstr(e.msg, "Employees, Contractors") != NULL, "lists the groups");
	xml_auth_doc_free(&doc);

	test__start_subtest("no answer available");
	o.have_totp = false;
	o.authgroup = NULL;
	ASSERT_OK(parse_file("asa-auth-group.xml", &doc, &e), "parse");
	a.in = fmemopen(lines, strlen(lines), "r");
	ASSERT_EQ(auth_fill_form(&doc, &a, &e), -ENOKEY, "second password missing");
	fclose(a.in);
	ASSERT_TRUE(strstr(e.msg, "Second Password") != NULL, "names the field");
	xml_auth_doc_free(&doc);
	totp_wipe(&o.totp);

	test__start_subtest("later-stage password is the TOTP code");
	struct ks_connect_opts o2 = { .have_totp = true };
	struct ks_answers a2 = { .o = &o2, .now = 59, .passwords_sent = 1 };
	const char otp[] = "<config-auth type=\"auth-request\"><auth id=\"main\"><form action=\"/auth\">"
			   "<input type=\"password\" name=\"password\" label=\"Password:\"/></form></auth>"
			   "</config-auth>";
	ASSERT_OK(totp_parse_secret(&o2.totp, "12345678901234567890", NULL), "key");
	ASSERT_OK(xml_parse_auth(otp, sizeof(otp) - 1, &doc, &e), "parse");
	ASSERT_OK(auth_fill_form(&doc, &a2, &e), "fill");
	ASSERT_STREQ(doc.fields[0].value, "287082", "code");
	xml_auth_doc_free(&doc);
}

void test_xml_complete(void)
{
	struct ks_auth_doc doc;
	struct ks_error e;

	ASSERT_OK(parse_file("asa-auth-complete.xml", &doc, &e), "parse");
	ASSERT_EQ(doc.type, KS_AUTH_COMPLETE, "type");
	ASSERT_STREQ(doc.session_token, "4A7B1C@32768@ABCD@0123456789ABCDEF", "token");
	ASSERT_STREQ(doc.banner, "Authorized use only", "banner");
	xml_auth_doc_free(&doc);
}

void test_xml_malformed(void)
{
	static const struct {
		const char *name, *xml;
	} bad[] = {
		{ "not xml", "<html><body>captive portal</body></html" },
		{ "wrong root", "<html><body>captive portal</body></html>" },
		{ "unknown type", "<config-auth type=\"hello\"></config-auth>" },
		{ "no form", "<config-auth type=\"auth-request\"><auth id=\"x\"/></config-auth>" },
		{ "field without name",
		  "<config-auth type=\"auth-request\"><auth><form><input type=\"text\"/></form></auth>"
		  "</config-auth>" },
		{ "field name that is not an element name",
		  "<config-auth type=\"auth-request\"><auth><form><input type=\"text\" name=\"a&gt;b\"/>"
		  "</form></auth></config-auth>" },
		{ "unknown input type",
		  "<config-auth type=\"auth-request\"><auth><form><input type=\"file\" name=\"f\"/>"
		  "</form></auth></config-auth>" },
		{ "a DTD is refused (billion laughs)",
		  "<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;\">]>"
		  "<config-auth type=\"hello&b;\"></config-auth>" },
		/* A valid form but for the entity: accepted, it would show EXPANDED. */
		{ "a DTD is refused (one-level internal entity in a message)",
		  "<!DOCTYPE config-auth [<!ENTITY x \"EXPANDED\">]>"
		  "<config-auth client=\"vpn\" type=\"auth-request\"><auth id=\"main\">"
		  "<message>&x;</message><form method=\"post\" action=\"/auth\">"
		  "<input type=\"password\" name=\"password\" label=\"Password:\"/>"
		  "</form></auth></config-auth>" },
		{ "an external DTD is refused",
		  "<!DOCTYPE config-auth SYSTEM \"file:///etc/passwd\">"
		  "<config-auth client=\"vpn\" type=\"auth-request\"><auth id=\"main\">"
		  "<form method=\"post\" action=\"/auth\">"
		  "<input type=\"password\" name=\"password\" label=\"Password:\"/>"
		  "</form></auth></config-auth>" },
		{ "empty", "" },
	};
	struct ks_auth_doc doc;
	struct ks_error e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		test__start_subtest(bad[i].name);
		e.msg[0] = 0;
		ASSERT_EQ(xml_parse_auth(bad[i].xml, strlen(bad[i].xml), &doc, &e), -EBADMSG,
			  bad[i].name);
		ASSERT_TRUE(strncmp(e.msg, "auth:", 5) == 0, "message says where");
		if (strstr(bad[i].name, "DTD"))
			ASSERT_TRUE(strstr(e.msg, "DTD") != NULL, e.msg);
	}
	/* The control: the entity document without its DOCTYPE is a form kslice accepts, so
	 * only the DTD can be why the cases above were refused. */
	test__start_subtest("the same form without a DTD is accepted");
	static const char plain[] =
		"<config-auth client=\"vpn\" type=\"auth-request\"><auth id=\"main\">"
		"<message>EXPANDED</message><form method=\"post\" action=\"/auth\">"
		"<input type=\"password\" name=\"password\" label=\"Password:\"/>"
		"</form></auth></config-auth>";
	ASSERT_TRUE(strstr(bad[8].xml, plain + 0) == NULL, "differs only by DOCTYPE and entity");
	ASSERT_OK(xml_parse_auth(plain, strlen(plain), &doc, &e), e.msg);
	ASSERT_STREQ(doc.message, "EXPANDED", "message");
	xml_auth_doc_free(&doc);
}
