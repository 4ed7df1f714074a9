//! The portal in headless Chromium, as a person uses it.

use crate::support::browser::Browser;
use crate::support::{TestApp, PASSWORD};
use partnerhub::domain::identity::{Role, TenantKind};

#[tokio::test]
async fn an_admin_signs_in_sees_the_dashboard_and_switches_to_korean() {
    let t = TestApp::spawn().await;
    let (tenant, admin) = t.tenant(TenantKind::Partner, &[Role::AdminAgent]).await;
    let b = Browser::start("signin_dashboard", &t.base).await;
    let result = async {
        b.sign_in(&admin.upn).await?;
        anyhow::ensure!(b.path().await? == "/portal", "landed on the dashboard");
        let welcome = b.text("#welcome").await?;
        anyhow::ensure!(
            welcome.contains(&admin.display_name),
            "welcome names the user: {welcome}"
        );
        anyhow::ensure!(b.text("#tenant-name").await? == tenant.display_name);
        let roles = b.text("#roles").await?;
        anyhow::ensure!(
            roles.contains("Global administrator") && roles.contains("Admin agent"),
            "roles: {roles}"
        );
        let menu = b.text("#menu").await?;
        anyhow::ensure!(menu.contains("User management"), "menu: {menu}");
        anyhow::ensure!(
            !menu.contains("Mail viewer"),
            "partners do not read captured mail: {menu}"
        );
        // Language switch.
        b.client
            .find(fantoccini::Locator::Css(
                "#lang-select option[value='ko-KR']",
            ))
            .await?
            .click()
            .await?;
        b.click("#lang-submit").await?;
        // Wait for the new page, not the old one still on screen.
        b.wait("html[lang='ko-KR'] #welcome").await?;
        let welcome = b.text("#welcome").await?;
        anyhow::ensure!(welcome.contains("환영합니다"), "Korean welcome: {welcome}");
        anyhow::ensure!(b.text("#menu").await?.contains("사용자 관리"));
        // Sign out returns to the sign-in page, and the dashboard is closed again.
        b.click("#signout").await?;
        b.wait("#signin-submit").await?;
        b.goto("/portal").await?;
        b.wait("#signin-submit").await?;
        Ok(())
    }
    .await;
    b.finish(result).await;
}

#[tokio::test]
async fn a_sales_agent_sees_only_what_the_role_allows() {
    let t = TestApp::spawn().await;
    let (tenant, _) = t.tenant(TenantKind::Partner, &[Role::AdminAgent]).await;
    let sales = t.user(&tenant, "sales", &[Role::SalesAgent]).await;
    let b = Browser::start("sales_menu", &t.base).await;
    let result = async {
        b.sign_in(&sales.upn).await?;
        let menu = b.text("#menu").await?;
        anyhow::ensure!(!menu.contains("User management"), "menu: {menu}");
        b.goto("/portal/users").await?;
        let msg = b.text("#error-message").await?;
        anyhow::ensure!(msg.contains("do not have access"), "{msg}");
        Ok(())
    }
    .await;
    b.finish(result).await;
}

