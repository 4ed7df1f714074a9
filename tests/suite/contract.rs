//! The public partner-center contract: request bodies read the way the reference service reads
//! them, and an OpenAPI document that validators and client generators accept.

use crate::commerce::{line, order, shop};
use crate::support::{assert_error_shape, TestApp};
use serde_json::{json, Value};
use std::collections::HashMap;

#[tokio::test]
async fn a_pascal_case_subscription_patch_changes_the_subscription() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let (_, o) = order(
        &t,
        &s.p.token,
        &s.x,
        line("PH-SUITE:STANDARD:US-M", 5, Some(s.a.mpn)),
        None,
    )
    .await;
    let sub = o["lineItems"][0]["subscriptionId"].as_str().unwrap();
    let path = format!("/v1/customers/{}/subscriptions/{sub}", s.x.id);
    // The reference examples send the whole resource back, names in PascalCase, with members
    // this server does not keep (ignored) and the ETag inside Attributes.
    let (_, current) = t.get(&path, &s.p.token).await;
    let etag = current["attributes"]["etag"].as_str().unwrap().to_string();
    let (st, b) = t
        .patch(
            &path,
            &s.p.token,
            &json!({"Id": sub, "Quantity": 7, "FriendlyName": "Suite", "Links": null,
                    "Attributes": {"Etag": etag, "ObjectType": "Subscription"}}),
        )
        .await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(b["quantity"], 7);
    let (_, now) = t.get(&path, &s.p.token).await;
    assert_eq!(now["quantity"], 7, "the change was stored");
    // The same member twice in different cases is ambiguous: refused, nothing changes.
    let (st, b) = t
        .patch(&path, &s.p.token, &json!({"quantity": 8, "Quantity": 9}))
        .await;
    assert_eq!(st, 400, "{b}");
    assert_error_shape(&b);
    assert!(b["description"].as_str().unwrap().contains("twice"), "{b}");
    let (_, now) = t.get(&path, &s.p.token).await;
    assert_eq!(now["quantity"], 7);
}

#[tokio::test]
async fn order_bodies_take_any_case_null_lists_and_unknown_members() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let (st, o) = order(
        &t,
        &s.p.token,
        &s.x,
        json!({"LineItems": [{"LineItemNumber": 0, "OfferId": "PH-SUITE:STANDARD:US-M",
            "TermDuration": "P1M", "Quantity": 3,
            "PartnerIdOnRecord": s.a.mpn.to_string(), "ProvisioningContext": null}],
            "Attributes": {"ObjectType": "Order"}}),
        None,
    )
    .await;
    assert_eq!(st, 201, "{o}");
    assert_eq!(o["lineItems"][0]["quantity"], 3);
}

async fn document(t: &TestApp) -> Value {
    t.http
        .get(t.url("/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push((path.clone(), method.clone(), op));
        }
    }
    out
}

fn header_names(op: &Value) -> Vec<String> {
    op["parameters"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .filter(|p| p["in"] == "header")
                .map(|p| p["name"].as_str().unwrap().to_ascii_lowercase())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_openapi_document_declares_unique_operations_and_the_contract_headers() {
    let t = TestApp::spawn().await;
    let doc = document(&t).await;
    let mut ids: HashMap<String, usize> = HashMap::new();
    for (path, method, op) in operations(&doc) {
        let id = op["operationId"].as_str().unwrap_or_default();
        assert!(!id.is_empty(), "{method} {path} has no operationId");
        *ids.entry(id.to_string()).or_default() += 1;
        let headers = header_names(op);
        assert!(
            headers.contains(&"ms-correlationid".to_string()),
            "{method} {path} lacks MS-CorrelationId"
        );
        if method == "post" {
            assert!(
                headers.contains(&"ms-requestid".to_string()),
                "{method} {path} lacks MS-RequestId"
            );
        }
        let paged = op["parameters"]
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["name"] == "seekOperation"));
        if paged {
            assert!(
                headers.contains(&"ms-continuationtoken".to_string()),
                "{method} {path} lacks MS-ContinuationToken"
            );
        }
    }
    let shared: Vec<_> = ids.iter().filter(|(_, n)| **n > 1).collect();
    assert!(shared.is_empty(), "shared operationIds: {shared:?}");
    let list = &doc["paths"]["/v1/customers"]["get"];
    assert!(header_names(list).contains(&"ms-continuationtoken".to_string()));
}

