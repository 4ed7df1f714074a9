//! Portal sessions over plain HTTP: cookie flags, CSRF, session fixation, readable errors.

use crate::support::{TestApp, PASSWORD};
use partnerhub::domain::identity::{Role, TenantKind};

fn session_cookie(r: &reqwest::Response) -> Option<(String, String)> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            let (kv, attrs) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = kv.split_once('=')?;
            (k == "__Host-partnerhub").then(|| (v.to_string(), attrs.to_string()))
        })
}

fn csrf_of(html: &str) -> String {
    let i = html
        .find("name=\"csrf\" value=\"")
        .expect("page has a CSRF field")
        + 19;
    html[i..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn sign_in_sets_a_new_hardened_session_and_forms_need_csrf() {
    let t = TestApp::spawn().await;
    let (_, admin) = t.tenant(TenantKind::Partner, &[Role::AdminAgent]).await;
    let r = t.http.get(t.url("/portal/signin")).send().await.unwrap();
    let (anon, attrs) = session_cookie(&r).expect("a session cookie");
    for flag in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(attrs.contains(flag), "cookie has {flag}: {attrs}");
    }
    let html = r.text().await.unwrap();
    let csrf = csrf_of(&html);
    let cookie = format!("__Host-partnerhub={anon}");

    // Without the CSRF token the form is refused and nothing happens.
    let r = t
        .http
        .post(t.url("/portal/signin"))
        .header("cookie", &cookie)
        .form(&[
            ("csrf", "wrong"),
            ("upn", admin.upn.as_str()),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(session_cookie(&r).is_none());

    // A wrong password shows the sign-in page again with a message, not an error dump.
    let r = t
        .http
        .post(t.url("/portal/signin"))
        .header("cookie", &cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("upn", admin.upn.as_str()),
            ("password", "Wrong-Password-1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("The sign-in name or password is not correct."));

    let r = t
        .http
        .post(t.url("/portal/signin"))
        .header("cookie", &cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("upn", admin.upn.as_str()),
            ("password", PASSWORD),
            ("next", "https://evil.example/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/portal", "no open redirect");
    let (signed, _) = session_cookie(&r).expect("a new session after sign-in");
    assert_ne!(signed, anon, "the session id changes at sign-in");

    // The old anonymous id no longer carries anyone.
    let r = t
        .http
        .get(t.url("/portal"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let r = t
        .http
        .get(t.url("/portal"))
        .header("cookie", format!("__Host-partnerhub={signed}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains(&admin.display_name));
    assert!(
        html.contains("href=\"/portal/users\""),
        "admins see user management"
    );
}

#[tokio::test]
async fn pages_answer_readably_for_people_without_access() {
    let t = TestApp::spawn().await;
    // Not signed in: the mail viewer sends you to sign in.
    let r = t.http.get(t.url("/portal/mail")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/portal/signin?next="));
    let r = t
        .http
        .get(t.url("/portal/no-such-page"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("does not exist"));
}

#[tokio::test]
async fn the_public_mail_viewer_needs_no_sign_in() {
    let t = TestApp::spawn_with(|c| c.mail_viewer_public = true).await;
    let r = t.http.get(t.url("/portal/mail")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

/// Signs in through the portal form; returns the session cookie header and a CSRF token.
/// Follows a "303 See Other" the way a browser does: the session cookie plus the flash
/// cookie the answer set, GET on its `Location`. Returns (status, html).
pub async fn follow(t: &TestApp, cookie: &str, r: reqwest::Response) -> (u16, String) {
    assert_eq!(r.status(), 303, "a form answers with a redirect");
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with('/'), "redirects stay on the site: {to}");
    let flash: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter(|c| c.contains("-flash=") || c.starts_with("partnerhub_flash="))
        .map(|c| c.split(';').next().unwrap().to_string())
        .collect();
    let mut jar = vec![cookie.to_string()];
    jar.extend(flash);
    let page = t
        .http
        .get(t.url(&to))
        .header("cookie", jar.join("; "))
        .send()
        .await
        .unwrap();
    let status = page.status().as_u16();
    (status, page.text().await.unwrap())
}

/// Switches the signed-in portal session to `lang` (the language menu's form).
pub async fn set_language(t: &TestApp, cookie: &str, csrf: &str, lang: &str) {
    let r = t
        .http
        .post(t.url("/portal/lang"))
        .header("cookie", cookie)
        .form(&[("csrf", csrf), ("lang", lang)])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
}

pub async fn portal_session(t: &TestApp, upn: &str) -> (String, String) {
    let r = t.http.get(t.url("/portal/signin")).send().await.unwrap();
    let (anon, _) = session_cookie(&r).unwrap();
    let csrf = csrf_of(&r.text().await.unwrap());
    let r = t
        .http
        .post(t.url("/portal/signin"))
        .header("cookie", format!("__Host-partnerhub={anon}"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("upn", upn),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let (signed, _) = session_cookie(&r).expect("signed in");
    let cookie = format!("__Host-partnerhub={signed}");
    let html = t
        .http
        .get(t.url("/portal"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    (cookie, csrf_of(&html))
}

#[tokio::test]
async fn the_operator_imports_memberships_in_the_portal_with_line_errors() {
    let t = TestApp::spawn().await;
    let (_, op) = t.tenant(TenantKind::Operator, &[Role::OperatorAdmin]).await;
    let (cookie, csrf) = portal_session(&t, &op.upn).await;
    let bad = "mpn_id,org_name,country,username,password,profile_id,profile_name,profile_country\nx,Org,US,u,password1,1,P,US\n";
    let r = t
        .http
        .post(t.url("/portal/operator/memberships"))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str()), ("csv", bad)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("line 2: mpn_id"));
    let good = "mpn_id,org_name,country,username,password,profile_id,profile_name,profile_country\n5,Org,US,orguser,password1,6,P,US\n";
    let r = t
        .http
        .post(t.url("/portal/operator/memberships"))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str()), ("csv", good)])
        .send()
        .await
        .unwrap();
    let (status, html) = follow(&t, &cookie, r).await;
    assert_eq!(status, 200);
    assert!(html.contains("1 membership records imported."));
    assert!(
        partnerhub::app::store::memberships::by_username(&t.app.db, "orguser")
            .await
            .unwrap()
            .is_some()
    );
    // A partner cannot reach the page.
    let (_, partner) = t.tenant(TenantKind::Partner, &[Role::AdminAgent]).await;
    let (pcookie, _) = portal_session(&t, &partner.upn).await;
    let r = t
        .http
        .get(t.url("/portal/operator/memberships"))
        .header("cookie", &pcookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn an_admin_changes_roles_in_the_portal_and_the_last_admin_is_kept() {
    let t = TestApp::spawn().await;
    let (tenant, admin) = t.tenant(TenantKind::Partner, &[Role::AdminAgent]).await;
    let sales = t.user(&tenant, "sales", &[Role::SalesAgent]).await;
    let (cookie, csrf) = portal_session(&t, &admin.upn).await;
    let r = t
        .http
        .post(t.url(&format!("/portal/users/{}", sales.id)))
        .header("cookie", &cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("display_name", "Sam Sales"),
            ("role", "helpdesk_agent"),
            ("role", "sales_agent"),
            ("version", "1"),
        ])
        .send()
        .await
        .unwrap();
    let (status, html) = follow(&t, &cookie, r).await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"notice\""), "the saved message shows");
    let roles = partnerhub::app::store::identity::roles(&t.app.db, sales.id)
        .await
        .unwrap();
    assert_eq!(
        roles.into_iter().collect::<Vec<_>>(),
        [Role::SalesAgent, Role::HelpdeskAgent]
    );
    // The admin cannot drop its own last admin roles.
    let r = t
        .http
        .post(t.url(&format!("/portal/users/{}", admin.id)))
        .header("cookie", &cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("display_name", "x"),
            ("role", "sales_agent"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("last"));
}

/// The portal's CSP allows styles from its own stylesheet only (`style-src 'self'`), so an
/// inline `style` attribute is dropped by the browser and logged as a violation on every load.
#[tokio::test]
async fn menu_pages_carry_no_inline_styles_and_the_favicon_is_served() {
    let t = TestApp::spawn().await;
    let partner = t.partner(true, true, "US").await;
    let (cookie, _) = portal_session(&t, &partner.admin.upn).await;
    let get = |path: String| {
        let req = t.http.get(t.url(&path)).header("cookie", &cookie);
        async move { req.send().await.unwrap() }
    };
    let dashboard = get("/portal".into()).await.text().await.unwrap();
    let menu: Vec<String> = dashboard
        .split("<nav class=\"side\" id=\"menu\">")
        .nth(1)
        .expect("signed-in pages have a menu")
        .split("</nav>")
        .next()
        .unwrap()
        .split("href=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_string())
        .collect();
    assert!(
        menu.len() >= 10,
        "a provider and reseller admin has a full menu: {menu:?}"
    );
    let mut checked = 0;
    for path in &menu {
        let r = get(path.clone()).await;
        // A menu entry may send the visitor on (enrollment, for an authorized partner).
        assert!([200, 303].contains(&r.status().as_u16()), "{path}");
        if r.status() != 200 {
            continue;
        }
        checked += 1;
        let html = r.text().await.unwrap();
        assert!(!html.contains(" style="), "{path} has an inline style");
        assert!(!html.contains("<style"), "{path} has a style element");
        assert!(html.contains("rel=\"icon\""), "{path} names its icon");
    }
    assert!(
        checked >= 10,
        "most menu pages render: {checked} of {menu:?}"
    );
    for icon in ["/favicon.ico", "/portal/static/favicon.svg"] {
        let r = t.http.get(t.url(icon)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{icon}");
        assert_eq!(r.headers()["content-type"], "image/svg+xml");
    }
}

/// The order form carries its own request id: the same form sent twice (a double click, or
/// back and submit again) finds the first order, and the answer is a redirect to a page a
/// reload can only read.
#[tokio::test]
async fn an_order_form_sent_twice_places_one_order() {
    let t = TestApp::spawn().await;
    let s = crate::commerce::shop(&t).await;
    let (cookie, csrf) = portal_session(&t, &s.p.admin.upn).await;
    let form_path = format!("/portal/customers/{}/order", s.x.id);
    let html = t
        .http
        .get(t.url(&form_path))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let at = html
        .find("name=\"request_id\" value=\"")
        .expect("a request id")
        + 25;
    let request_id = html[at..].split('"').next().unwrap().to_string();
    let mpn = s.a.mpn.to_string();
    let mut places = Vec::new();
    for _ in 0..2 {
        let r = t
            .http
            .post(t.url(&form_path))
            .header("cookie", &cookie)
            .form(&[
                ("csrf", csrf.as_str()),
                ("request_id", request_id.as_str()),
                ("item", "PH-SUITE:BASIC:US-M"),
                ("quantity", "2"),
                ("reseller", mpn.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        places.push(r.headers()["location"].to_str().unwrap().to_string());
    }
    assert_eq!(places[0], places[1], "both answers name the same order");
    assert!(places[0].starts_with(&format!("{form_path}?placed=")));
    let (status, subs) = t
        .get(
            &format!("/v1/customers/{}/subscriptions", s.x.id),
            &s.x_token,
        )
        .await;
    assert_eq!(status, 200, "{subs}");
    assert_eq!(subs["totalCount"], 1, "{subs}");
    let page = t
        .http
        .get(t.url(&places[0]))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("id=\"notice\""));
}

/// The reseller's indirect providers page offers "invite a new customer" per active provider,
/// leading to the request form with that provider chosen; the sign-in page leads to the public
/// provider directory. Both in en-US and ko-KR.
#[tokio::test]
async fn providers_page_invites_a_customer_through_that_provider_and_sign_in_links_the_directory() {
    let t = TestApp::spawn().await;
    let p = t.partner(true, false, "US").await;
    let other = t.partner(true, false, "US").await;
    let a = t.partner(false, true, "US").await;
    crate::customers::partner_up(&t, &p, &a).await;
    crate::customers::partner_up(&t, &other, &a).await;
    let (cookie, _) = portal_session(&t, &a.admin.upn).await;
    let (_, providers) = t.html("/portal/providers", Some(&cookie), None).await;
    for provider in [&p, &other] {
        let link = format!(
            "/portal/customers?provider={}#customer-request",
            provider.tenant.id
        );
        assert!(
            providers.contains(&link),
            "no invite link {link} in {providers}"
        );
    }
    assert!(providers.contains("Invite a new customer"), "{providers}");
    let path = format!("/portal/customers?provider={}", other.tenant.id);
    let (_, form) = t.html(&path, Some(&cookie), None).await;
    let chosen = format!("<option value=\"{}\" selected>", other.tenant.id);
    assert!(form.contains(&chosen), "{chosen} not in {form}");
    assert!(
        !form.contains(&format!("<option value=\"{}\" selected>", p.tenant.id)),
        "only the named provider is chosen"
    );
    // A malformed or foreign provider id chooses nothing and the page still answers.
    for bad in ["not-an-id".to_string(), uuid::Uuid::new_v4().to_string()] {
        let (status, form) = t
            .html(
                &format!("/portal/customers?provider={bad}"),
                Some(&cookie),
                None,
            )
            .await;
        assert_eq!(status, 200, "{form}");
        for id in [p.tenant.id, other.tenant.id] {
            let chosen = format!("<option value=\"{id}\" selected>");
            assert!(!form.contains(&chosen), "nothing chosen for {bad}: {form}");
        }
        assert!(form.contains("id=\"customer-request\""), "{form}");
    }
    // A provider has no such link: it does not invite customers.
    let (pc, _) = portal_session(&t, &p.admin.upn).await;
    let (_, resellers) = t.html("/portal/resellers", Some(&pc), None).await;
    assert!(!resellers.contains("invite-customer"), "{resellers}");

    let (_, signin) = t.html("/portal/signin", None, None).await;
    assert!(signin.contains("href=\"/providers\""), "{signin}");
    let (_, korean) = t.html("/portal/signin", None, Some("ko-KR")).await;
    assert!(korean.contains("공급자 디렉터리"), "{korean}");
}