#[tokio::test]
async fn an_admin_adds_a_user_and_the_operator_reads_the_mail_in_the_viewer() {
    let t = TestApp::spawn().await;
    let (_, op) = t.tenant(TenantKind::Operator, &[Role::OperatorAdmin]).await;
    let (tenant, admin) = t.tenant(TenantKind::Partner, &[Role::AdminAgent]).await;
    let b = Browser::start("add_user_mail_viewer", &t.base).await;
    let new_upn = format!("carol@{}", tenant.domain);
    let result = async {
        b.sign_in(&admin.upn).await?;
        b.goto("/portal/users").await?;
        // A bad sign-in name gets a message next to the field and keeps what was typed.
        b.fill("#upn", "carol@elsewhere.example").await?;
        b.fill("#display_name", "Carol Jones").await?;
        b.click("#add-user-submit").await?;
        let err = b.text("[data-field=userPrincipalName]").await?;
        anyhow::ensure!(err.contains(&tenant.domain), "field error: {err}");
        let kept = b
            .wait("#display_name")
            .await?
            .prop("value")
            .await?
            .unwrap_or_default();
        anyhow::ensure!(kept == "Carol Jones", "the form kept the name: {kept}");
        b.fill("#upn", &new_upn).await?;
        b.click("input[name=role][value=sales_agent]").await?;
        b.click("#add-user-submit").await?;
        let notice = b.text("#notice").await?;
        anyhow::ensure!(notice.contains(&new_upn), "{notice}");
        let users = b.text("#users").await?;
        anyhow::ensure!(
            users.contains(&new_upn) && users.contains("Sales agent"),
            "{users}"
        );
        b.click("#signout").await?;
        b.wait("#signin-submit").await?;
        b.sign_in(&op.upn).await?;
        b.goto("/portal/mail").await?;
        let list = b.text("#mail-list").await?;
        anyhow::ensure!(list.contains(&new_upn), "the mail is listed: {list}");
        b.click("a.mail-subject").await?;
        let body = b.text("#mail-body").await?;
        anyhow::ensure!(body.contains("Temporary password"), "{body}");
        anyhow::ensure!(b.text("#mail-to").await? == new_upn);
        Ok(())
    }
    .await;
    b.finish(result).await;
}