#[tokio::test]
async fn a_body_the_document_marks_optional_may_be_left_out() {
    let t = TestApp::spawn().await;
    let doc = document(&t).await;
    let submit = &doc["paths"]["/v1/enrollments/{enrollmentId}/submit"]["post"];
    assert_eq!(submit["requestBody"]["required"], false, "{submit}");
    let create = &doc["paths"]["/v1/customers"]["post"];
    assert_eq!(create["requestBody"]["required"], true);
    // A POST whose body has no required member works with no body at all.
    let s = shop(&t).await;
    let r = t
        .http
        .post(t.url("/v1/customers"))
        .bearer_auth(&s.a.token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        400,
        "a required body is still required"
    );
    let b: Value = r.json().await.unwrap();
    assert_error_shape(&b);
}

#[tokio::test]
async fn profiles_carry_the_contract_profile_types_and_a_legal_put_keeps_what_it_lacks() {
    let (t, _smtp) = crate::enrollment::with_smtp().await;
    let (token, _) =
        crate::enrollment::authorized_partner(&t, "wideworld", 8100003, "wwi.example").await;
    for (path, kind) in [
        ("/v1/profiles/legalbusiness", "legal_business_profile"),
        ("/v1/profiles/organization", "organization_profile"),
        ("/v1/profiles/mpn", "mpn_profile"),
        ("/v1/profiles/support", "support_profile"),
    ] {
        let (s, p) = t.get(path, &token).await;
        assert_eq!((s, p["profileType"].as_str()), (200, Some(kind)), "{path}");
    }
    let legal = "/v1/profiles/legalbusiness";
    let (_, current) = t.get(legal, &token).await;
    let mut ours = current.clone();
    ours["registrationNumber"] = json!("REG-1");
    let (s, b) = t.put(legal, &token, &ours).await;
    assert_eq!(s, 200, "{b}");
    // A client of the public contract sends the profile without a registration number, with
    // its names in PascalCase.
    let (s, b) = t
        .put(
            legal,
            &token,
            &json!({"CompanyName": "Wide World Importers Ltd",
                "Address": {"AddressLine1": "2 Harbor Rd", "City": "Redmond", "State": "WA",
                            "PostalCode": "98052", "Country": "US"},
                "PrimaryContact": current["primaryContact"],
                "ProfileType": "legal_business_profile",
                "Attributes": {"Etag": b["attributes"]["etag"], "ObjectType": "LegalBusinessProfile"}}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (_, now) = t.get(legal, &token).await;
    assert_eq!(now["companyName"], "Wide World Importers Ltd");
    assert_eq!(now["address"]["addressLine1"], "2 Harbor Rd");
    assert_eq!(now["registrationNumber"], "REG-1", "not wiped: {now}");
    // The ETag inside PascalCase Attributes is read: a stale one is refused.
    let mut stale = now.clone();
    stale["attributes"] = json!({"Etag": current["attributes"]["etag"]});
    let (s, b) = t.put(legal, &token, &stale).await;
    assert_eq!(s, 412, "{b}");
}

#[tokio::test]
async fn a_cart_survives_get_then_put_with_its_terms_and_participants() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let base = format!("/v1/customers/{}/carts", s.x.id);
    // The reference's example shape: PascalCase, billing cycle and term on each line.
    let (st, cart) = t
        .post(
            &base,
            &s.p.token,
            &json!({"LineItems": [{"Id": 0, "CatalogItemId": "PH-SUITE:BASIC:US-M",
                "FriendlyName": "Sales team", "Quantity": 2, "BillingCycle": "Monthly", "TermDuration": "P1M",
                "Participants": [{"Key": "transaction_reseller", "Value": s.a.mpn.to_string()}],
                "ProvisioningContext": null}]}),
        )
        .await;
    assert_eq!(st, 201, "{cart}");
    let line = &cart["lineItems"][0];
    assert!(cart["lineItems"].is_array(), "{cart}");
    assert_eq!(
        (
            line["billingCycle"].as_str(),
            line["termDuration"].as_str(),
            line["friendlyName"].as_str()
        ),
        (Some("monthly"), Some("P1M"), Some("Sales team"))
    );
    assert_eq!(line["participants"][0]["value"], s.a.mpn.to_string());
    let cid = cart["id"].as_str().unwrap();
    // What GET answers goes back in a PUT unchanged but for the quantity.
    let (_, mut got) = t.get(&format!("{base}/{cid}"), &s.p.token).await;
    got["lineItems"][0]["quantity"] = json!(3);
    let etag = got["attributes"]["etag"].as_str().unwrap().to_string();
    let r = t
        .http
        .put(t.url(&format!("{base}/{cid}")))
        .bearer_auth(&s.p.token)
        .header("If-Match", etag)
        .json(&got)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let put: Value = r.json().await.unwrap();
    assert_eq!(put["lineItems"][0]["quantity"], 3);
    assert_eq!(
        put["lineItems"][0]["participants"],
        got["lineItems"][0]["participants"]
    );
    assert_eq!(put["lineItems"][0]["termDuration"], "P1M");
    // A term the availability does not have is refused, naming the line.
    let (st, e) = t
        .post(
            &base,
            &s.p.token,
            &json!({"lineItems": [{"catalogItemId": "PH-SUITE:BASIC:US-M", "quantity": 1, "termDuration": "P3Y"}]}),
        )
        .await;
    assert_eq!(st, 400, "{e}");
    assert_eq!(e["data"][0]["field"], "lineItems[0].termDuration");
    // Checkout orders the line under its friendly name, and a second checkout answers the same.
    let (st, result) = t
        .post(&format!("{base}/{cid}/checkout"), &s.p.token, &json!({}))
        .await;
    assert_eq!(st, 201, "{result}");
    assert_eq!(
        result["orders"][0]["lineItems"][0]["friendlyName"],
        "Sales team"
    );
    let r = t
        .http
        .post(t.url(&format!("{base}/{cid}/checkout")))
        .bearer_auth(&s.p.token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        201,
        "checkout with no body, as the reference sends it"
    );
    let again: Value = r.json().await.unwrap();
    assert_eq!(again["orders"][0]["id"], result["orders"][0]["id"]);
}

#[tokio::test]
async fn an_order_keeps_its_friendly_name() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let (st, o) = order(
        &t,
        &s.p.token,
        &s.x,
        json!({"lineItems": [{"lineItemNumber": 0, "offerId": "PH-SUITE:STANDARD:US-M", "friendlyName": "Head office",
            "quantity": 2, "partnerIdOnRecord": s.a.mpn.to_string()}]}),
        None,
    )
    .await;
    assert_eq!(st, 201, "{o}");
    assert_eq!(o["lineItems"][0]["friendlyName"], "Head office");
    let oid = o["id"].as_str().unwrap();
    let (_, again) = t
        .get(
            &format!("/v1/customers/{}/orders/{oid}", s.x.id),
            &s.p.token,
        )
        .await;
    assert_eq!(again["lineItems"][0]["friendlyName"], "Head office");
    let sub = o["lineItems"][0]["subscriptionId"].as_str().unwrap();
    let (_, subscription) = t
        .get(
            &format!("/v1/customers/{}/subscriptions/{sub}", s.x.id),
            &s.p.token,
        )
        .await;
    assert_eq!(subscription["friendlyName"], "Head office");
}

