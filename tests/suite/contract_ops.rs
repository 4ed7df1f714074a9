//! The rest of the public partner-center contract, one test per operation group: requests
//! written from the public reference (our own fixtures: PascalCase members, resources sent
//! back whole, `Attributes` with the ETag), checked for status and shape, on both engines.

use crate::commerce::{line, order, shop, Shop};
use crate::customers::partner_up;
use crate::support::receiver::Receiver;
use crate::support::{assert_error_shape, TestApp};
use serde_json::{json, Value};

async fn subscription_of(t: &TestApp, s: &Shop, item: &str, qty: i64) -> (String, String) {
    let (st, o) = order(t, &s.p.token, &s.x, line(item, qty, Some(s.a.mpn)), None).await;
    assert_eq!(st, 201, "{o}");
    (
        o["id"].as_str().unwrap().to_string(),
        o["lineItems"][0]["subscriptionId"]
            .as_str()
            .unwrap()
            .to_string(),
    )
}

async fn operations_of(t: &TestApp, token: &str) -> Vec<String> {
    let (_, records) = t.get("/v1/auditrecords", token).await;
    records["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["operationType"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn the_partner_billing_profile_reads_and_replaces_with_an_etag() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let (st, b) = t.get("/v1/profiles/billing", &s.p.token).await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(b["profileType"], "billing_profile");
    assert_eq!(b["attributes"]["objectType"], "BillingProfile");
    assert_eq!(
        b["billingCurrency"], "USD",
        "the currency of the partner's country"
    );
    assert!(b["address"]["country"].is_string() && b["primaryContact"]["email"].is_string());
    let etag = b["attributes"]["etag"].as_str().unwrap().to_string();
    // The reference's example: the whole profile back, PascalCase, with the ETag inside.
    let put = json!({
        "Address": {"Country": "US", "City": "Redmond", "State": "WA", "AddressLine1": "1 Main St",
            "AddressLine2": null, "PostalCode": "98052", "FirstName": "Ann", "LastName": "Bill"},
        "PrimaryContact": {"FirstName": "Ann", "LastName": "Bill", "Email": "ann@billing.example",
            "PhoneNumber": "4255550100"},
        "PurchaseOrderNumber": "PO-1234", "TaxId": "US-98-7654321", "BillingCurrency": "usd",
        "ProfileType": "billing_profile",
        "Attributes": {"Etag": etag, "ObjectType": "BillingProfile"}});
    let (st, b) = t.put("/v1/profiles/billing", &s.p.token, &put).await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(
        (
            b["taxId"].as_str(),
            b["purchaseOrderNumber"].as_str(),
            b["billingCurrency"].as_str()
        ),
        (Some("US-98-7654321"), Some("PO-1234"), Some("USD"))
    );
    assert_ne!(b["attributes"]["etag"].as_str().unwrap(), etag);
    let (_, now) = t.get("/v1/profiles/billing", &s.p.token).await;
    assert_eq!(now["address"]["city"], "Redmond", "stored: {now}");
    // The old ETag is stale now.
    let (st, e) = t.put("/v1/profiles/billing", &s.p.token, &put).await;
    assert_eq!(st, 412, "{e}");
    assert_error_shape(&e);
    let mut bad = put.clone();
    bad["Attributes"] = Value::Null;
    bad["BillingCurrency"] = json!("dollars");
    let (st, e) = t.put("/v1/profiles/billing", &s.p.token, &bad).await;
    assert_eq!(st, 400, "{e}");
    assert!(operations_of(&t, &s.p.token)
        .await
        .contains(&"update_partner_billing_profile".to_string()));
    // A customer has no partner billing profile to change.
    assert_eq!(t.put("/v1/profiles/billing", &s.x_token, &put).await.0, 403);
}

#[tokio::test]
async fn a_subscription_support_contact_names_a_reseller_serving_the_customer() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let (_, sub) = subscription_of(&t, &s, "PH-SUITE:BASIC:US-M", 3).await;
    let path = format!(
        "/v1/customers/{}/subscriptions/{sub}/supportcontact",
        s.x.id
    );
    let (st, c) = t.get(&path, &s.p.token).await;
    assert_eq!(st, 200, "{c}");
    assert_eq!(
        c["supportTenantId"],
        s.a.tenant.id.to_string(),
        "the reseller of record"
    );
    assert_eq!(c["supportMpnId"], s.a.mpn.to_string());
    assert!(c["name"].is_string());
    assert_eq!(c["attributes"]["objectType"], "SupportContact");
    // The reference's request: a SupportContact naming the reseller by tenant and MPN id.
    let (st, c) = t
        .put(
            &path,
            &s.p.token,
            &json!({"SupportTenantId": s.a.tenant.id.to_string(), "SupportMpnId": s.a.mpn.to_string(),
                "Name": "A", "Attributes": {"ObjectType": "SupportContact"}}),
        )
        .await;
    assert_eq!(st, 200, "{c}");
    assert_eq!(c["supportTenantId"], s.a.tenant.id.to_string());
    // A provider, or a reseller without a partnership with the provider, is refused.
    let (st, e) = t
        .put(
            &path,
            &s.p.token,
            &json!({"supportTenantId": s.p.tenant.id.to_string()}),
        )
        .await;
    assert_eq!(st, 409, "{e}");
    assert_error_shape(&e);
    let stranger = t.partner(false, true, "US").await;
    let (st, _) = t
        .put(
            &path,
            &s.p.token,
            &json!({"supportMpnId": stranger.mpn.to_string()}),
        )
        .await;
    assert_eq!(st, 409);
    // A second reseller of the provider becomes the contact once it serves the customer.
    partner_up(&t, &s.p, &stranger).await;
    let (st, _) = t
        .put(
            &path,
            &s.p.token,
            &json!({"supportTenantId": stranger.tenant.id.to_string()}),
        )
        .await;
    assert_eq!(st, 409, "partnered, but not serving the customer");
    let (_, c) = t.get(&path, &s.a.token).await;
    assert_eq!(c["supportTenantId"], s.a.tenant.id.to_string(), "unchanged");
    assert!(operations_of(&t, &s.p.token)
        .await
        .contains(&"update_support_contact".to_string()));
    assert_eq!(
        t.put(
            &path,
            &s.x_token,
            &json!({"supportTenantId": s.a.tenant.id.to_string()})
        )
        .await
        .0,
        403,
        "the customer does not choose its partners' support"
    );
}