#[tokio::test]
async fn a_new_reseller_walks_the_enrollment_wizard_and_the_operator_approves_it() {
    let (t, smtp) = crate::enrollment::with_smtp().await;
    let (_, op) = t.tenant(TenantKind::Operator, &[Role::OperatorAdmin]).await;
    let (taken, _) = t.tenant(TenantKind::Partner, &[]).await;
    let b = Browser::start("enrollment_wizard", &t.base).await;
    let result = async {
        // Welcome: choose the program, read what is needed.
        b.goto("/portal/enroll").await?;
        b.click("#choose-reseller").await?;
        let needs = b.text("#welcome-needs").await?;
        anyhow::ensure!(needs.contains("partner-network membership"), "{needs}");
        b.click("#welcome-next").await?;
        // A new directory; the domain is checked as it is typed.
        b.fill("#displayName", "Fourth Coffee").await?;
        b.fill("#domain", &taken.domain).await?;
        b.client
            .wait()
            .at_most(std::time::Duration::from_secs(10))
            .for_element(fantoccini::Locator::Css(
                "#domain-status[data-available='false']",
            ))
            .await?;
        b.fill("#domain", "fourthcoffee.example").await?;
        b.client
            .wait()
            .at_most(std::time::Duration::from_secs(10))
            .for_element(fantoccini::Locator::Css(
                "#domain-status[data-available='true']",
            ))
            .await?;
        b.fill("#adminName", "Frances Coffee").await?;
        b.fill("#new-password", PASSWORD).await?;
        b.click("#create-submit").await?;
        // Membership: a wrong password first.
        b.fill("#membershipUsername", "trey").await?;
        b.fill("#membershipPassword", "wrong-password").await?;
        b.click("#membership-submit").await?;
        let err = b.text("[data-field=membershipUsername]").await?;
        anyhow::ensure!(err.contains("not correct"), "{err}");
        b.fill("#membershipPassword", "Member-Pass-1").await?;
        b.click("#membership-submit").await?;
        // The Korean profile is refused; cancel, sign in again, take the US one.
        b.click("#profile-8100002").await?;
        b.click("#profile-submit").await?;
        let err = b.text("[data-field=profileId]").await?;
        anyhow::ensure!(err.contains("KR") && err.contains("US"), "{err}");
        b.click("#cancel-membership").await?;
        b.fill("#membershipUsername", "trey").await?;
        b.fill("#membershipPassword", "Member-Pass-1").await?;
        b.click("#membership-submit").await?;
        b.click("#profile-8100001").await?;
        b.click("#profile-submit").await?;
        // Company details, with a webmail contact first.
        for (id, v) in [
            ("#legalName", "Fourth Coffee Ltd"),
            ("#addressLine1", "4 Bean St"),
            ("#city", "Seattle"),
            ("#region", "WA"),
            ("#postalCode", "98101"),
            ("#contactFirstName", "Frances"),
            ("#contactLastName", "Coffee"),
            ("#contactEmail", "frances@gmail.com"),
            ("#contactPhone", "+1 206 555 0142"),
            ("#supportEmail", "help@fourthcoffee.example"),
            ("#supportPhone", "+1 206 555 0143"),
            ("#supportWebsite", "https://fourthcoffee.example"),
        ] {
            b.fill(id, v).await?;
        }
        b.click("#enroll-now").await?;
        let err = b.text("[data-field=contactEmail]").await?;
        anyhow::ensure!(err.contains("webmail"), "{err}");
        let kept = b
            .wait("#legalName")
            .await?
            .prop("value")
            .await?
            .unwrap_or_default();
        anyhow::ensure!(kept == "Fourth Coffee Ltd", "kept: {kept}");
        b.fill("#contactEmail", "frances@fourthcoffee.example")
            .await?;
        b.click("#enroll-now").await?;
        let status = b
            .wait("#status-text")
            .await?
            .attr("data-status")
            .await?
            .unwrap_or_default();
        anyhow::ensure!(status == "awaiting_email_verification", "{status}");
        anyhow::ensure!(b
            .text("#check-mail")
            .await?
            .contains("frances@fourthcoffee.example"));
        // The contact opens the mailed link and confirms.
        let mail = smtp.wait_for("frances@fourthcoffee.example").await;
        let text = mail["text"].as_str().unwrap_or_default();
        let link = text
            .split_whitespace()
            .find(|w| w.contains("/portal/enroll/verify?token="))
            .unwrap_or_default()
            .to_string();
        anyhow::ensure!(link.starts_with(&t.base), "link {link}");
        b.client.goto(&link).await?;
        b.click("#verify-submit").await?;
        let done = b.text("#verify-result").await?;
        anyhow::ensure!(done.contains("confirmed"), "{done}");
        // The operator approves it in the portal.
        b.goto("/portal").await?;
        b.click("#signout").await?;
        b.wait("#signin-submit").await?;
        b.fill("#upn", &op.upn).await?;
        b.fill("#password", PASSWORD).await?;
        b.click("#signin-submit").await?;
        b.wait("#welcome").await?;
        b.goto("/portal/operator/enrollments").await?;
        b.click("a.review-link").await?;
        anyhow::ensure!(b.text("#review-org").await? == "Fourth Coffee");
        b.click("#approve").await?;
        b.wait("#notice").await?;
        let status = b
            .wait("#review-status")
            .await?
            .attr("data-status")
            .await?
            .unwrap_or_default();
        anyhow::ensure!(status == "authorized", "{status}");
        // The new partner is told, and accepts the agreement from the dashboard banner.
        smtp.wait_for_subject("frances@fourthcoffee.example", "is authorized")
            .await;
        b.click("#signout").await?;
        b.fill("#upn", "admin@fourthcoffee.example").await?;
        b.fill("#password", PASSWORD).await?;
        b.click("#signin-submit").await?;
        // Now an admin agent, the applicant sets up two-step verification before anything.
        b.wait("#mfa-required").await?;
        b.wait("#mfa-why").await?;
        let secret = b.text("#mfa-secret").await?;
        let secret = partnerhub::crypto::base32_decode(secret.trim()).unwrap_or_default();
        let code = partnerhub::crypto::totp(&secret)
            .map(|t| t.generate(chrono::Utc::now().timestamp() as u64))
            .unwrap_or_default();
        b.fill("#code", &code).await?;
        b.click("#mfa-enable").await?;
        b.wait("#mfa-on").await?;
        // The first set-up shows its recovery codes once, and the dashboard says it is on.
        let codes = b.text("#recovery-codes").await?;
        anyhow::ensure!(codes.matches('-').count() >= 10, "{codes}");
        b.goto("/portal").await?;
        b.wait("#mfa-state").await?;
        b.wait("#agreement-banner a").await?.click().await?;
        b.click("#agreement-check").await?;
        b.click("#agreement-accept").await?;
        b.wait("#welcome").await?;
        anyhow::ensure!(
            b.client
                .find(fantoccini::Locator::Css("#agreement-banner"))
                .await
                .is_err(),
            "banner gone"
        );
        Ok(())
    }
    .await;
    b.finish(result).await;
}

