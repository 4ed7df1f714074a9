"""Drives Partner Hub with Microsoft's generated Python SDK for the partner-center API
(PyPI partnercenterservices 0.1.2, msrest) for every indirect-model operation the SDK covers,
as the demo indirect provider with a token from Partner Hub's token endpoint (the two directory
role membership changes as the customer's own global administrator). Prints one line
per operation (pass / fail-product / fail-sdk-bug and why) and "N of M operations pass".
Exits non-zero when an operation fails because of the product. An operation counts as an SDK
bug only when the SDK itself sends a request the public reference does not define, or cannot
read an answer the reference defines; each one is listed in SDK_BUGS with the reason (and in
docs/partner-center-compatibility.md)."""

import os
import sys
import uuid

import requests
from msrest.authentication import BasicTokenAuthentication
from microsoft.store.partnercenterservices import MicrosoftPartnerStoreApis, models

base = os.environ["PARTNERHUB_URL"]
V = "1"

# Operations the SDK gets wrong by itself: the request it builds is not the reference's.
SDK_BUGS = {
    "POST /customers/{id}/users": "the SDK types passwordProfile.password as a SystemSecuritySecureString object and cannot serialize a password string, so no body is sent",
    "DELETE /customers/{id}/directoryroles": "the SDK deletes a role member at .../directoryroles?role_id=&member_id=; the reference path is .../directoryroles/{roleId}/usermembers/{userId} (run below as its own operation)",
    "DELETE /customers/{id}/users?user_id": "the SDK deletes a user at .../users?user_id=; the reference path is .../users/{userId}",
    "PATCH /customers/{id}/users?user_id": "the SDK patches a user at .../users?user_id=; the reference path is .../users/{userId}",
    "POST /domains/{domain}": "the SDK's second way to add a verified domain posts to /domains/{domain}?customer_id=, a path the reference does not define; the reference's /customers/{id}/verifieddomain is run just before as its own operation",
    "POST /customers/{id}/directoryroles?role_id": "the SDK adds a role member at .../directoryroles?role_id=; the reference path is .../directoryroles/{roleId}/usermembers",
}

def token_for(upn):
    return requests.post(
        f"{base}/oauth2/token",
        data={"grant_type": "password", "username": upn, "password": "Demo-Password-1"},
        timeout=30,
    ).json()["access_token"]


def sdk_for(token):
    return MicrosoftPartnerStoreApis(BasicTokenAuthentication({"access_token": token}), base_url=base)


token = token_for("admin@northwind.example")
sdk = sdk_for(token)
H = {"Authorization": f"Bearer {token}"}

results = []  # (name, verdict, reason)


def run(name, call, ok=(200, 201, 204)):
    """Runs one SDK operation with raw=True: passes when the status is a success and the SDK
    read the answer without error."""
    try:
        raw = call()
        status = raw.response.status_code
        if status in ok:
            results.append((name, "pass", str(status)))
            return raw.output
        reason = f"HTTP {status}: {raw.response.text[:160]}"
    except Exception as e:  # the SDK could not build the request or read the answer
        status = getattr(getattr(e, "response", None), "status_code", None)
        if status in ok:  # a documented refusal, which the SDK raises as an error
            results.append((name, "pass", f"{status} (the documented refusal)"))
            return None
        reason = f"{type(e).__name__}: {str(e)[:160]}"
    verdict = "fail-sdk-bug" if name in SDK_BUGS else "fail-product"
    if verdict == "fail-sdk-bug":
        reason = SDK_BUGS[name] + f" ({reason})"
    results.append((name, verdict, reason))
    return None


def first(coll, attr="id"):
    items = getattr(coll, "items", None) or []
    return getattr(items[0], attr) if items else None


def http(method, path, **kw):
    return requests.request(method, f"{base}/v1{path}", headers=H, timeout=30, **kw)


g, p = sdk.getvversioncustomerscustomer, sdk.postvversioncustomerscustomer