#[tokio::test]
async fn an_order_answers_the_provisioning_status_of_its_lines() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let (oid, sub) = subscription_of(&t, &s, "PH-SUITE:STANDARD:US-M", 5).await;
    let path = format!("/v1/customers/{}/orders/{oid}/provisioningstatus", s.x.id);
    let (st, b) = t.get(&path, &s.a.token).await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(b["totalCount"], 1);
    let item = &b["items"][0];
    assert_eq!(item["lineItemNumber"], 0);
    assert_eq!(item["status"], "fulfilled");
    assert_eq!(item["subscriptionId"], sub.as_str());
    assert_eq!(item["quantityProvisioningInformation"][0]["quantity"], 5);
    assert_eq!(
        item["attributes"]["objectType"],
        "OrderLineItemProvisioningStatus"
    );
    let (st, e) = t
        .get(
            &format!(
                "/v1/customers/{}/orders/no-such-order/provisioningstatus",
                s.x.id
            ),
            &s.a.token,
        )
        .await;
    assert_eq!(st, 404, "{e}");
    assert_error_shape(&e);
}

#[tokio::test]
async fn a_licence_assigned_while_its_seats_are_upgraded_never_stays_on_the_suspended_source() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let (_, users) = t
        .get(&format!("/v1/customers/{}/users", s.x.id), &s.a.token)
        .await;
    let uid = users["items"][0]["id"].as_str().unwrap().to_string();
    let update = format!("/v1/customers/{}/users/{uid}/licenseupdates", s.x.id);
    let (assign, remove) = (
        json!({"licensesToAssign": [{"skuId": "PH-SUITE:BASIC"}]}),
        json!({"licensesToRemove": ["PH-SUITE:BASIC", "PH-SUITE:STANDARD"]}),
    );
    for round in 0..16 {
        // A seat of the source SKU, then at once: its upgrade, and a licence of that SKU.
        let (_, sub) = subscription_of(&t, &s, "PH-SUITE:BASIC:US-M", 1).await;
        let base = format!("/v1/customers/{}/subscriptions/{sub}", s.x.id);
        let (_, ups) = t.get(&format!("{base}/upgrades"), &s.a.token).await;
        let chosen = ups["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["targetOffer"]["id"] == "PH-SUITE:STANDARD:US-M")
            .expect("STANDARD is an upgrade of BASIC")
            .clone();
        let upgrades = format!("{base}/upgrades");
        // The licence update starts a little later each round, to meet the upgrade at
        // different points of its transaction.
        let later = async {
            tokio::time::sleep(std::time::Duration::from_micros(60 * round)).await;
            t.post(&update, &s.a.token, &assign).await
        };
        let (upgraded, assigned) = tokio::join!(t.post(&upgrades, &s.a.token, &chosen), later);
        assert_eq!(upgraded.0, 200, "round {round}: {:?}", upgraded.1);
        let (_, skus) = t
            .get(
                &format!("/v1/customers/{}/subscribedskus", s.x.id),
                &s.a.token,
            )
            .await;
        for k in skus["items"].as_array().unwrap() {
            assert!(
                k["consumedUnits"].as_i64() <= k["activeUnits"].as_i64(),
                "round {round}: {k} (licence update {})",
                assigned.0
            );
        }
        assert_eq!(t.post(&update, &s.a.token, &remove).await.0, 201);
    }
}