#[tokio::test]
async fn a_provider_requests_a_partnership_and_the_reseller_authorizes_it_from_the_mail() {
    let (t, smtp) = crate::enrollment::with_smtp().await;
    let p = t.partner(true, false, "US").await;
    let r = t.partner(false, true, "US").await;
    let b = Browser::start("partnership_invitation", &t.base).await;
    let result = async {
        b.sign_in(&p.admin.upn).await?;
        b.goto("/portal/resellers").await?;
        anyhow::ensure!(b.wait("#partners-empty").await.is_ok(), "no resellers yet");
        b.fill("#email", "owner@reseller.example").await?;
        b.click("#send").await?;
        b.click("#create-invitation").await?;
        let sent = b.text("#invitation-sent").await?;
        anyhow::ensure!(sent.contains("owner@reseller.example"), "{sent}");
        let shown = b
            .wait("#invite-link")
            .await?
            .prop("value")
            .await?
            .unwrap_or_default();
        let mail = smtp.wait_for("owner@reseller.example").await;
        let text = mail["text"].as_str().unwrap_or_default();
        let link = text
            .split_whitespace()
            .find(|w| w.contains("/portal/partnership/accept?token="))
            .unwrap_or_default()
            .to_string();
        anyhow::ensure!(
            !link.is_empty() && link == shown,
            "the mailed link is the one shown: {link} / {shown}"
        );
        b.click("#signout").await?;
        b.wait("#signin-submit").await?;
        // The reseller follows the link, signs in and lands on the authorization page.
        b.client.goto(&link).await?;
        b.fill("#upn", &r.admin.upn).await?;
        b.fill("#password", PASSWORD).await?;
        b.click("#signin-submit").await?;
        let intro = b.text("#accept-intro").await?;
        anyhow::ensure!(
            intro.contains(&p.tenant.display_name) && intro.contains(&r.tenant.display_name),
            "{intro}"
        );
        let perms = b.text("#permissions").await?;
        anyhow::ensure!(
            perms.contains("place orders") && perms.contains("administer"),
            "{perms}"
        );
        b.click("#authorize").await?;
        let err = b.text("#accept-error").await?;
        anyhow::ensure!(err.contains("tick the box"), "{err}");
        b.click("#consent").await?;
        b.click("#authorize").await?;
        let row = b.text("#partners .partner-name").await?;
        anyhow::ensure!(
            row == p.tenant.display_name,
            "the reseller lists its provider: {row}"
        );
        anyhow::ensure!(b.path().await? == "/portal/providers");
        b.click("#signout").await?;
        b.sign_in(&p.admin.upn).await?;
        b.goto("/portal/resellers").await?;
        let row = b.text("#partners .partner-name").await?;
        anyhow::ensure!(
            row == r.tenant.display_name,
            "the provider lists its reseller: {row}"
        );
        let state = b.text("#invitations .invitation").await?;
        anyhow::ensure!(state.contains("Accepted"), "{state}");
        Ok(())
    }
    .await;
    b.finish(result).await;
}

