//! Post/redirect/get in the portal: every form that does something answers "303 See Other"
//! to a page, a flash message on that page says what happened (once, in the page's
//! language), a refused form is shown again with its error and never as a page that looks
//! done, and destructive forms need their confirmation.

use crate::portal_http::{follow, portal_session};
use crate::support::browser::Browser;
use crate::support::TestApp;
use partnerhub::domain::identity::{Role, TenantKind};
use std::collections::BTreeSet;

/// Every POST route the portal mounts, read from the router's source (and from the areas
/// that keep their own routes), so a new form cannot be added without being covered here:
/// each `.route(` names its path first, and it is a form when its handlers include `post(`.
fn portal_post_routes() -> BTreeSet<String> {
    let src = [
        include_str!("../../src/portal/mod.rs"),
        include_str!("../../src/portal/customer_admin.rs"),
    ]
    .concat();
    src.split(".route(")
        .skip(1)
        .filter_map(|chunk| {
            let chunk = chunk.split(".route_layer(").next().unwrap_or(chunk);
            let path = chunk.split('"').nth(1)?;
            chunk.contains("post(").then(|| path.to_string())
        })
        .collect()
}

/// The partnership between P and A, from P's side of the API.
async fn relationship(
    t: &TestApp,
    p: &crate::support::Partner,
    a: &crate::support::Partner,
) -> String {
    let (s, list) = t
        .get(
            "/v1/relationships?relationship_type=IsIndirectCloudSolutionProviderOf",
            &p.token,
        )
        .await;
    assert_eq!(s, 200, "{list}");
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["mpnId"].as_str() == Some(a.mpn.to_string().as_str()))
        .unwrap()["partnershipId"]
        .as_str()
        .unwrap()
        .to_string()
}

/// What a POST route's refused or empty submission must never be: a 200 page on the POST
/// address (a result page a reload would send again).
async fn never_a_result_page(t: &TestApp, cookie: &str, csrf: &str, route: &str) -> u16 {
    let path = route
        .replace("{id}", "00000000-0000-7000-8000-000000000000")
        .replace("{sid}", "00000000-0000-7000-8000-000000000001")
        .replace("{uid}", "00000000-0000-7000-8000-000000000002")
        .replace("{what}", "remove");
    let r = t
        .http
        .post(t.url(&path))
        .header("cookie", cookie)
        .form(&[("csrf", csrf)])
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    assert_ne!(status, 200, "{route}: an empty form answered 200");
    assert!(status < 500, "{route}: {status}");
    status
}

