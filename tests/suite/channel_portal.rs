//! The channel rules in the portal, in headless Chromium: consent to delegated access is its
//! own step, the partner sees its own ids, and the order form refuses a reseller of record
//! that does not serve the customer (the same rule as the API, decided in one place).

use crate::customers::partner_up;
use crate::support::browser::Browser;
use crate::support::TestApp;
use partnerhub::domain::identity::TenantKind;
use serde_json::json;

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
        b.sign_in(&admin.upn).await?;
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
        let problem = b.text("#caccept-error").await?;
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
        b.sign_in(&p.admin.upn).await?;
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

/// A relationship request from A with its provider P, asking for `roles` for 60 days.
async fn ask(
    t: &TestApp,
    a: &crate::support::Partner,
    p: &crate::support::Partner,
    roles: &[&str],
) -> String {
    let (s, req) = t
        .post(
            "/v1/customers/relationshiprequests",
            &a.token,
            &json!({"indirectCloudSolutionProviderId": p.tenant.id.to_string(),
                    "roles": roles, "durationDays": 60}),
        )
        .await;
    assert_eq!(s, 201, "{req}");
    req["url"].as_str().unwrap().to_string()
}

async fn choose_language(b: &Browser, lang: &str) -> anyhow::Result<()> {
    b.goto("/portal").await?;
    b.client
        .find(fantoccini::Locator::Css(&format!(
            "#lang-select option[value='{lang}']"
        )))
        .await?
        .click()
        .await?;
    b.click("#lang-submit").await?;
    // The page in the new language, not the old one still on screen.
    b.wait(&format!("html[lang='{lang}'] #welcome")).await?;
    Ok(())
}

/// The roles of every live grant on the customer, as the customer's API shows them.
async fn granted(t: &TestApp, token: &str) -> Vec<Vec<String>> {
    let (s, grants) = t.get("/v1/customer/grants", token).await;
    assert_eq!(s, 200, "{grants}");
    let mut out: Vec<Vec<String>> = grants["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let mut r: Vec<String> = g["roles"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap().to_string())
                .collect();
            r.sort();
            r
        })
        .collect();
    out.sort();
    out
}