#[tokio::test]
async fn a_reseller_invites_a_customer_with_its_provider_who_accepts_and_later_revokes_the_provider(
) {
    let t = TestApp::spawn().await;
    crate::commerce::load_catalog(&t).await;
    let p = t.partner(true, false, "US").await;
    let a = t.partner(false, true, "US").await;
    crate::customers::partner_up(&t, &p, &a).await;
    let b = Browser::start("customer_invitation", &t.base).await;
    let result = async {
        b.sign_in(&a.admin.upn).await?;
        b.goto("/portal/customers").await?;
        b.client
            .find(fantoccini::Locator::Css(&format!(
                "#provider option[value='{}']",
                p.tenant.id
            )))
            .await?
            .click()
            .await?;
        b.click("input[name=role][value=user_administrator]")
            .await?;
        b.fill("#days", "120").await?;
        b.click("#create-request").await?;
        let link = b
            .wait("#request-link")
            .await?
            .prop("value")
            .await?
            .unwrap_or_default();
        anyhow::ensure!(link.contains("/portal/customer/accept?token="), "{link}");
        b.click("#signout").await?;
        b.wait("#signin-submit").await?;
        // The customer opens the link and creates its directory on the spot.
        b.client.goto(&link).await?;
        let intro = b.text("#caccept-intro").await?;
        anyhow::ensure!(intro.contains(&a.tenant.display_name), "{intro}");
        anyhow::ensure!(b
            .text("#caccept-provider")
            .await?
            .contains(&p.tenant.display_name));
        anyhow::ensure!(b
            .text("#requested-access")
            .await?
            .contains("User administrator"));
        b.fill("#displayName", "Graphic Design Institute").await?;
        b.fill("#domain", "gdi.example").await?;
        b.fill("#adminName", "Gia Admin").await?;
        b.fill("#new-password", PASSWORD).await?;
        // Creating the directory grants nothing: the request comes back to be answered, and
        // delegated access is consented to as its own step.
        b.click("#caccept-create-submit").await?;
        let notice = b.text("#notice").await?;
        anyhow::ensure!(notice.contains("Your directory was created"), "{notice}");
        let (_, none) = t
            .get("/v1/customer/partners", &t.token("admin@gdi.example").await)
            .await;
        anyhow::ensure!(none["totalCount"] == 0, "nothing before Accept: {none}");
        b.click("#caccept-consent").await?;
        b.click("#caccept-accept").await?;
        let partners = b.text(".my-partner-name").await?;
        anyhow::ensure!(
            partners == p.tenant.display_name || partners == a.tenant.display_name,
            "{partners}"
        );
        let all = b
            .client
            .find_all(fantoccini::Locator::Css(".my-partner"))
            .await?;
        anyhow::ensure!(all.len() == 2, "both partners listed");
        // Both partners see the customer.
        b.click("#signout").await?;
        for who in [&a, &p] {
            b.sign_in(&who.admin.upn).await?;
            b.goto("/portal/customers").await?;
            let list = b.text(".customers").await?;
            anyhow::ensure!(
                list.contains("Graphic Design Institute"),
                "{} sees it: {list}",
                who.tenant.display_name
            );
            b.click("#signout").await?;
            b.wait("#signin-submit").await?;
        }
        // The customer revokes the provider's grant; the provider loses the directory.
        b.sign_in("admin@gdi.example").await?;
        b.goto("/portal/customer/partners").await?;
        // Ending access is confirmed: the box says what it ends.
        b.click(&format!(
            ".my-partner[data-partner='{}'] .grant input.confirm",
            p.tenant.id
        ))
        .await?;
        b.click(&format!(
            ".my-partner[data-partner='{}'] .revoke-grant",
            p.tenant.id
        ))
        .await?;
        // The old page may still be on screen for a moment: look until the new one shows the
        // partners without the provider's grant (or give up and fail).
        let grant = format!(".my-partner[data-partner='{}'] .grant", p.tenant.id);
        let mut gone = false;
        for _ in 0..100 {
            let partners = b
                .client
                .find_all(fantoccini::Locator::Css(".my-partner"))
                .await?;
            let grants = b.client.find_all(fantoccini::Locator::Css(&grant)).await?;
            if !partners.is_empty() && grants.is_empty() {
                gone = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        anyhow::ensure!(gone, "the provider's grant is gone");
        b.click("#signout").await?;
        b.sign_in(&p.admin.upn).await?;
        b.goto("/portal/customers").await?;
        b.click(".customer-link").await?;
        b.wait("#no-directory").await?;
        Ok(())
    }
    .await;
    b.finish(result).await;
    let customer = partnerhub::app::store::identity::user_by_upn(&t.app.db, "admin@gdi.example")
        .await
        .unwrap()
        .unwrap();
    let token = t.token(&p.admin.upn).await;
    assert_eq!(
        t.get(
            &format!("/v1/customers/{}/users", customer.tenant_id),
            &token
        )
        .await
        .0,
        403
    );
}

#[tokio::test]
async fn a_provider_orders_for_a_resellers_customer_and_the_reseller_sees_the_subscription() {
    let t = TestApp::spawn().await;
    let s = crate::commerce::shop(&t).await;
    let b = Browser::start("provider_order", &t.base).await;
    let result = async {
        b.sign_in(&s.p.admin.upn).await?;
        b.goto(&format!("/portal/customers/{}", s.x.id)).await?;
        b.click("#order-link").await?;
        b.client
            .find(fantoccini::Locator::Css(
                "#item option[value='PH-SUITE:PREMIUM:US-M']",
            ))
            .await?
            .click()
            .await?;
        b.fill("#quantity", "7").await?;
        b.click("#place-order").await?;
        let notice = b.text("#notice").await?;
        anyhow::ensure!(notice.contains("Order placed"), "{notice}");
        // The answer came by a redirect: reloading it reads the page again, orders nothing.
        let path = b.path().await?;
        anyhow::ensure!(path.ends_with("/order"), "landed on {path}");
        b.client.refresh().await?;
        b.wait("#notice").await?;
        let rows = b
            .client
            .find_all(fantoccini::Locator::Css("#services .service-name"))
            .await?;
        anyhow::ensure!(
            rows.len() == 1,
            "{} subscriptions after a reload",
            rows.len()
        );
        b.click("#signout").await?;
        b.sign_in(&s.a.admin.upn).await?;
        b.goto(&format!("/portal/customers/{}", s.x.id)).await?;
        let name = b.text("#services .service-name").await?;
        let qty = b.text("#services .service-quantity").await?;
        anyhow::ensure!(name.contains("Premium") && qty == "7", "{name} {qty}");
        Ok(())
    }
    .await;
    b.finish(result).await;
}

#[tokio::test]
async fn a_partner_registers_a_webhook_tests_it_and_works_a_referral_in_the_portal() {
    let t = TestApp::spawn_with(|c| c.webhook_allow = vec!["127.0.0.1".into()]).await;
    let rx = crate::support::receiver::Receiver::start().await;
    let p = t.partner(true, false, "US").await;
    let a = t.partner(false, true, "US").await;
    crate::customers::partner_up(&t, &p, &a).await;
    let b = Browser::start("webhooks_referrals", &t.base).await;
    let result = async {
        b.sign_in(&p.admin.upn).await?;
        let menu = b.text("#menu").await?;
        anyhow::ensure!(
            menu.contains("Webhooks") && menu.contains("Referrals"),
            "menu: {menu}"
        );
        b.goto("/portal/webhooks").await?;
        b.wait("#deliveries-empty").await?;
        // A private address is refused with the reason.
        b.fill("#url", "https://10.0.0.7/hook").await?;
        b.click("input[name='event'][value='test-created']").await?;
        b.click("#webhook-save").await?;
        let problem = b.text("#problem").await?;
        anyhow::ensure!(problem.contains("private"), "{problem}");
        b.fill("#url", &rx.url).await?;
        b.click("input[name='event'][value='test-created']").await?;
        b.click("#webhook-save").await?;
        let secret = b.text("#webhook-secret").await?;
        anyhow::ensure!(secret.starts_with("whsec_"), "{secret}");
        b.click("#webhook-test").await?;
        b.wait("#notice").await?;
        rx.wait_for(1).await;
        // The log shows the delivery once the worker has recorded it.
        let mut status = String::new();
        for _ in 0..40 {
            b.goto("/portal/webhooks").await?;
            status = b
                .text("#deliveries tr[data-event='test-created'] .status")
                .await
                .unwrap_or_default();
            if status == "Delivered" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        anyhow::ensure!(status == "Delivered", "delivery status: {status}");
        let code = b
            .wait("#deliveries tr[data-event='test-created'] .status .pill.ok")
            .await?
            .attr("data-code")
            .await?;
        anyhow::ensure!(code.as_deref() == Some("delivered"), "{code:?}");
        anyhow::ensure!(b.text("#deliveries .code").await? == "200");
        // Rotating shows a new secret once; the old one keeps signing for a day.
        b.click("#webhook-rotate").await?;
        b.wait("#notice").await?;
        let rotated = b.text("#webhook-secret").await?;
        anyhow::ensure!(
            rotated.starts_with("whsec_") && rotated != secret,
            "{rotated}"
        );

        // The user's own notification choices.
        b.goto("/portal/notifications").await?;
        b.click("input[name='event'][value='referral-updated']")
            .await?;
        b.click("#digest").await?;
        b.click("#notifications-save").await?;
        b.wait("#notice").await?;
        anyhow::ensure!(b
            .client
            .find(fantoccini::Locator::Css(
                "input[name='event'][value='referral-updated']:checked"
            ))
            .await
            .is_ok());
        anyhow::ensure!(b
            .client
            .find(fantoccini::Locator::Css("#digest:checked"))
            .await
            .is_ok());

        // Send a referral to the reseller.
        b.goto("/portal/referrals").await?;
        b.wait("#referrals-empty").await?;
        b.client
            .find(fantoccini::Locator::Css(&format!(
                "#target option[value='{}']",
                a.tenant.id
            )))
            .await?
            .click()
            .await?;
        for (css, v) in [
            ("#name", "Northwind renewal"),
            ("#customer_name", "Northwind"),
            ("#country", "US"),
            ("#contact_name", "Lee"),
            ("#contact_email", "lee@northwind.example"),
            ("#deal_value", "9000"),
            ("#currency", "USD"),
        ] {
            b.fill(css, v).await?;
        }
        b.click("#referral-submit").await?;
        let problem = b.text("#problem").await?;
        anyhow::ensure!(
            problem.contains("consent"),
            "consent is required: {problem}"
        );
        b.click("#consent").await?;
        b.click("#referral-submit").await?;
        b.wait("#notice").await?;
        anyhow::ensure!(b.text("#referrals").await?.contains("Northwind renewal"));
        Ok(())
    }
    .await;
    b.finish(result).await;
    let (s, chosen) = t.get("/v1/users/me/notifications", &p.token).await;
    assert_eq!(s, 200);
    assert_eq!(
        chosen,
        serde_json::json!({"events": ["referral-updated"], "dailyDigest": true})
    );

    // The reseller accepts it in its portal.
    let b = Browser::start("referral_receiver", &t.base).await;
    let result = async {
        b.sign_in(&a.admin.upn).await?;
        b.goto("/portal/referrals").await?;
        b.click("#referrals a").await?;
        b.wait("#referral-status").await?;
        b.click("button[data-substatus='accepted']").await?;
        b.wait("#notice").await?;
        let status = b.text("#referral-status").await?;
        anyhow::ensure!(status == "Active / accepted", "{status}");
        Ok(())
    }
    .await;
    b.finish(result).await;
}