#[tokio::test]
async fn an_upgrade_moves_the_seats_and_licenses_and_suspends_the_source() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let (_, sub) = subscription_of(&t, &s, "PH-SUITE:BASIC:US-M", 4).await;
    let base = format!("/v1/customers/{}/subscriptions/{sub}", s.x.id);
    // One user holds a license of the source SKU.
    let (_, users) = t
        .get(&format!("/v1/customers/{}/users", s.x.id), &s.a.token)
        .await;
    let uid = users["items"][0]["id"].as_str().unwrap().to_string();
    let (st, b) = t
        .post(
            &format!("/v1/customers/{}/users/{uid}/licenseupdates", s.x.id),
            &s.a.token,
            &json!({"licensesToAssign": [{"skuId": "PH-SUITE:BASIC"}]}),
        )
        .await;
    assert_eq!(st, 201, "{b}");
    // The reference's flow: read the upgrades, send one back as it is.
    let (_, ups) = t.get(&format!("{base}/upgrades"), &s.a.token).await;
    let chosen = ups["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["targetOffer"]["id"] == "PH-SUITE:STANDARD:US-M")
        .expect("STANDARD is an upgrade of BASIC")
        .clone();
    let (st, r) = t
        .post(&format!("{base}/upgrades"), &s.a.token, &chosen)
        .await;
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["sourceSubscriptionId"], sub.as_str());
    assert_eq!(r["upgradeType"], "upgrade_only");
    assert_eq!(
        (r["upgradeErrors"].clone(), r["licenseErrors"].clone()),
        (json!([]), json!([]))
    );
    assert_eq!(r["attributes"]["objectType"], "UpgradeResult");
    let target = r["targetSubscriptionId"].as_str().unwrap();
    let (_, src) = t.get(&base, &s.a.token).await;
    assert_eq!(src["status"], "suspended", "{src}");
    let (_, tgt) = t
        .get(
            &format!("/v1/customers/{}/subscriptions/{target}", s.x.id),
            &s.a.token,
        )
        .await;
    assert_eq!(
        (
            tgt["offerId"].as_str(),
            tgt["quantity"].as_i64(),
            tgt["status"].as_str()
        ),
        (Some("PH-SUITE:STANDARD:US-M"), Some(4), Some("active"))
    );
    let (_, lic) = t
        .get(
            &format!("/v1/customers/{}/users/{uid}/licenses", s.x.id),
            &s.a.token,
        )
        .await;
    let skus: Vec<&str> = lic["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            l["productSku"]["id"]
                .as_str()
                .or(l["skuId"].as_str())
                .unwrap_or_default()
        })
        .collect();
    assert!(
        skus.iter().any(|k| k.contains("STANDARD")) && !skus.iter().any(|k| k.contains("BASIC")),
        "the license followed the seats: {lic}"
    );
    assert!(operations_of(&t, &s.p.token)
        .await
        .contains(&"upgrade_subscription".to_string()));
    // Done once: the source is no longer active.
    let (st, e) = t
        .post(&format!("{base}/upgrades"), &s.a.token, &chosen)
        .await;
    assert_eq!(st, 409, "{e}");
    assert_error_shape(&e);
    // Only a listed target is taken.
    let (_, other) = subscription_of(&t, &s, "PH-SUITE:BASIC:US-M", 1).await;
    let (st, _) = t
        .post(
            &format!("/v1/customers/{}/subscriptions/{other}/upgrades", s.x.id),
            &s.a.token,
            &json!({"targetOffer": {"id": "PH-SECURE:DEFENDER:US-M"}, "upgradeType": "upgrade_only"}),
        )
        .await;
    assert_eq!(st, 409);
    assert_eq!(
        t.post(&format!("{base}/upgrades"), &s.x_token, &chosen)
            .await
            .0,
        403
    );
}

