"""Signs a demo user in to an application with the OpenID Connect authorization-code flow
(PKCE S256, the portal's consent page) and verifies the id token with PyJWT against the
server's JWKS, as an integrator's library would. Exits non-zero on the first mismatch."""

import base64
import hashlib
import os
import re
import secrets
import sys
from urllib.parse import parse_qs, urlparse

import jwt
import requests

base = os.environ["PARTNERHUB_URL"]
redirect = "https://integrator.example/callback"


def check(cond, what):
    if not cond:
        print(f"FAIL: {what}", file=sys.stderr)
        sys.exit(1)
    print(f"ok: {what}")


meta = requests.get(f"{base}/.well-known/openid-configuration", timeout=30).json()
for member in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "response_types_supported",
               "subject_types_supported", "id_token_signing_alg_values_supported"):
    check(member in meta, f"discovery has {member}")
check("RS256" in meta["id_token_signing_alg_values_supported"], "id tokens in RS256")

# The demo provider registers an application with its redirect address.
admin = requests.post(f"{base}/oauth2/token", data={"grant_type": "password", "username": "admin@northwind.example",
                                                   "password": "Demo-Password-1"}, timeout=30).json()["access_token"]
h = {"Authorization": f"Bearer {admin}"}
app = requests.post(f"{base}/v1/applications", json={"displayName": "Contract check"}, headers=h, timeout=30).json()
requests.put(f"{base}/v1/applications/{app['id']}/redirecturis", json={"redirectUris": [redirect]}, headers=h, timeout=30)

# A reseller's administrator signs in to the portal, then consents. The session cookie is a
# `__Host-` (Secure) cookie, which a client keeps for https only: it is carried by hand here.
s = requests.Session()
csrf = lambda html: re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def cookie_of(r):
    m = re.search(r"(__Host-partnerhub=[^;]+)", r.headers.get("set-cookie", ""))
    return m.group(1) if m else None


page = s.get(f"{base}/portal/signin", timeout=30)
anon = cookie_of(page)
signed = s.post(f"{base}/portal/signin", headers={"Cookie": anon}, allow_redirects=False, timeout=30,
                data={"csrf": csrf(page.text), "upn": "admin@contoso.example", "password": "Demo-Password-1"})
s.headers["Cookie"] = cookie_of(signed)
verifier = secrets.token_urlsafe(48)
challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
q = {"response_type": "code", "client_id": app["id"], "redirect_uri": redirect, "scope": "openid profile",
     "state": "s1", "nonce": "n1", "code_challenge": challenge, "code_challenge_method": "S256"}
page = s.get(meta["authorization_endpoint"], params=q, allow_redirects=False, timeout=30)
check(page.status_code == 200 and "consent-scopes" in page.text, f"the consent page (HTTP {page.status_code})")
answer = s.post(f"{base}/portal/oauth2/authorize", data={**q, "csrf": csrf(page.text), "decision": "approve"},
                allow_redirects=False, timeout=30)
code = parse_qs(urlparse(answer.headers["location"]).query)["code"][0]
tok = requests.post(meta["token_endpoint"], auth=(app["id"], app["clientSecret"]), data={
    "grant_type": "authorization_code", "code": code, "redirect_uri": redirect, "code_verifier": verifier}, timeout=30).json()
check("id_token" in tok, "the token endpoint answers an id token")

key = jwt.PyJWKClient(meta["jwks_uri"]).get_signing_key_from_jwt(tok["id_token"])
claims = jwt.decode(tok["id_token"], key.key, algorithms=["RS256"], audience=app["id"], issuer=meta["issuer"])
check(claims["nonce"] == "n1" and "auth_time" in claims, "PyJWT verifies the id token with the JWKS")
