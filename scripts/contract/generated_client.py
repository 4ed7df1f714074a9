"""Drives Partner Hub with a client generated from its own OpenAPI document (openapi-python-client):
signs in as the demo provider, lists customers a page at a time following MS-ContinuationToken,
and creates a customer for a partnered reseller with the body shape of the public contract.
Exits non-zero on the first mismatch."""

import importlib
import os
import sys
import uuid

import httpx

base = os.environ["PARTNERHUB_URL"]
pkg = os.environ.get("CLIENT_PACKAGE", "client")
client_mod = importlib.import_module(pkg)
customers_list = importlib.import_module(f"{pkg}.api.customers.customers_list")
customers_create = importlib.import_module(f"{pkg}.api.customers.customers_create")
relationships = importlib.import_module(f"{pkg}.api.partnerships.partnerships_relationships")
models = importlib.import_module(f"{pkg}.models")


def check(cond, what):
    if not cond:
        print(f"FAIL: {what}", file=sys.stderr)
        sys.exit(1)
    print(f"ok: {what}")


token = httpx.post(
    f"{base}/oauth2/token",
    data={"grant_type": "password", "username": "admin@northwind.example", "password": "Demo-Password-1"},
).json()["access_token"]
api = client_mod.AuthenticatedClient(base_url=base, token=token, raise_on_unexpected_status=True)

# Lists customers two at a time, following the continuation token to the end.
seen = []
page = customers_list.sync_detailed(client=api, size=2, ms_correlation_id=str(uuid.uuid4()))
check(page.status_code == 200, "the first page of customers")
body = page.parsed
total = body.total_count
pages = 1
while True:
    seen += [c.id for c in body.items]
    nxt = body.links.next_
    if not isinstance(nxt, models.Link):
        break
    continuation = next(h.value for h in nxt.headers if h.key == "MS-ContinuationToken")
    page = customers_list.sync_detailed(
        client=api, size=2, seek_operation="Next", ms_continuation_token=continuation
    )
    check(page.status_code == 200, f"page {pages + 1} through the continuation token")
    body = page.parsed
    pages += 1
check(pages > 1, f"the list took {pages} pages")
check(len(seen) == total and len(set(seen)) == total, f"every one of {total} customers once")

# A reseller the provider is partnered with, then a customer for it: the company's name in
# billingProfile.companyName as the public contract has it.
rels = relationships.sync_detailed(client=api, relationship_type="IsIndirectCloudSolutionProviderOf")
check(rels.status_code == 200 and rels.parsed.items, "the provider's reseller relationships")
reseller = rels.parsed.items[0]
reseller_id = reseller.mpn_id  # the partner-network id names the reseller in either id scheme
suffix = uuid.uuid4().hex[:8]
new = models.NewCustomerBody.from_dict(
    {
        "companyProfile": {"domain": f"generated{suffix}.example"},
        "billingProfile": {
            "email": f"admin@generated{suffix}.example",
            "culture": "en-US",
            "language": "en",
            "companyName": f"Generated {suffix}",
            "defaultAddress": {"country": "US", "city": "Redmond", "addressLine1": "1 Main St",
                               "postalCode": "98052", "firstName": "Ada", "lastName": "Lovelace"},
        },
        "associatedPartnerId": reseller_id,
    }
)
created = customers_create.sync_detailed(client=api, body=new, ms_request_id=str(uuid.uuid4()))
check(created.status_code == 201, f"customer created (HTTP {created.status_code}: {created.content[:300]!r})")
check(created.parsed.company_profile.company_name == f"Generated {suffix}", "its company name from billingProfile")
again = customers_list.sync_detailed(client=api, size=500)
check(again.parsed.total_count == total + 1, "the new customer is listed")
print("the generated client works against Partner Hub")