#[tokio::test]
async fn an_order_patch_buys_an_add_on_and_changes_the_billing_cycle() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    // The catalog's add-on relation, seen from the offers.
    let (st, addons) = t
        .get("/v1/offers/PH-SUITE:BASIC:US-M/addons", &s.p.token)
        .await;
    assert_eq!(st, 200, "{addons}");
    let ids: Vec<&str> = addons["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["PH-ARCHIVE:ARCHIVE:US-M"]);
    assert_eq!(addons["items"][0]["isAddOn"], true);
    let (_, suite) = t.get("/v1/offers/PH-SUITE:BASIC:US-M", &s.p.token).await;
    assert_eq!(
        (suite["hasAddOns"].as_bool(), suite["isAddOn"].as_bool()),
        (Some(true), Some(false))
    );

    let (oid, sub) = subscription_of(&t, &s, "PH-SUITE:BASIC:US-M", 4).await;
    let path = format!("/v1/customers/{}/orders/{oid}", s.x.id);
    let (_, mut current) = t.get(&path, &s.p.token).await;
    // The reference's add-on purchase: the order sent back with a new line naming its parent.
    current["lineItems"].as_array_mut().unwrap().push(
        json!({"LineItemNumber": 1, "OfferId": "PH-ARCHIVE:ARCHIVE:US-M", "Quantity": 2,
            "ParentSubscriptionId": sub}),
    );
    let (st, o) = t.patch(&path, &s.p.token, &current).await;
    assert_eq!(st, 200, "{o}");
    let lines = o["lineItems"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "{o}");
    assert_eq!(lines[1]["offerId"], "PH-ARCHIVE:ARCHIVE:US-M");
    assert_eq!(o["totalPrice"], "30.00", "4 x 6.00 + 2 x 3.00");
    let (st, subs) = t
        .get(
            &format!("/v1/customers/{}/subscriptions/{sub}/addons", s.x.id),
            &s.a.token,
        )
        .await;
    assert_eq!(st, 200, "{subs}");
    assert_eq!(subs["totalCount"], 1);
    assert_eq!(subs["items"][0]["offerId"], "PH-ARCHIVE:ARCHIVE:US-M");
    assert_eq!(subs["items"][0]["quantity"], 2);
    // An offer that is no add-on of the parent's product is refused; nothing is added.
    let (st, e) = t
        .patch(
            &path,
            &s.p.token,
            &json!({"lineItems": [{"offerId": "PH-SECURE:DEFENDER:US-M", "quantity": 1,
                "parentSubscriptionId": sub}]}),
        )
        .await;
    assert_eq!(st, 409, "{e}");
    assert_error_shape(&e);
    // A new line without a parent is not an add-on.
    let (st, _) = t
        .patch(
            &path,
            &s.p.token,
            &json!({"lineItems": [{"offerId": "PH-ARCHIVE:ARCHIVE:US-M", "quantity": 1}]}),
        )
        .await;
    assert_eq!(st, 400);
    // Two add-ons read from the catalog together: the second names no offer, so neither is
    // added, and the error names that line.
    let (st, e) = t
        .patch(
            &path,
            &s.p.token,
            &json!({"lineItems": [
                {"offerId": "PH-ARCHIVE:ARCHIVE:US-M", "quantity": 1, "parentSubscriptionId": sub},
                {"offerId": "PH-ARCHIVE:ARCHIVE:ZZ-M", "quantity": 1, "parentSubscriptionId": sub}]}),
        )
        .await;
    assert_eq!(st, 400, "{e}");
    assert!(e.to_string().contains("lineItems[1].offerId"), "{e}");
    let (_, subs) = t
        .get(
            &format!("/v1/customers/{}/subscriptions/{sub}/addons", s.x.id),
            &s.a.token,
        )
        .await;
    assert_eq!(subs["totalCount"], 1, "{subs}");

    // Billing cycle, for every subscription of the order: refused while one SKU has no such
    // billing for its term, done once both have.
    let (st, e) = t
        .patch(
            &path,
            &s.p.token,
            &json!({"Id": oid, "BillingCycle": "Annual"}),
        )
        .await;
    assert_eq!(st, 409, "{e}");
    let annual: partnerhub::app::commerce::CatalogFile = serde_json::from_value(json!({"products": [
        {"id": "PH-SUITE", "title": "Productivity Suite", "productType": "license", "skus": [
            {"id": "BASIC", "title": "Productivity Suite Basic", "minimumQuantity": 1, "maximumQuantity": 300,
             "availabilities": [{"id": "US-MA", "country": "US", "currency": "USD", "billingCycle": "annual",
                "term": "P1M", "listPrice": "5.50"}]}]},
        {"id": "PH-ARCHIVE", "title": "Productivity Suite Archiving", "productType": "license",
         "addOnOf": "PH-SUITE", "skus": [
            {"id": "ARCHIVE", "title": "Mailbox Archiving", "minimumQuantity": 1, "maximumQuantity": 300,
             "availabilities": [{"id": "US-MA", "country": "US", "currency": "USD", "billingCycle": "annual",
                "term": "P1M", "listPrice": "2.75"}]}]}]}))
    .unwrap();
    partnerhub::app::commerce::import_catalog(&t.app, None, &annual)
        .await
        .unwrap();
    let (st, o) = t
        .patch(
            &path,
            &s.p.token,
            &json!({"Id": oid, "BillingCycle": "Annual"}),
        )
        .await;
    assert_eq!(st, 200, "{o}");
    let (_, moved) = t
        .get(
            &format!("/v1/customers/{}/subscriptions/{sub}", s.x.id),
            &s.a.token,
        )
        .await;
    assert_eq!(
        (
            moved["billingCycle"].as_str(),
            moved["offerId"].as_str(),
            moved["unitPrice"].as_str()
        ),
        (Some("annual"), Some("PH-SUITE:BASIC:US-MA"), Some("5.50"))
    );
    let (_, add_on) = t
        .get(
            &format!("/v1/customers/{}/subscriptions/{sub}/addons", s.x.id),
            &s.a.token,
        )
        .await;
    assert_eq!(add_on["items"][0]["offerId"], "PH-ARCHIVE:ARCHIVE:US-MA");
    assert!(operations_of(&t, &s.p.token)
        .await
        .contains(&"update_order".to_string()));
    assert_eq!(t.patch(&path, &s.x_token, &current).await.0, 403);
}