#[tokio::test]
async fn customers_carry_the_contract_members_and_filters() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let (st, list) = t.get("/v1/customers?size=0", &s.p.token).await;
    assert_eq!(st, 200, "size=0 means the default page size: {list}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len() as i64, list["totalCount"].as_i64().unwrap());
    let item = items
        .iter()
        .find(|c| c["id"] == s.x.id.to_string())
        .unwrap();
    assert_eq!(item["commerceId"], s.x.id.to_string());
    assert_eq!(
        item["links"]["self"]["uri"],
        format!("/customers/{}", s.x.id)
    );
    // The filter spellings of the reference's pages and SDKs.
    let name: String = item["companyProfile"]["companyName"]
        .as_str()
        .unwrap()
        .chars()
        .take(3)
        .collect();
    for (field, op) in [
        ("CompanyName", "starts_with"),
        ("company_name", "StartsWith"),
        ("companyName", "startsWith"),
    ] {
        let filter = json!({"Field": field, "Value": name, "Operator": op}).to_string();
        let (st, found) = t
            .get(
                &format!(
                    "/v1/customers?size=0&filter={}",
                    partnerhub::portal::session::url_escape(&filter)
                ),
                &s.p.token,
            )
            .await;
        assert_eq!(st, 200, "{field} {op}: {found}");
        assert!(
            found["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["id"] == s.x.id.to_string()),
            "{field} {op}"
        );
    }
}

#[tokio::test]
async fn a_created_customer_shows_its_billing_profile() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let (st, c) = t
        .post(
            "/v1/customers",
            &s.p.token,
            &json!({"CompanyProfile": {"Domain": "fourthcoffee.example"},
                "BillingProfile": {"Email": "ada@fourthcoffee.example", "Culture": "en-US", "Language": "en",
                    "CompanyName": "Fourth Coffee", "DefaultAddress": {"Country": "US", "City": "Redmond",
                    "AddressLine1": "1 Main St", "PostalCode": "98052", "FirstName": "Ada", "LastName": "Lovelace"}},
                "AssociatedPartnerId": s.a.mpn.to_string()}),
        )
        .await;
    assert_eq!(st, 201, "{c}");
    assert_eq!(c["companyProfile"]["companyName"], "Fourth Coffee");
    assert_eq!(c["billingProfile"]["email"], "ada@fourthcoffee.example");
    let id = c["id"].as_str().unwrap();
    let (_, one) = t.get(&format!("/v1/customers/{id}"), &s.p.token).await;
    assert_eq!(
        one["billingProfile"]["companyName"], "Fourth Coffee",
        "{one}"
    );
    assert_eq!(one["billingProfile"]["defaultAddress"]["country"], "US");
    assert_eq!(one["commerceId"], id);
    // Without a company name anywhere, the error names where it belongs.
    let (st, e) = t
        .post(
            "/v1/customers",
            &s.p.token,
            &json!({"companyProfile": {"domain": "nameless.example"}, "billingProfile": {"email": "a@nameless.example"},
                "associatedPartnerId": s.a.mpn.to_string()}),
        )
        .await;
    assert_eq!(st, 400);
    assert_eq!(e["data"][0]["field"], "billingProfile.companyName");
}

