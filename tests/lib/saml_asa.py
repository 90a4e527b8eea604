"""The ASA's SAML single sign-on (single-sign-on-v2), for hostile_gw.py's saml-* scenarios,
and a tiny identity provider beside it. Faithful to what openconnect 9 (auth.c, hpke.c,
cstp.c) expects of an ASA and to the XML of an ASA's SSO form (docs/protocol-notes.md
"SAML"); Debian's openconnect 9.01 --external-browser logs in through it (test_sso.sh):

- the init must announce <auth-method>single-sign-on-v2</auth-method> (and, for the
  external browser, single-sign-on-external-browser) and carry X-AnyConnect-STRAP-Pubkey
  and X-AnyConnect-STRAP-DH-Pubkey; the answer is an auth-request whose <auth> holds
  sso-v2-login, sso-v2-login-final, sso-v2-token-cookie-name, sso-v2-error-cookie-name,
  sso-v2-browser-mode ("external" for saml-external) and a form with <input type="sso">;
- the browser: /+CSCOE+/saml/sp/login -> the IdP's page (a form the page submits itself,
  as a password manager would) -> an auto-posted SAMLResponse to /+CSCOE+/saml/sp/acs ->
  external: 302 to http://localhost:29786/api/sso/<token encrypted to the client's STRAP
  DH key>?return=<final>; embedded: the acSamlv2Token cookie and 302 to the final page;
- the auth-reply's <sso-token> must be a token this gateway issued; then the session;
- the CONNECT's X-AnyConnect-STRAP-Verify must verify (ECDSA-SHA256 over tls-unique and
  the next public key, with the key of the login): recorded. TLS 1.2 only, for tls-unique.

Encryption (openconnect hpke.c): ECDH P-256 with an ephemeral key, HKDF-SHA256 without
salt, info "AC_ECIES", 32 bytes; AES-256-GCM, 12-byte IV, no AAD, tag cut to 12 bytes;
blob = 00 01, then TLVs (tag, len: 16 bits each): 1 ephemeral SPKI, 2 tag, 3 text, 4 IV;
standard base64, percent-encoded in the URL.
"""
import base64
import html
import os
import secrets
import urllib.parse

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
IDP_USER, IDP_PASS = "alice", "alice-idp-pass"


def tlv(tag, value):
    return tag.to_bytes(2, "big") + len(value).to_bytes(2, "big") + value


def encrypt_token(client_dh_spki_b64, token):
    client = serialization.load_der_public_key(base64.b64decode(client_dh_spki_b64))
    eph = ec.generate_private_key(ec.SECP256R1())
    shared = eph.exchange(ec.ECDH(), client)
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"AC_ECIES").derive(shared)
    iv = os.urandom(12)
    enc = Cipher(algorithms.AES(key), modes.GCM(iv)).encryptor()
    ct = enc.update(token.encode()) + enc.finalize()
    spki = eph.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    blob = b"\x00\x01" + tlv(1, spki) + tlv(2, enc.tag[:12]) + tlv(3, ct) + tlv(4, iv)
    return base64.b64encode(blob).decode()