#[tokio::test]
async fn a_webhook_registration_may_choose_the_reference_payload_shape() {
    let t = TestApp::spawn_with(|c| c.webhook_allow = vec!["127.0.0.1".into()]).await;
    let rx = Receiver::start().await;
    let p = t.partner(true, false, "US").await;
    let (st, reg) = t
        .post(
            "/webhooks/v1/registration",
            &p.token,
            &json!({"WebhookUrl": rx.url, "WebhookEvents": ["test-created"], "PayloadShape": "partner_center"}),
        )
        .await;
    assert_eq!(st, 201, "{reg}");
    assert_eq!(reg["payloadShape"], "partner_center");
    let secret = reg["webhookSecret"].as_str().unwrap().to_string();
    let (st, _) = t
        .post(
            "/webhooks/v1/registration/validationEvents",
            &p.token,
            &json!({}),
        )
        .await;
    assert_eq!(st, 200);
    let got = rx.wait_for(1).await;
    let body = got[0].json();
    assert_eq!(body["EventName"], "test-created", "{body}");
    for k in [
        "ResourceUri",
        "ResourceName",
        "AuditUri",
        "ResourceChangeUtcDate",
    ] {
        assert!(body[k].is_string(), "{k} in {body}");
    }
    assert!(body.get("eventName").is_none(), "one shape only: {body}");
    // The Standard Webhooks signature headers stay.
    let ts: i64 = got[0].header("webhook-timestamp").parse().unwrap();
    assert!(partnerhub::domain::webhook::verify(
        &partnerhub::domain::webhook::secret_bytes(&secret).unwrap(),
        &got[0].header("webhook-id"),
        ts,
        &got[0].body,
        &got[0].header("webhook-signature"),
        ts,
        300,
    ));
    // A PUT without the member keeps the shape; one naming `standard` goes back.
    let (st, r) = t
        .put(
            "/webhooks/v1/registration",
            &p.token,
            &json!({"webhookUrl": rx.url, "webhookEvents": ["test-created"]}),
        )
        .await;
    assert_eq!(
        (st, r["payloadShape"].as_str()),
        (200, Some("partner_center"))
    );
    let (st, r) = t
        .put(
            "/webhooks/v1/registration",
            &p.token,
            &json!({"webhookUrl": rx.url, "webhookEvents": ["test-created"], "payloadShape": "standard"}),
        )
        .await;
    assert_eq!((st, r["payloadShape"].as_str()), (200, Some("standard")));
    t.post(
        "/webhooks/v1/registration/validationEvents",
        &p.token,
        &json!({}),
    )
    .await;
    let got = rx.wait_for(2).await;
    assert_eq!(got[1].json()["eventName"], "test-created");
    let (st, _) = t
        .put(
            "/webhooks/v1/registration",
            &p.token,
            &json!({"webhookUrl": rx.url, "webhookEvents": ["test-created"], "payloadShape": "xml"}),
        )
        .await;
    assert_eq!(st, 400);
}