# Partner-level reads.
customers = run("GET /customers", lambda: sdk.getvversioncustomersfilterfilter.value(V, size=100, raw=True))
rels = run("GET /relationships", lambda: sdk.getvversionrelationshipsrelationship.value(V, relationship_type="IsIndirectCloudSolutionProviderOf", raw=True))
run("GET /offercategories", lambda: sdk.getvversionoffercategoriescountrycountry.value(V, country="US", raw=True))
offers = run("GET /offers", lambda: sdk.getvversionofferscountrycountry.value(V, country="US", raw=True))
offer = first(offers)
run("GET /offers/{id}", lambda: sdk.getvversionoffersoffer.value1(offer_id=offer, version=V, country="US", raw=True))
run("GET /offers/{id}/addons", lambda: sdk.getvversionoffersoffer.value(offer_id=offer, version=V, country="US", raw=True))
run("GET /profiles/legalbusiness", lambda: sdk.getvversionprofileslegalbusinessvetting_versionvetting_version.value(V, raw=True))
run("GET /profiles/mpn", lambda: sdk.getvversionprofilesmpnmpn_idmpn_id.value(V, raw=True))

# A customer of a partnered reseller, made for this run (the SDK has no customer creation).
reseller = first(rels)
def make_customer():
    made = http("POST", "/customers", json={
        "billingProfile": {"companyName": f"SDK Check {uuid.uuid4().hex[:6]}", "email": "it@sdk-check.example",
                           "defaultAddress": {"country": "US", "city": "Redmond", "addressLine1": "1 Way", "postalCode": "98052", "firstName": "Ana", "lastName": "Lee"}},
        "companyProfile": {"domain": f"sdk{uuid.uuid4().hex[:8]}.example"},
        "associatedPartnerId": reseller,
    })
    return made.json().get("id") if made.ok else None


made_id = make_customer()
left_id = make_customer()  # one the provider leaves with DELETE .../relationships/partner
cid = first(customers)  # a demo customer the provider holds delegated access to
K = dict(version=V, raw=True)
run("GET /customers/{id}", lambda: g.id(customer_id=cid, **K))
run("GET /customers/{id}/profiles/billing", lambda: g.idprofilesbilling(customer_id=cid, **K))
billing = http("GET", f"/customers/{cid}/profiles/billing").json()
run("PUT /customers/{id}/profiles/billing", lambda: sdk.putvversioncustomerscustomer.idprofilesbilling(customer_id=cid, customer_billing_profile=billing, **K))
run("GET /customers/{id}/profiles/company", lambda: g.idprofilescompany(customer_id=cid, **K))
run("GET /customers/{id}/relationships", lambda: g.idrelationships(customer_id=cid, **K))
run("GET /customers/{id}/offercategories", lambda: g.idoffercategories(customer_id=cid, **K))
run("GET /customers/{id}/offers", lambda: g.value2(customer_id=cid, **K))
run("GET /customers/{id}/offers/{offerId}/addons", lambda: g.idaddons1(customer_id=cid, offer_id=offer, **K))

# Commerce: an order, its subscription, a cart checked out.
order = run("POST /customers/{id}/orders", lambda: p.idorders(customer_id=cid, order={"referenceCustomerId": cid, "billingCycle": "monthly", "lineItems": [
    {"lineItemNumber": 0, "offerId": offer, "quantity": 1, "friendlyName": "SDK seats", "partnerIdOnRecord": reseller}]}, **K))