class SamlAsa:
    def __init__(self, gw, external):
        self.gw = gw
        self.external = external
        self.base = f"https://{gw.host}:{gw.port}"
        self.sessions = {}  # sid -> {"dh": b64, "sign": b64}
        self.tokens = set()
        self.strap_sign = None  # the login's signing key, for the CONNECT

    def rec(self, k, v):
        self.gw.record(k, v)

    def page(self, tls, n, body, what, status="200 OK", headers=()):
        self.gw.respond(tls, n, status, body, headers, what=what, ctype="text/html")

    def form(self, sid):
        login = (f"{self.base}/+CSCOE+/saml/sp/login?tgname=KSLICE&amp;acsamlcap=v2&amp;"
                 f"sid={sid}")
        mode = "<sso-v2-browser-mode>external</sso-v2-browser-mode>\n" if self.external else ""
        return (XML_HEAD +
                '<config-auth client="vpn" type="auth-request" aggregate-auth-version="2">\n'
                '<opaque is-for="sg">\n<tunnel-group>KSLICE</tunnel-group>\n'
                '<auth-method>single-sign-on-v2</auth-method>\n'
                '<group-alias>kslice</group-alias>\n<config-hash>1700000000000</config-hash>\n'
                '</opaque>\n<auth id="main">\n<title>Login</title>\n'
                '<message>Please complete the authentication process in the browser.</message>\n'
                '<banner></banner>\n'
                f'<sso-v2-login>{login}</sso-v2-login>\n'
                f'<sso-v2-login-final>{self.base}/+CSCOE+/saml_ac_login.html</sso-v2-login-final>\n'
                '<sso-v2-token-cookie-name>acSamlv2Token</sso-v2-token-cookie-name>\n'
                '<sso-v2-error-cookie-name>acSamlv2Error</sso-v2-error-cookie-name>\n' + mode +
                '<form>\n<input type="sso" name="sso-token"></input>\n'
                '<select name="group_list" label="GROUP:">\n'
                '<option selected="true">kslice</option>\n</select>\n</form>\n'
                '</auth>\n</config-auth>\n')

    def on_init(self, tls, n, req, body):
        caps = [c.split("<")[0] for c in body.split("<auth-method>")[1:]]
        h = req["headers"]
        self.rec("init_auth_methods", caps)
        self.rec("strap_headers", bool(h.get("x-anyconnect-strap-pubkey")) and
                 bool(h.get("x-anyconnect-strap-dh-pubkey")))
        if "single-sign-on-v2" not in caps:
            return self.gw.login_failed(tls, n)
        sid = secrets.token_hex(8)
        self.sessions[sid] = {"dh": h.get("x-anyconnect-strap-dh-pubkey", ""),
                              "sign": h.get("x-anyconnect-strap-pubkey", "")}
        self.strap_sign = self.sessions[sid]["sign"]
        self.gw.respond(tls, n, "200 OK", self.form(sid), what="SSO auth-request")

    def on_reply(self, tls, n, body):
        tok = body.split("<sso-token>")[1].split("<")[0] if "<sso-token>" in body else ""
        ok = tok in self.tokens
        self.rec("sso_token_ok", ok)
        self.rec("reply_has_opaque", "<tunnel-group>KSLICE</tunnel-group>" in body)
        if not ok:
            return self.gw.login_failed(tls, n)
        self.gw.complete(tls, n)

    def on_http(self, tls, n, req):
        """The browser's requests: the SP's login, the IdP, the ACS, the final page."""
        url = urllib.parse.urlsplit(req["path"])
        q = urllib.parse.parse_qs(url.query)
        form = urllib.parse.parse_qs(req["body"].decode("latin-1"))
        p = url.path
        self.gw.log(f"conn {n}: browser {req['method']} {p}")
        if p == "/+CSCOE+/saml/sp/login":
            sid = q.get("sid", [""])[0]
            self.rec("browser_came", True)
            loc = f"{self.base}/idp/sso?SAMLRequest=ks&RelayState={urllib.parse.quote(sid)}"
            return self.page(tls, n, "", "to the IdP", "302 Found", [f"Location: {loc}"])
        if p == "/idp/sso" and req["method"] == "GET":
            rs = html.escape(q.get("RelayState", [""])[0])
            return self.page(tls, n, (
                "<!doctype html><html><body><h1>kslice test IdP</h1>"
                '<form method="post" action="/idp/sso">'
                f'<input name="username" value="{IDP_USER}">'
                f'<input name="password" type="password" value="{IDP_PASS}">'
                f'<input type="hidden" name="RelayState" value="{rs}">'
                '<button type="submit">Sign in</button></form>'
                "<script>document.forms[0].submit()</script></body></html>"), "IdP login page")
        if p == "/idp/sso":
            good = (form.get("username", [""])[0] == IDP_USER and
                    form.get("password", [""])[0] == IDP_PASS)
            self.rec("idp_login_ok", good)
            if not good:
                return self.page(tls, n, "<html><body>Wrong password</body></html>", "IdP no")
            rs = html.escape(form.get("RelayState", [""])[0])
            resp = base64.b64encode(b"<samlp:Response>alice</samlp:Response>").decode()
            return self.page(tls, n, (
                "<!doctype html><html><body>"
                f'<form method="post" action="{self.base}/+CSCOE+/saml/sp/acs?tgname=KSLICE">'
                f'<input type="hidden" name="SAMLResponse" value="{resp}">'
                f'<input type="hidden" name="RelayState" value="{rs}"></form>'
                "<script>document.forms[0].submit()</script></body></html>"), "SAMLResponse")
        if p == "/+CSCOE+/saml/sp/acs":
            sid = form.get("RelayState", [""])[0]
            sess = self.sessions.get(sid)
            if not sess or not form.get("SAMLResponse"):
                return self.page(tls, n, "<html>no session</html>", "ACS refused",
                                 "403 Forbidden")
            token = secrets.token_hex(16).upper()
            self.tokens.add(token)
            self.rec("tokens_issued", sorted(self.tokens))  # the test greps logs for them
            final = f"{self.base}/+CSCOE+/saml_ac_login.html"
            if self.external:
                blob = encrypt_token(sess["dh"], token)
                loc = (f"http://localhost:29786/api/sso/{urllib.parse.quote(blob, safe='')}"
                       f"?return={urllib.parse.quote(final, safe='')}")
                self.rec("token_sent_to_localhost", True)
                return self.page(tls, n, "", "to localhost:29786", "302 Found",
                                 [f"Location: {loc}"])
            return self.page(tls, n, "", "token cookie", "302 Found",
                             [f"Set-Cookie: acSamlv2Token={token}; Path=/; Secure",
                              f"Location: {final}"])
        if p == "/+CSCOE+/saml_ac_login.html":
            self.rec("final_page", True)
            return self.page(tls, n, "<html><body>Login complete.</body></html>", "final")
        return self.page(tls, n, "", "404", "404 Not Found")

    def check_connect(self, tls, req):
        """X-AnyConnect-STRAP-Verify: ECDSA-SHA256, by the login's key, over tls-unique and
        the next public key (X-AnyConnect-STRAP-Pubkey)."""
        h = req["headers"]
        sig, nxt = h.get("x-anyconnect-strap-verify"), h.get("x-anyconnect-strap-pubkey")
        if not (sig and nxt and self.strap_sign):
            return self.rec("strap_verify", "absent")
        try:
            pub = serialization.load_der_public_key(base64.b64decode(self.strap_sign))
            data = tls.get_channel_binding("tls-unique") + base64.b64decode(nxt)
            pub.verify(base64.b64decode(sig), data, ec.ECDSA(hashes.SHA256()))
            self.rec("strap_verify", "ok")
            self.strap_sign = nxt
        except Exception as e:  # noqa: BLE001 - any failure is the finding
            self.rec("strap_verify", f"bad: {type(e).__name__}")