#[tokio::test]
async fn every_portal_form_redirects_when_done_and_is_never_a_result_page_when_refused() {
    let t = TestApp::spawn_with(|c| c.webhook_allow = vec!["127.0.0.1".into()]).await;
    let s = crate::commerce::shop(&t).await;
    let routes = portal_post_routes();
    assert!(routes.len() >= 35, "found the portal's forms: {routes:?}");
    assert!(routes.contains("/portal/customers/{id}/order"));
    assert!(routes.contains("/portal/partnerships/{id}/end"));
    assert!(routes.contains("/portal/customers/{id}/admin/users/{uid}/delete"));
    assert!(routes.contains("/portal/customers/{id}/admin/subscriptions/{sid}"));

    // Refused or empty: never a 200 result page, for every form, signed in or not.
    let (cookie, csrf) = portal_session(&t, &s.p.admin.upn).await;
    for route in &routes {
        if route == "/portal/signout" {
            continue; // done below, last
        }
        never_a_result_page(&t, &cookie, &csrf, route).await;
    }

    // Done: a redirect to a page whose flash says so (once).
    let posts: Vec<DonePost> = vec![
        (
            "/portal/users".into(),
            vec![
                ("upn", format!("new@{}", s.p.tenant.domain)),
                ("display_name", "New Person".into()),
                ("role", "sales_agent".into()),
            ],
            "added",
        ),
        (
            "/portal/notifications".into(),
            vec![("event", "referral-updated".into())],
            "saved",
        ),
        (
            "/portal/webhooks".into(),
            vec![
                ("url", "http://127.0.0.1:9/hook".into()),
                ("event", "test-created".into()),
            ],
            "registered",
        ),
        (
            "/portal/resellers/invite".into(),
            vec![("email", "someone@example.com".into())],
            "invite-link",
        ),
        (
            format!("/portal/customers/{}/order", s.x.id),
            vec![
                ("request_id", uuid::Uuid::new_v4().to_string()),
                ("item", "PH-SUITE:BASIC:US-M".into()),
                ("quantity", "2".into()),
                ("reseller", s.a.mpn.to_string()),
            ],
            "Order placed",
        ),
        (
            format!("/portal/customers/{}/admin/users", s.x.id),
            vec![
                ("upn", format!("made.here@{}", s.x.domain)),
                ("display_name", "Made Here".into()),
            ],
            "was created",
        ),
    ];
    for (path, fields, shows) in posts {
        let mut form = vec![("csrf", csrf.clone())];
        form.extend(fields);
        let r = t
            .http
            .post(t.url(&path))
            .header("cookie", &cookie)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{path}");
        let to = r.headers()["location"].to_str().unwrap().to_string();
        let (status, html) = follow(&t, &cookie, r).await;
        assert_eq!(status, 200, "{path} -> {to}");
        assert!(
            html.contains("id=\"notice\""),
            "{path}: a flash message on {to}"
        );
        assert!(html.contains(shows), "{path}: {to} shows {shows}");
        // Read once: the same page again has no message, and nothing was sent again.
        let again = t
            .http
            .get(t.url(&to))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 200);
        let again = again.text().await.unwrap();
        assert!(
            !again.contains("role=\"status\""),
            "{to}: the flash is shown once"
        );
    }
    let (status, subs) = t
        .get(
            &format!("/v1/customers/{}/subscriptions", s.x.id),
            &s.x_token,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(subs["totalCount"], 1, "one order, one subscription: {subs}");

    // Signing out is a form too.
    let r = t
        .http
        .post(t.url("/portal/signout"))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn destructive_forms_need_their_confirmation_and_the_riskiest_the_name() {
    let t = TestApp::spawn().await;
    let (tenant, admin) = t.tenant(TenantKind::Partner, &[Role::AdminAgent]).await;
    let victim = t.user(&tenant, "victim", &[Role::SalesAgent]).await;
    let p = t.partner(true, false, "US").await;
    let a = t.partner(false, true, "US").await;
    crate::customers::partner_up(&t, &p, &a).await;
    let rel = relationship(&t, &p, &a).await;
    let (cookie, csrf) = portal_session(&t, &admin.upn).await;
    let remove = format!("/portal/users/{}/remove", victim.id);
    let post = |path: String, cookie: String, fields: Vec<(&'static str, String)>| {
        let req = t
            .http
            .post(t.url(&path))
            .header("cookie", cookie)
            .form(&fields);
        async move { req.send().await.unwrap() }
    };
    // Without the box: refused beside the form, the user still there.
    let r = post(remove.clone(), cookie.clone(), vec![("csrf", csrf.clone())]).await;
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"problem\""), "the refusal is shown");
    assert!(html.contains("remove-user"), "with the form again");
    let token = t.token(&admin.upn).await;
    let (s, u) = t.get(&format!("/v1/users/{}", victim.id), &token).await;
    assert_eq!(s, 200, "{u}");
    assert!(
        u["state"]
            .as_str()
            .unwrap_or_default()
            .eq_ignore_ascii_case("active"),
        "{u}"
    );
    // With it: done, and said so.
    let r = post(
        remove,
        cookie.clone(),
        vec![("csrf", csrf.clone()), ("confirm", "yes".into())],
    )
    .await;
    let (s, html) = follow(&t, &cookie, r).await;
    assert_eq!(s, 200);
    assert!(
        html.contains(&victim.upn) && html.contains("removed"),
        "{html}"
    );

    // Ending a partnership: the box alone is not enough, the other side's name is needed.
    let (pcookie, pcsrf) = portal_session(&t, &p.admin.upn).await;
    let end = format!("/portal/partnerships/{rel}/end");
    for fields in [
        vec![("csrf", pcsrf.clone()), ("confirm", "yes".into())],
        vec![
            ("csrf", pcsrf.clone()),
            ("confirm", "yes".into()),
            ("confirm_name", "Someone Else".into()),
        ],
        vec![
            ("csrf", pcsrf.clone()),
            ("confirm_name", a.tenant.display_name.clone()),
        ],
    ] {
        let r = post(end.clone(), pcookie.clone(), fields).await;
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains(&a.tenant.display_name));
        let (_, rel_now) = t.get(&format!("/v1/relationships/{rel}"), &p.token).await;
        let state = rel_now["state"].as_str().unwrap_or_default();
        assert!(state.eq_ignore_ascii_case("active"), "{rel_now}");
    }
    let r = post(
        end,
        pcookie.clone(),
        vec![
            ("csrf", pcsrf.clone()),
            ("confirm", "yes".into()),
            // Letter case and spaces around the name do not matter.
            (
                "confirm_name",
                format!(" {} ", a.tenant.display_name.to_uppercase()),
            ),
        ],
    )
    .await;
    let (s, html) = follow(&t, &pcookie, r).await;
    assert_eq!(s, 200);
    assert!(html.contains("has ended"), "{html}");
    let (_, rel_now) = t.get(&format!("/v1/relationships/{rel}"), &p.token).await;
    let state = rel_now["state"].as_str().unwrap_or_default();
    assert!(!state.eq_ignore_ascii_case("active"), "{rel_now}");
}