#[tokio::test]
async fn license_updates_answer_the_license_update() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    order(
        &t,
        &s.p.token,
        &s.x,
        line("PH-SUITE:STANDARD:US-M", 2, Some(s.a.mpn)),
        None,
    )
    .await;
    let (_, users) = t
        .get(&format!("/v1/customers/{}/users", s.x.id), &s.a.token)
        .await;
    let uid = users["items"][0]["id"].as_str().unwrap();
    let (st, b) = t
        .post(
            &format!("/v1/customers/{}/users/{uid}/licenseupdates", s.x.id),
            &s.a.token,
            &json!({"LicensesToAssign": [{"ExcludedPlans": null, "SkuId": "PH-SUITE:STANDARD"}],
                "LicensesToRemove": null, "Attributes": {"ObjectType": "LicenseUpdate"}}),
        )
        .await;
    assert_eq!(st, 201, "{b}");
    assert_eq!(b["licensesToAssign"][0]["skuId"], "PH-SUITE:STANDARD");
    assert_eq!(b["licenseWarnings"], json!([]));
    assert_eq!(b["attributes"]["objectType"], "LicenseUpdate");
    let (_, lic) = t
        .get(
            &format!("/v1/customers/{}/users/{uid}/licenses", s.x.id),
            &s.a.token,
        )
        .await;
    assert_eq!(lic["totalCount"], 1, "{lic}");
}