oid = getattr(order, "id", None)
run("GET /customers/{id}/orders", lambda: g.value7(customer_id=cid, **K))
run("GET /customers/{id}/orders/{orderId}", lambda: g.id5(customer_id=cid, order_id=oid, **K))
subs = run("GET /customers/{id}/subscriptions", lambda: g.value9(customer_id=cid, **K))
sid = first(subs)
run("GET /customers/{id}/subscriptions/{subId}", lambda: g.id6(customer_id=cid, subscription_id=sid, **K))
run("PATCH /customers/{id}/subscriptions/{subId}", lambda: sdk.patchvversioncustomerscustomer.id4(customer_id=cid, subscription_id=sid, subscription={"quantity": 1}, **K))
run("GET .../subscriptions/{subId}/provisioningstatus", lambda: g.idprovisioningstatus(customer_id=cid, subscription_id=sid, **K))
run("GET .../subscriptions/{subId}/addons", lambda: g.idaddons(customer_id=cid, subscription_id=sid, **K))
upgrades = run("GET .../subscriptions/{subId}/upgrades", lambda: g.idupgrades(customer_id=cid, subscription_id=sid, **K))
run("GET .../subscriptions/{subId}/supportcontact", lambda: g.idsupportcontact(customer_id=cid, subscription_id=sid, **K))
run("PUT .../subscriptions/{subId}/supportcontact", lambda: sdk.putvversioncustomerscustomer.idsupportcontact(customer_id=cid, subscription_id=sid, support_contact={"supportTenantId": reseller, "name": "Reseller"}, **K))
target = getattr((getattr(upgrades, "items", None) or [None])[0], "target_offer", None)
run("POST .../subscriptions/{subId}/upgrades", lambda: p.idupgrades(customer_id=cid, subscription_id=sid, target_upgrade={"targetOffer": target, "upgradeType": "upgrade_only"} if target else {}, **K))
run("PATCH /customers/{id}/orders/{orderId}", lambda: sdk.patchvversioncustomerscustomer.id3(customer_id=cid, order_id=oid, order={"lineItems": []}, **K))
cart = http("POST", f"/customers/{cid}/carts", json={"lineItems": [{"id": 0, "catalogItemId": offer, "quantity": 1}]}).json()
run("POST .../carts/{cartId}/checkout", lambda: p.idcheckout(customer_id=cid, cart_id=cart.get("id"), **K))

# Users, licences and directory roles.
domain = http("GET", f"/customers/{cid}").json().get("companyProfile", {}).get("domain", "x.example")
upn = f"sdk{uuid.uuid4().hex[:6]}@{domain}"
user = run("POST /customers/{id}/users", lambda: p.idusers(customer_id=cid, user=models.MicrosoftPartnerSdkContractsV1CustomerUser(
    user_principal_name=upn, first_name="Sam", last_name="Roe", display_name="Sam Roe", usage_location="US",
    password_profile=models.MicrosoftPartnerSdkContractsV1ContractsPasswordProfile(password="Sdk-Check-Pass-1", force_change_password=True)), **K))
uid = getattr(user, "id", None)
if uid is None:  # the SDK cannot send a password (see SDK_BUGS); the user is made over HTTP
    uid = http("POST", f"/customers/{cid}/users", json={"userPrincipalName": upn, "firstName": "Sam", "lastName": "Roe", "displayName": "Sam Roe",
        "passwordProfile": {"password": "Sdk-Check-Pass-1", "forceChangePassword": True}, "usageLocation": "US"}).json().get("id")