/// In the browser: an order, a reload of its page (no second order), a cancellation refused
/// without its box and done with it, each step's message in English and then in Korean.
#[tokio::test]
async fn an_order_reloaded_is_one_order_and_a_cancellation_needs_its_box_in_both_languages() {
    let t = TestApp::spawn().await;
    let s = crate::commerce::shop(&t).await;
    let b = Browser::start("prg_order_cancel", &t.base).await;
    let order_page = format!("/portal/customers/{}/order", s.x.id);
    let result = async {
        b.sign_in(&s.p.admin.upn).await?;
        b.goto(&order_page).await?;
        b.client
            .find(fantoccini::Locator::Css(
                "#item option[value='PH-SUITE:BASIC:US-M']",
            ))
            .await?
            .click()
            .await?;
        b.fill("#quantity", "3").await?;
        b.click("#place-order").await?;
        let notice = b.text("#notice").await?;
        anyhow::ensure!(notice.contains("Order placed"), "{notice}");
        b.client.refresh().await?;
        b.wait("#order-form").await?;
        let rows = b
            .client
            .find_all(fantoccini::Locator::Css("#services .service-name"))
            .await?;
        anyhow::ensure!(
            rows.len() == 1,
            "{} subscriptions after a reload",
            rows.len()
        );
        // Cancel without ticking the box: refused beside the form, still active.
        b.click(".cancel-subscription").await?;
        let problem = b.text("#order-error").await?;
        anyhow::ensure!(problem.contains("Nothing was changed"), "{problem}");
        let status = b.text("#services .service-status").await?;
        anyhow::ensure!(status == "Active", "{status}");
        // Korean from here on: the box, then the message in Korean.
        b.goto("/portal").await?;
        b.client
            .find(fantoccini::Locator::Css(
                "#lang-select option[value='ko-KR']",
            ))
            .await?
            .click()
            .await?;
        b.click("#lang-submit").await?;
        // Wait for the Korean page, not the English one still on screen: a navigation started
        // before the switch lands would be overtaken by the switch's redirect.
        b.wait("html[lang='ko-KR'] #welcome").await?;
        b.goto(&order_page).await?;
        b.click(".cancel-form input.confirm").await?;
        b.click(".cancel-subscription").await?;
        let notice = b.text("#notice").await?;
        anyhow::ensure!(notice.contains("구독을 취소했습니다"), "{notice}");
        let status = b.text("#services .service-status").await?;
        anyhow::ensure!(status != "Active" && status != "활성", "{status}");
        Ok(())
    }
    .await;
    b.finish(result).await;
    let (_, subs) = t
        .get(
            &format!("/v1/customers/{}/subscriptions", s.x.id),
            &s.x_token,
        )
        .await;
    assert_eq!(subs["totalCount"], 1, "{subs}");
    assert_ne!(subs["items"][0]["status"], "active", "{subs}");
}

/// A form to send: its address, its fields, and the page its redirect must reach.
type DonePost<'a> = (String, Vec<(&'a str, String)>, &'a str);