#[tokio::test]
async fn the_catalog_answers_as_offers_skus_and_availabilities_by_id() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let (st, offers) = t.get("/v1/offers?country=US", &s.p.token).await;
    assert_eq!(st, 200, "{offers}");
    let items = offers["items"].as_array().unwrap();
    let basic = items
        .iter()
        .find(|o| o["id"] == "PH-SUITE:BASIC:US-M")
        .expect("one offer per catalog item");
    assert_eq!(basic["product"]["id"], "PH-SUITE");
    assert_eq!(basic["supportedBillingCycles"], json!(["monthly"]));
    assert_eq!(basic["attributes"]["objectType"], "Offer");
    let (st, one) = t.get("/v1/offers/PH-SUITE:BASIC:US-M", &s.p.token).await;
    assert_eq!((st, &one["id"]), (200, &basic["id"]));
    assert_eq!(
        t.get("/v1/offers/PH-SUITE:BASIC:XX", &s.p.token).await.0,
        404
    );
    assert_eq!(t.get("/v1/offers/nonsense", &s.p.token).await.0, 400);
    let (st, addons) = t
        .get("/v1/offers/PH-SUITE:BASIC:US-M/addons", &s.p.token)
        .await;
    // The demo catalog's one add-on product is bought on top of the suite.
    assert_eq!(
        (st, addons["totalCount"].as_i64()),
        (200, Some(1)),
        "{addons}"
    );
    assert_eq!(addons["items"][0]["id"], "PH-ARCHIVE:ARCHIVE:US-M");
    let (_, cats) = t.get("/v1/offercategories?country=US", &s.p.token).await;
    let ids: Vec<&str> = cats["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["license", "usage"]);
    let (st, sku) = t.get("/v1/products/PH-SUITE/skus/BASIC", &s.p.token).await;
    assert_eq!((st, sku["id"].as_str()), (200, Some("BASIC")));
    let (st, a) = t
        .get(
            "/v1/products/PH-SUITE/skus/BASIC/availabilities/US-M",
            &s.p.token,
        )
        .await;
    assert_eq!(
        (st, a["catalogItemId"].as_str()),
        (200, Some("PH-SUITE:BASIC:US-M"))
    );
    // Customers do not browse the catalog.
    assert_eq!(t.get("/v1/offers", &s.x_token).await.0, 403);
}