#[tokio::test]
async fn relationships_name_the_partner_and_mpn_profiles_look_up_another_partner() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    // No relationship_type: a provider sees its resellers; the item id is the partner's
    // tenant id, which other operations take as associatedPartnerId.
    let (st, rels) = t.get("/v1/relationships", &s.p.token).await;
    assert_eq!(st, 200, "{rels}");
    let item = &rels["items"][0];
    assert_eq!(item["id"], s.a.tenant.id.to_string());
    assert!(item["partnershipId"]
        .as_str()
        .is_some_and(|p| p != s.a.tenant.id.to_string()));
    let (st, mpn) = t
        .get(&format!("/v1/profiles/mpn?mpnId={}", s.a.mpn), &s.p.token)
        .await;
    assert_eq!(st, 200, "{mpn}");
    assert_eq!(
        (mpn["tenantId"].as_str(), mpn["profileType"].as_str()),
        (
            Some(s.a.tenant.id.to_string().as_str()),
            Some("mpn_profile")
        )
    );
    assert_eq!(t.get("/v1/profiles/mpn?mpnId=1", &s.p.token).await.0, 404);
}

#[tokio::test]
async fn a_customer_sees_the_offers_categories_and_add_ons_of_its_country() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let x = s.x.id.to_string();
    for token in [&s.p.token, &s.a.token] {
        let (st, offers) = t.get(&format!("/v1/customers/{x}/offers"), token).await;
        assert_eq!(st, 200, "{offers}");
        let items = offers["items"].as_array().unwrap();
        assert!(
            items.iter().any(|o| o["id"] == "PH-SUITE:BASIC:US-M"),
            "{offers}"
        );
        // The customer is in the US: no other country's offers.
        assert!(items.iter().all(|o| o["country"] == "US"), "{offers}");
        assert!(!items.iter().any(|o| o["id"] == "PH-SUITE:STANDARD:KR-M"));
        assert_eq!(items[0]["attributes"]["objectType"], "Offer");
        assert_eq!(offers["totalCount"].as_u64(), Some(items.len() as u64));
    }
    let (st, cats) = t
        .get(&format!("/v1/customers/{x}/offercategories"), &s.p.token)
        .await;
    assert_eq!(st, 200, "{cats}");
    let ids: Vec<&str> = cats["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["license", "usage"]);
    assert_eq!(cats["items"][0]["country"], "US");
    let (st, addons) = t
        .get(
            &format!("/v1/customers/{x}/offers/PH-SUITE:BASIC:US-M/addons"),
            &s.p.token,
        )
        .await;
    assert_eq!(
        (st, addons["totalCount"].as_i64()),
        (200, Some(1)),
        "{addons}"
    );
    assert_eq!(addons["items"][0]["id"], "PH-ARCHIVE:ARCHIVE:US-M");
    assert_eq!(addons["items"][0]["isAddOn"], true);
    // An offer of another country is not one this customer can buy.
    let (st, e) = t
        .get(
            &format!("/v1/customers/{x}/offers/PH-SUITE:STANDARD:KR-M/addons"),
            &s.p.token,
        )
        .await;
    assert_eq!(st, 404, "{e}");
    assert_error_shape(&e);
    // A partner that does not serve the customer does not see it; nor does the customer
    // read the partner catalog.
    let stranger = t.partner(true, false, "US").await;
    let (st, e) = t
        .get(&format!("/v1/customers/{x}/offers"), &stranger.token)
        .await;
    assert_eq!(st, 404, "{e}");
    assert_error_shape(&e);
    let (st, _) = t
        .get(&format!("/v1/customers/{x}/offers"), &s.x_token)
        .await;
    assert_eq!(st, 403);
}

