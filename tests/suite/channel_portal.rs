//! The channel rules in the portal, in headless Chromium: consent to delegated access is its
//! own step, the partner sees its own ids, and the order form refuses a reseller of record
//! that does not serve the customer (the same rule as the API, decided in one place).

use crate::customers::partner_up;
use crate::support::browser::Browser;
use crate::support::{TestApp, PASSWORD};
use partnerhub::domain::identity::TenantKind;
use serde_json::json;

async fn sign_in(b: &Browser, upn: &str) -> anyhow::Result<()> {
    b.goto("/portal/signin").await?;
    b.fill("#upn", upn).await?;
    b.fill("#password", PASSWORD).await?;
    b.click("#signin-submit").await?;
    b.wait("#welcome").await?;
    Ok(())
}

async fn sign_out(b: &Browser) -> anyhow::Result<()> {
    b.click("#signout").await?;
    b.wait("#signin-submit").await?;
    Ok(())
}

#[tokio::test]
async fn the_portal_asks_for_consent_and_refuses_a_reseller_of_record_that_does_not_serve_the_customer(
) {
    let t = TestApp::spawn().await;
    crate::commerce::load_catalog(&t).await;
    let p = t.partner(true, false, "US").await;
    let a = t.partner(false, true, "US").await;
    let stranger = t.partner(false, true, "US").await;
    partner_up(&t, &p, &a).await;
    partner_up(&t, &p, &stranger).await;
    let (s, req) = t
        .post(
            "/v1/customers/relationshiprequests",
            &a.token,
            &json!({"indirectCloudSolutionProviderId": p.tenant.id.to_string(),
                    "roles": ["license_administrator"], "durationDays": 45}),
        )
        .await;
    assert_eq!(s, 201, "{req}");
    let link = req["url"].as_str().unwrap().to_string();
    // The customer's directory exists already (made through the API).
    let (cust, admin) = t.tenant(TenantKind::Customer, &[]).await;
    let b = Browser::start("channel_rules", &t.base).await;
    let result = async {
        sign_in(&b, &admin.upn).await?;
        b.client.goto(&link).await?;
        let step = b.text("#caccept-consent-step").await?;
        anyhow::ensure!(
            step.contains(&a.tenant.display_name)
                && step.contains(&p.tenant.display_name)
                && step.contains("45"),
            "the consent step says who asks for how long: {step}"
        );
        // Accepting without the tick is refused and nothing is granted.
        b.click("#caccept-accept").await?;
        // Wait for the answer page, not the form still on screen.
        let problem = b.text("#error-message").await?;
        anyhow::ensure!(problem.contains("confirm that you consent"), "{problem}");
        b.client.goto(&link).await?;
        b.click("#caccept-consent").await?;
        b.click("#caccept-accept").await?;
        b.wait(".my-partner").await?;
        let all = b
            .client
            .find_all(fantoccini::Locator::Css(".my-partner"))
            .await?;
        anyhow::ensure!(all.len() == 2, "reseller and provider");
        sign_out(&b).await?;

        // The provider sees its own ids, and the order form offers only A.
        sign_in(&b, &p.admin.upn).await?;
        anyhow::ensure!(b.text("#mpn-id").await? == p.mpn.to_string());
        anyhow::ensure!(b.text("#tenant-id").await? == p.tenant.id.to_string());
        b.goto(&format!("/portal/customers/{}/order", cust.id))
            .await?;
        let offered = b.text("#reseller").await?;
        anyhow::ensure!(
            offered.contains(&a.tenant.display_name)
                && !offered.contains(&stranger.tenant.display_name),
            "only resellers of record are offered: {offered}"
        );
        // A stale or altered form naming the stranger is refused by the rule itself.
        b.client
            .execute(
                "document.querySelector('#reseller option').value = arguments[0];",
                vec![json!(stranger.mpn.to_string())],
            )
            .await?;
        b.click("#place-order").await?;
        let problem = b.text("#order-error").await?;
        anyhow::ensure!(
            problem.contains("no active relationship with this customer"),
            "{problem}"
        );
        b.goto(&format!("/portal/customers/{}/order", cust.id))
            .await?;
        b.click("#place-order").await?;
        b.wait("#notice").await?;
        Ok(())
    }
    .await;
    b.finish(result).await;
    // The refused order wrote nothing; the accepted one names A.
    let (_, orders) = t
        .get(&format!("/v1/customers/{}/orders", cust.id), &p.token)
        .await;
    assert_eq!(orders["totalCount"], 1, "{orders}");
    assert_eq!(orders["items"][0]["resellerId"], a.tenant.id.to_string());
    t.shutdown().await;
}