#[tokio::test]
async fn lookups_answer_domains_agreements_and_a_users_roles() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let head = |path: String| {
        let t = &t;
        async move {
            t.http
                .head(t.url(&path))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(head(format!("/v1/domains/{}", s.x.domain)).await, 200);
    assert_eq!(
        head("/v1/domains/nobody-has-this.example".into()).await,
        404
    );
    let (st, b) = t
        .get(
            &format!("/v1/compliance/csp/agreementstatus?mpnId={}", s.a.mpn),
            &s.p.token,
        )
        .await;
    assert_eq!(st, 200, "{b}");
    assert!(b["isAgreementSigned"].is_boolean());
    let (st, _) = t
        .get(
            &format!(
                "/v1/compliance/csp/agreementstatus?tenantId={}",
                s.a.tenant.id
            ),
            &s.p.token,
        )
        .await;
    assert_eq!(st, 200);
    let (st, e) = t
        .get("/v1/compliance/csp/agreementstatus", &s.p.token)
        .await;
    assert_eq!(st, 400);
    assert_error_shape(&e);
    let (st, _) = t
        .get(
            &format!("/v1/compliance/csp/agreementstatus?mpnId={}", s.p.mpn),
            &s.p.token,
        )
        .await;
    assert_eq!(st, 404, "a provider is not an indirect reseller");
    // The customer's admin holds the global administrator role.
    let (_, users) = t
        .get(&format!("/v1/customers/{}/users", s.x.id), &s.a.token)
        .await;
    let admin = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| {
            u["userPrincipalName"]
                .as_str()
                .unwrap()
                .starts_with("admin@")
        })
        .expect("the customer's admin");
    let (st, roles) = t
        .get(
            &format!(
                "/v1/customers/{}/users/{}/directoryroles",
                s.x.id,
                admin["id"].as_str().unwrap()
            ),
            &s.a.token,
        )
        .await;
    assert_eq!(st, 200, "{roles}");
    assert!(
        roles["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "global_administrator"),
        "{roles}"
    );
}

#[tokio::test]
async fn a_subscription_answers_its_provisioning_add_ons_and_upgrades() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let (_, o) = order(
        &t,
        &s.p.token,
        &s.x,
        line("PH-SUITE:BASIC:US-M", 4, Some(s.a.mpn)),
        None,
    )
    .await;
    let sub = o["lineItems"][0]["subscriptionId"].as_str().unwrap();
    let base = format!("/v1/customers/{}/subscriptions/{sub}", s.x.id);
    let (st, p) = t
        .get(&format!("{base}/provisioningstatus"), &s.a.token)
        .await;
    assert_eq!(st, 200, "{p}");
    assert_eq!(
        (p["status"].as_str(), p["quantity"].as_i64()),
        (Some("success"), Some(4))
    );
    let (st, addons) = t.get(&format!("{base}/addons"), &s.a.token).await;
    assert_eq!((st, addons["totalCount"].as_i64()), (200, Some(0)));
    let (st, up) = t.get(&format!("{base}/upgrades"), &s.a.token).await;
    assert_eq!(st, 200, "{up}");
    let targets: Vec<&str> = up["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["targetOffer"]["id"].as_str().unwrap())
        .collect();
    assert!(targets.contains(&"PH-SUITE:STANDARD:US-M"), "{up}");
    assert!(!targets.iter().any(|t| t.starts_with("PH-SUITE:BASIC:")));
    assert_eq!(t.get(&format!("{base}/upgrades"), &s.x_token).await.0, 200);
    // The audit record an operation wrote, by id.
    let (_, records) = t.get("/v1/auditrecords", &s.p.token).await;
    let id = records["items"][0]["id"].as_str().unwrap();
    let (st, one) = t.get(&format!("/v1/auditrecords/{id}"), &s.p.token).await;
    assert_eq!((st, one["id"].as_str()), (200, Some(id)));
    assert_eq!(
        t.get(&format!("/v1/auditrecords/{id}"), &s.a.token).await.0,
        404,
        "another organisation's record is not found"
    );
}

#[tokio::test]
async fn a_wrong_client_secret_over_basic_auth_is_401_with_a_challenge() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let (st, created) = t
        .post(
            "/v1/applications",
            &s.p.token,
            &json!({"displayName": "Integration", "roles": ["admin_agent"]}),
        )
        .await;
    assert_eq!(st, 201, "{created}");
    let client_id = created["id"].as_str().unwrap();
    let r = t
        .http
        .post(t.url("/oauth2/token"))
        .basic_auth(client_id, Some("not-the-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Basic"));
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"], "invalid_client");
}