#[tokio::test]
async fn a_reseller_removes_itself_from_a_customer_and_its_grants_end() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let x = s.x.id.to_string();
    let (_, sub) = subscription_of(&t, &s, "PH-SUITE:BASIC:US-M", 2).await;
    let a_id = s.a.tenant.id.to_string();
    let active_grants_of_a = |g: &Value| {
        g["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|g| g["partnerId"] == a_id.as_str() && g["status"] == "active")
            .count()
    };
    let (_, before) = t.get("/v1/customer/grants", &s.x_token).await;
    assert!(active_grants_of_a(&before) > 0, "{before}");
    // The customer itself is no partner: refused.
    let path = format!("/v1/customers/{x}/relationships/partner");
    let (st, e) = t
        .send(reqwest::Method::DELETE, &path, &s.x_token, &Value::Null)
        .await;
    assert!(st == 403 || st == 404, "{st} {e}");
    let (st, body) = t
        .send(reqwest::Method::DELETE, &path, &s.a.token, &Value::Null)
        .await;
    assert_eq!(st, 204, "{body}");
    let (_, after) = t.get("/v1/customer/grants", &s.x_token).await;
    assert_eq!(active_grants_of_a(&after), 0, "{after}");
    // A no longer sees the customer; a second removal finds nothing to end.
    assert_eq!(
        t.get(&format!("/v1/customers/{x}"), &s.a.token).await.0,
        404
    );
    let (st, e) = t
        .send(reqwest::Method::DELETE, &path, &s.a.token, &Value::Null)
        .await;
    assert_eq!(st, 404, "{e}");
    assert_error_shape(&e);
    // What was bought keeps billing: the provider still sees the subscription active.
    let (st, sb) = t
        .get(
            &format!("/v1/customers/{x}/subscriptions/{sub}"),
            &s.p.token,
        )
        .await;
    assert_eq!((st, sb["status"].as_str()), (200, Some("active")), "{sb}");
    assert!(operations_of(&t, &s.a.token)
        .await
        .contains(&"remove_partner_customer_relationship".to_string()));
}

#[tokio::test]
async fn a_customer_account_is_never_deleted_the_partner_is_told_why() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let path = format!("/v1/customers/{}", s.x.id);
    let (st, e) = t
        .send(reqwest::Method::DELETE, &path, &s.p.token, &Value::Null)
        .await;
    assert_eq!(st, 409, "{e}");
    assert_error_shape(&e);
    assert!(
        e["description"]
            .as_str()
            .unwrap_or_default()
            .contains("relationships/partner"),
        "{e}"
    );
    // A stranger learns nothing about the customer; the customer is still there.
    let stranger = t.partner(true, false, "US").await;
    let (st, _) = t
        .send(
            reqwest::Method::DELETE,
            &path,
            &stranger.token,
            &Value::Null,
        )
        .await;
    assert_eq!(st, 404);
    assert_eq!(t.get(&path, &s.p.token).await.0, 200);
}