run("GET /customers/{id}/users", lambda: g.value6(customer_id=cid, **K))
run("GET /customers/{id}/users/{userId}", lambda: g.id2(customer_id=cid, user_id=uid, **K))
run("PATCH /customers/{id}/users/{userId}", lambda: sdk.patchvversioncustomerscustomer.id2(customer_id=cid, user_id=uid, user={"displayName": "Sam R."}, **K))
run("PATCH /customers/{id}/users?user_id", lambda: sdk.patchvversioncustomerscustomer.value(customer_id=cid, user={"displayName": "Sam Roe"}, user_id=uid, **K))
skus = run("GET /customers/{id}/subscribedskus", lambda: g.value4(customer_id=cid, **K))
sku = getattr(getattr((getattr(skus, "items", None) or [None])[0], "product_sku", None), "id", None)
run("POST .../users/{userId}/licenseupdates", lambda: p.idlicenseupdates(customer_id=cid, user_id=uid, licenses_to_assign=[{"skuId": sku}], licenses_to_remove=[], **K))
run("GET .../users/{userId}/licenses", lambda: g.value5(customer_id=cid, user_id=uid, **K))
roles = run("GET /customers/{id}/directoryroles", lambda: g.value(customer_id=cid, **K))
# Changing who holds a directory role takes the customer's Global Administrator: its own, or a
# partner's delegated Global Administrator grant (the demo customers grant user and license
# administration only), and through a grant nobody hands out Global Administrator itself. So
# the two membership changes sign in as the customer's own global administrator, and the role
# is User Administrator (Microsoft's well-known role template id).
rid = "fe930be7-5e62-47db-91af-98c3a49a38b1"
own = sdk_for(token_for(f"admin@{domain}"))
run("GET .../users/{userId}/directoryroles", lambda: g.iddirectoryroles(customer_id=cid, user_id=uid, **K))
run("POST .../directoryroles/{roleId}/usermembers", lambda: own.postvversioncustomerscustomer.idusermembers(customer_id=cid, role_id=rid, user_member={"id": uid, "displayName": "Sam Roe", "userPrincipalName": upn, "roleId": rid}, **K))
run("GET .../directoryroles/{roleId}/usermembers", lambda: g.value1(customer_id=cid, role_id=rid, **K))
run("POST /customers/{id}/directoryroles?role_id", lambda: p.value(customer_id=cid, user_member={"id": uid, "roleId": rid}, role_id=rid, **K))
run("DELETE .../directoryroles/{roleId}/usermembers/{userId}", lambda: own.deletevversioncustomerscustomer.id1(customer_id=cid, member_id=uid, role_id=rid, **K))
run("DELETE /customers/{id}/directoryroles", lambda: sdk.deletevversioncustomerscustomer.value(customer_id=cid, member_id=uid, role_id=rid, **K))
run("DELETE /customers/{id}/users?user_id", lambda: sdk.deletevversioncustomerscustomer.value1(customer_id=cid, user_id=uid, **K))
run("DELETE /customers/{id}/users/{userId}", lambda: sdk.deletevversioncustomerscustomer.id2(customer_id=cid, user_id=uid, **K))

# Domains and the created customer's own lifecycle, last.
def verified(name):
    return models.MicrosoftPartnerSdkContractsV1DomainManagementVerifiedDomain(
        verified_domain_name=name,
        domain=models.MicrosoftPartnerSdkContractsV1DomainManagementDomain(
            name=name, capability="email", authentication_type="managed", status="verified",
            verification_method="dns_record"))


extra = "extra-" + domain
run("POST /customers/{id}/verifieddomain", lambda: p.idverifieddomain(customer_id=cid, verified_domain=verified(extra), **K))
other = "other-" + domain
run("POST /domains/{domain}", lambda: sdk.postvversiondomainsdomaincustomer.value(verified_domain=verified(other), domain=other, customer_id=cid, **K))
# Partner Hub has no sandbox accounts (the only ones the reference deletes) and deletes no
# customer: its documented answer to the partner serving one is 409 (docs/partner-center-compatibility.md).
run("DELETE /customers/{id}", lambda: sdk.deletevversioncustomerscustomer.id(customer_id=made_id, **K), ok=(409,))
run("PATCH /customers/{id}", lambda: sdk.patchvversioncustomerscustomer.id(customer_id=made_id, customer={"relationshipToPartner": "none", "id": made_id}, **K))
run("DELETE /customers/{id}/relationships/partner", lambda: sdk.deletevversioncustomerscustomer.idrelationshipspartner(customer_id=left_id, **K))

width = max(len(n) for n, _, _ in results)
for name, verdict, reason in results:
    print(f"{verdict:13} {name:{width}}  {reason}")
passed = sum(v == "pass" for _, v, _ in results)
sdk_bugs = sum(v == "fail-sdk-bug" for _, v, _ in results)
product = [n for n, v, _ in results if v == "fail-product"]
print(f"{passed} of {len(results)} operations pass ({sdk_bugs} fail on the SDK's own bugs, {len(product)} on the product)")
sys.exit(1 if product else 0)