/// The consent page names who asks, for which roles in words and until when, in English and
/// in Korean; Decline grants nothing, closes the link and tells both partners; Accept grants
/// exactly the roles the page listed, to exactly the partners it named.
#[tokio::test]
async fn the_consent_page_names_who_asks_for_what_and_only_accept_grants() {
    let t = TestApp::spawn().await;
    let p = t.partner(true, false, "US").await;
    let a = t.partner(false, true, "US").await;
    partner_up(&t, &p, &a).await;
    let declined = ask(&t, &a, &p, &["user_administrator", "license_administrator"]).await;
    let accepted = ask(&t, &a, &p, &["license_administrator", "directory_readers"]).await;
    let (_, admin) = t.tenant(TenantKind::Customer, &[]).await;
    let ctoken = t.token(&admin.upn).await;
    let until = (partnerhub::clock::from_ms(t.clock.now_ms()) + chrono::Duration::days(60))
        .format("%Y-%m-%d")
        .to_string();
    let b = Browser::start("consent_step", &t.base).await;
    let result = async {
        b.sign_in(&admin.upn).await?;
        b.client.goto(&declined).await?;
        let intro = b.text("#caccept-intro").await?;
        anyhow::ensure!(intro.contains(&a.tenant.display_name), "{intro}");
        let provider = b.text("#caccept-provider").await?;
        anyhow::ensure!(provider.contains(&p.tenant.display_name), "{provider}");
        let access = b.text("#requested-access").await?;
        anyhow::ensure!(
            access.contains("User administrator")
                && access.contains("reset their passwords")
                && access.contains("License administrator")
                && !access.contains("Global administrator")
                && !access.contains("user_administrator"),
            "roles in words: {access}"
        );
        let how_long = b.text("#consent-until").await?;
        anyhow::ensure!(
            how_long.contains(&until) && how_long.contains("60"),
            "{how_long}"
        );
        // The same page in Korean.
        choose_language(&b, "ko-KR").await?;
        b.client.goto(&declined).await?;
        let intro = b.text("#caccept-intro").await?;
        anyhow::ensure!(
            intro.contains(&a.tenant.display_name) && intro.contains("요청합니다"),
            "{intro}"
        );
        let access = b.text("#requested-access").await?;
        anyhow::ensure!(
            access.contains("사용자 관리자")
                && access.contains("라이선스 관리자")
                && !access.contains("User administrator"),
            "{access}"
        );
        anyhow::ensure!(b.text("#consent-until").await?.contains(&until));
        anyhow::ensure!(b
            .text("#caccept-provider")
            .await?
            .contains(&p.tenant.display_name));
        // Decline needs its box; then nothing is granted and the link is spent.
        b.click("#caccept-decline").await?;
        let refused = b.text("#caccept-error").await?;
        anyhow::ensure!(refused.contains("변경된 것이 없습니다"), "{refused}");
        b.click("#caccept-decline-confirm").await?;
        b.click("#caccept-decline").await?;
        let notice = b.text("#notice").await?;
        anyhow::ensure!(notice.contains("거절했습니다"), "{notice}");
        let (_, partners) = t.get("/v1/customer/partners", &ctoken).await;
        anyhow::ensure!(
            partners["totalCount"] == 0,
            "a decline adds no partner: {partners}"
        );
        anyhow::ensure!(
            granted(&t, &ctoken).await.is_empty(),
            "a decline grants nothing"
        );
        b.client.goto(&declined).await?;
        let gone = b.text("#error-message").await?;
        anyhow::ensure!(gone.contains("거절된 요청"), "{gone}");
        // The browser logs the two refusals' statuses (400, then 409), and nothing else.
        let expected = b.console_errors().await?;
        anyhow::ensure!(
            expected.len() == 2
                && expected[0].contains("status of 400")
                && expected[1].contains("status of 409"),
            "{expected:?}"
        );
        // Back in English, the second request: accepted with consent.
        choose_language(&b, "en-US").await?;
        b.client.goto(&accepted).await?;
        let access = b.text("#requested-access").await?;
        anyhow::ensure!(
            access.contains("Directory readers") && !access.contains("User administrator"),
            "{access}"
        );
        b.click("#caccept-consent").await?;
        b.click("#caccept-accept").await?;
        let notice = b.text("#notice").await?;
        anyhow::ensure!(notice.contains("Request accepted"), "{notice}");
        let errors = b.console_errors().await?;
        anyhow::ensure!(errors.is_empty(), "console errors: {errors:?}");
        Ok(())
    }
    .await;
    b.finish(result).await;
    // Exactly the roles listed on the accepted request, once for each partner it named.
    let roles = vec![
        "directory_readers".to_string(),
        "license_administrator".to_string(),
    ];
    assert_eq!(granted(&t, &ctoken).await, vec![roles.clone(), roles]);
    let (_, partners) = t.get("/v1/customer/partners", &ctoken).await;
    assert_eq!(partners["totalCount"], 2, "{partners}");
    // Both partners named in the declined request were told, in a mail of their own.
    t.mail_settled().await;
    for who in [&a, &p] {
        let rows = sqlx::query("SELECT subject FROM captured_mail WHERE to_addr = $1")
            .bind(who.admin.upn.to_ascii_lowercase())
            .fetch_all(&t.app.db.read)
            .await
            .unwrap();
        let subjects: Vec<String> = rows
            .iter()
            .map(|r| sqlx::Row::try_get::<String, _>(r, "subject").unwrap())
            .collect();
        assert!(
            subjects
                .iter()
                .any(|s| s.contains("declined your relationship request")),
            "{}: {subjects:?}",
            who.tenant.display_name
        );
    }
    t.shutdown().await;
}