#[tokio::test]
async fn a_partner_adds_a_verified_domain_and_the_customers_users_may_use_it() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let path = format!("/v1/customers/{}/verifieddomain", s.x.id);
    let body = |name: &str, status: &str| {
        json!({"VerifiedDomainName": name, "Domain": {"Name": name, "Capability": "Email",
            "AuthenticationType": "Managed", "Status": status, "VerificationMethod": "DnsRecord"},
            "DomainFederationSettings": null})
    };
    // The reference's request, PascalCase, from the provider holding a user-administration grant.
    let (st, d) = t
        .post(
            &path,
            &s.p.token,
            &body("Mail.Adatum-Contract.example", "Verified"),
        )
        .await;
    assert_eq!(st, 200, "{d}");
    assert_eq!(
        (
            d["name"].as_str(),
            d["capability"].as_str(),
            d["authenticationType"].as_str(),
            d["status"].as_str(),
            d["verificationMethod"].as_str(),
            d["isDefault"].as_bool()
        ),
        (
            Some("mail.adatum-contract.example"),
            Some("email"),
            Some("managed"),
            Some("verified"),
            Some("dns_record"),
            Some(false)
        )
    );
    assert_eq!(d["attributes"]["objectType"], "Domain");
    let head = |domain: &str| {
        let url = t.url(&format!("/v1/domains/{domain}"));
        let http = t.http.clone();
        async move { http.head(url).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(
        head("mail.adatum-contract.example").await,
        200,
        "the domain is taken now"
    );
    // The customer's users may take sign-in names in it.
    let user = |upn: &str| {
        json!({"userPrincipalName": upn, "displayName": "Kim", "firstName": "Kim", "lastName": "Ralls",
            "passwordProfile": {"password": "Contract-Pass-1234"}})
    };
    let users = format!("/v1/customers/{}/users", s.x.id);
    let (st, u) = t
        .post(
            &users,
            &s.a.token,
            &user("kim@mail.adatum-contract.example"),
        )
        .await;
    assert_eq!(st, 201, "{u}");
    // Not in a domain it has only as unverified, nor in one it does not have.
    let (st, _) = t
        .post(
            &path,
            &s.x_token,
            &body("pending-contract.example", "unverified"),
        )
        .await;
    assert_eq!(
        st, 200,
        "the customer's own global administrator adds one too"
    );
    for upn in [
        "kim@pending-contract.example",
        "kim@elsewhere-contract.example",
    ] {
        let (st, e) = t.post(&users, &s.a.token, &user(upn)).await;
        assert_eq!(st, 400, "{upn}: {e}");
        assert_eq!(e["data"][0]["field"], "userPrincipalName");
    }
    // A name some directory has, as an added or a primary domain, is taken.
    let other = t.partner(true, false, "US").await;
    for taken in [
        "mail.adatum-contract.example",
        s.x.domain.as_str(),
        other.tenant.domain.as_str(),
    ] {
        let (st, e) = t.post(&path, &s.a.token, &body(taken, "Verified")).await;
        assert_eq!(st, 409, "{taken}: {e}");
        assert_error_shape(&e);
    }
    // Federated sign-in is not offered: refused, naming the member.
    let mut federated = body("sso-contract.example", "Verified");
    federated["Domain"]["AuthenticationType"] = json!("Federated");
    let (st, e) = t.post(&path, &s.p.token, &federated).await;
    assert_eq!(st, 400, "{e}");
    assert_eq!(e["data"][0]["field"], "domain.authenticationType");
    let (st, e) = t
        .post(
            &path,
            &s.p.token,
            &json!({"domain": {"name": "x-contract.example"}}),
        )
        .await;
    assert_eq!(st, 400, "{e}");
    assert_eq!(head("sso-contract.example").await, 404, "nothing was added");
    // A partner that does not serve the customer learns nothing.
    let (st, _) = t
        .post(
            &path,
            &other.token,
            &body("stranger-contract.example", "Verified"),
        )
        .await;
    assert_eq!(st, 404);
    assert!(operations_of(&t, &s.p.token)
        .await
        .contains(&"add_customer_domain".to_string()));
    assert!(
        operations_of(&t, &s.x_token)
            .await
            .contains(&"add_customer_domain".to_string()),
        "the customer's log shows it"
    );
}
