//! Customer administration in the portal (`/portal/customers/{id}/admin`): each form by a
//! reseller that holds the delegated roles, and the same forms refused to those who do not,
//! with every effect (or its absence) read back through the API.

use crate::commerce::{line, load_catalog, order};
use crate::customers::{seed_seats, world, World};
use crate::portal_http::portal_session;
use crate::support::browser::Browser;
use crate::support::{TestApp, PASSWORD};
use partnerhub::domain::identity::Role;
use serde_json::Value;

const ROLES: [&str; 3] = [
    "user_administrator",
    "license_administrator",
    "helpdesk_administrator",
];

type Session = (String, String);

async fn post(
    t: &TestApp,
    s: &Session,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, String, String) {
    let mut form = vec![("csrf", s.1.as_str())];
    form.extend_from_slice(fields);
    let r = t
        .http
        .post(t.url(path))
        .header("cookie", &s.0)
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let set_cookie: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let body = r.text().await.unwrap();
    (
        status,
        if location.is_empty() { body } else { location },
        set_cookie.join("\n"),
    )
}

async fn get(t: &TestApp, cookie: &str, path: &str) -> (u16, String) {
    t.html(path, Some(cookie), None).await
}

/// The reveal cookie (`name=value`) a create or reset answered with.
fn reveal_cookie(set_cookie: &str) -> String {
    set_cookie
        .lines()
        .find(|c| c.starts_with("__Host-partnerhub-reveal="))
        .map(|c| c.split(';').next().unwrap().to_string())
        .expect("a reveal cookie")
}

/// The password on the reveal page.
fn shown_password(html: &str) -> String {
    let i = html
        .find("id=\"new-password\"")
        .expect("a revealed password");
    let rest = &html[i..];
    let v = rest.find("value=\"").unwrap() + 7;
    rest[v..].split('"').next().unwrap().to_string()
}

/// Opens the reveal page once with the reveal cookie and returns the password shown.
async fn reveal(t: &TestApp, s: &Session, customer: &str, set_cookie: &str) -> String {
    let cookie = format!("{}; {}", s.0, reveal_cookie(set_cookie));
    let path = format!("/portal/customers/{customer}/admin/password");
    let (status, html) = get(t, &cookie, &path).await;
    assert_eq!(status, 200);
    let password = shown_password(&html);
    // Once: the same sealed cookie sent again shows nothing.
    let (_, again) = get(t, &cookie, &path).await;
    assert!(again.contains("reveal-gone") && !again.contains(&password));
    password
}

async fn korean(t: &TestApp, s: &Session) {
    crate::portal_http::set_language(t, &s.0, &s.1, "ko-KR").await;
}

async fn english(t: &TestApp, s: &Session) {
    crate::portal_http::set_language(t, &s.0, &s.1, "en-US").await;
}

async fn user_json(t: &TestApp, token: &str, customer: &str, uid: &str) -> Value {
    t.get(&format!("/v1/customers/{customer}/users/{uid}"), token)
        .await
        .1
}

/// What the forms could change, read through the API: users, the target's profile, licenses
/// and roles, and the subscription's seats.
async fn snapshot(t: &TestApp, token: &str, x: &str, uid: &str, sid: &str) -> Vec<Value> {
    let users = t.get(&format!("/v1/customers/{x}/users"), token).await.1;
    let user = user_json(t, token, x, uid).await;
    let lic = t
        .get(&format!("/v1/customers/{x}/users/{uid}/licenses"), token)
        .await
        .1;
    let roles = t
        .get(
            &format!("/v1/customers/{x}/users/{uid}/directoryroles"),
            token,
        )
        .await
        .1;
    let sub = t
        .get(&format!("/v1/customers/{x}/subscriptions/{sid}"), token)
        .await
        .1;
    vec![
        users["totalCount"].clone(),
        user,
        lic["totalCount"].clone(),
        roles["totalCount"].clone(),
        sub["quantity"].clone(),
    ]
}

fn admin(w: &World) -> String {
    format!("/portal/customers/{}/admin", w.x.0.id)
}

/// The page a done form redirected to: it shows `says` in its flash message once; opened
/// again (a reload) it shows no message and sends nothing again. Returns the page.
async fn landed(t: &TestApp, s: &Session, location: &str, set_cookie: &str, says: &str) -> String {
    // The flash message's token travels in its own short-lived cookie.
    let flash = set_cookie
        .lines()
        .find(|c| c.starts_with("__Host-partnerhub-flash="))
        .map(|c| c.split(';').next().unwrap().to_string())
        .expect("a flash cookie");
    let (status, html) = get(t, &format!("{}; {flash}", s.0), location).await;
    assert_eq!(status, 200, "{location}");
    let notice = &html[html.find("id=\"notice\"").expect("a flash message")..];
    let notice = &notice[..notice.find("</div>").unwrap()];
    assert!(notice.contains(says), "{location}: {notice}");
    let (status, again) = get(t, &format!("{}; {flash}", s.0), location).await;
    assert_eq!(status, 200);
    assert!(
        !again.contains("id=\"notice\""),
        "{location}: the message shows once"
    );
    again
}

#[tokio::test]
async fn a_reseller_with_the_roles_creates_edits_resets_deletes_and_restores_users() {
    let t = TestApp::spawn().await;
    let w = world(&t, &ROLES).await;
    let x = w.x.0.id.to_string();
    let s = portal_session(&t, &w.a.admin.upn).await;
    // The record links to the area; the area lists the customer's users.
    let (_, record) = get(&t, &s.0, &format!("/portal/customers/{x}")).await;
    assert!(record.contains(&format!("href=\"{}\"", admin(&w))));
    let (status, page) = get(&t, &s.0, &admin(&w)).await;
    assert_eq!(status, 200);
    assert!(page.contains(&w.x.1.upn), "the customer's admin is listed");
    // Create: 303 to the reveal page; the password is in neither the address nor the page
    // it came from, and it works once shown.
    let upn = format!("new.user@{}", w.x.0.domain);
    let (status, location, cookies) = post(
        &t,
        &s,
        &format!("{}/users", admin(&w)),
        &[
            ("upn", &upn),
            ("display_name", "New User"),
            ("usage_location", "KR"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location, format!("{}/password", admin(&w)));
    let password = reveal(&t, &s, &x, &cookies).await;
    let (_, users_before) = t.get(&format!("/v1/customers/{x}/users"), &w.a.token).await;
    assert!(!location.contains(&password));
    assert_eq!(t.token_response(&upn, &password).await.0, 200);
    let (_, users) = t.get(&format!("/v1/customers/{x}/users"), &w.a.token).await;
    assert_eq!(
        users["totalCount"], users_before["totalCount"],
        "a reload made no user"
    );
    let uid = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["userPrincipalName"] == upn.as_str())
        .expect("created")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let user_page = format!("{}/users/{uid}", admin(&w));
    assert_eq!(
        user_json(&t, &w.a.token, &x, &uid).await["usageLocation"],
        "KR"
    );
    // Edit.
    let (status, location, flash) = post(
        &t,
        &s,
        &format!("{user_page}/profile"),
        &[
            ("display_name", "Renamed User"),
            ("first_name", "Renamed"),
            ("last_name", "User"),
            ("usage_location", "US"),
        ],
    )
    .await;
    assert_eq!((status, location.as_str()), (303, user_page.as_str()));
    assert_eq!(
        user_json(&t, &w.a.token, &x, &uid).await["displayName"],
        "Renamed User"
    );
    assert_eq!(
        user_json(&t, &w.a.token, &x, &uid).await["usageLocation"],
        "US"
    );
    landed(
        &t,
        &s,
        &location,
        &flash,
        &format!("The profile of {upn} was saved."),
    )
    .await;
    // Reset: a new password, the old one stops.
    let (status, _, cookies) = post(&t, &s, &format!("{user_page}/password"), &[]).await;
    assert_eq!(status, 303);
    let fresh = reveal(&t, &s, &x, &cookies).await;
    assert_ne!(fresh, password);
    assert_eq!(t.token_response(&upn, &password).await.0, 400);
    assert_eq!(t.token_response(&upn, &fresh).await.0, 200);
    // Delete needs its confirmation; then the user is inactive, and restorable.
    let (status, html, _) = post(&t, &s, &format!("{user_page}/delete"), &[]).await;
    assert_eq!(status, 400);
    let refusal = html
        .find("Nothing was changed: tick the box")
        .expect("refused in words");
    assert!(
        refusal > html.find("id=\"delete-form\"").unwrap(),
        "the refusal sits in the delete form"
    );
    assert_eq!(user_json(&t, &w.a.token, &x, &uid).await["state"], "active");
    let (status, location, flash) = post(
        &t,
        &s,
        &format!("{user_page}/delete"),
        &[("confirm", "yes")],
    )
    .await;
    assert_eq!((status, location.as_str()), (303, user_page.as_str()));
    landed(&t, &s, &location, &flash, "The user was deleted").await;
    assert_eq!(
        user_json(&t, &w.a.token, &x, &uid).await["state"],
        "inactive"
    );
    let (status, location, flash) = post(&t, &s, &format!("{user_page}/restore"), &[]).await;
    assert_eq!(status, 303);
    landed(&t, &s, &location, &flash, "The user was restored").await;
    assert_eq!(user_json(&t, &w.a.token, &x, &uid).await["state"], "active");
    // The same messages in Korean once the reader switches.
    korean(&t, &s).await;
    let (_, location, flash) = post(
        &t,
        &s,
        &format!("{user_page}/profile"),
        &[
            ("display_name", "Renamed User"),
            ("first_name", "Renamed"),
            ("last_name", "User"),
            ("usage_location", "US"),
        ],
    )
    .await;
    landed(
        &t,
        &s,
        &location,
        &flash,
        &format!("{upn} 사용자의 프로필을 저장했습니다."),
    )
    .await;
    english(&t, &s).await;
    // A bad sign-in name is refused beside the form, in words, and creates nothing.
    let (status, html, _) = post(
        &t,
        &s,
        &format!("{}/users", admin(&w)),
        &[("upn", "someone@elsewhere.example"), ("display_name", "X")],
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        html.contains(&format!("ends with @{}", w.x.0.domain)),
        "{html}"
    );
    let (_, after) = t.get(&format!("/v1/customers/{x}/users"), &w.a.token).await;
    assert_eq!(after["totalCount"], users["totalCount"]);
}

#[tokio::test]
async fn licenses_are_assigned_and_removed_within_the_seats() {
    let t = TestApp::spawn().await;
    let w = world(&t, &ROLES).await;
    let x = w.x.0.id.to_string();
    let sku = seed_seats(&t, &w.x.0, &w.p, 1).await;
    let u1 = t.user(&w.x.0, "seat.one", &[]).await;
    let u2 = t.user(&w.x.0, "seat.two", &[]).await;
    let s = portal_session(&t, &w.a.admin.upn).await;
    let (_, page) = get(&t, &s.0, &admin(&w)).await;
    assert!(page.contains("0 of 1 in use"), "seats used/total shown");
    let licenses = |uid: String| format!("/v1/customers/{x}/users/{uid}/licenses");
    let form = |uid: String| format!("{}/users/{uid}/licenses", admin(&w));
    let (status, location, flash) = post(&t, &s, &form(u1.id.to_string()), &[("sku", &sku)]).await;
    assert_eq!(status, 303, "{location}");
    assert!(
        location.ends_with(&format!("/users/{}", u1.id)),
        "{location}"
    );
    let page = landed(&t, &s, &location, &flash, "The licenses were saved.").await;
    assert!(
        page.contains("1 of 1 in use"),
        "the reloaded page counts one seat"
    );
    let held = t.get(&licenses(u1.id.to_string()), &w.a.token).await.1;
    assert_eq!(held["totalCount"], 1, "{held}");
    // No seat left: refused beside the licenses form, nothing assigned.
    let (status, html, _) = post(&t, &s, &form(u2.id.to_string()), &[("sku", &sku)]).await;
    assert_eq!(status, 409);
    assert!(html.contains("Not enough free seats"), "{html}");
    assert_eq!(
        t.get(&licenses(u2.id.to_string()), &w.a.token).await.1["totalCount"],
        0
    );
    // Removing (nothing ticked) frees the seat.
    let (status, _, _) = post(&t, &s, &form(u1.id.to_string()), &[]).await;
    assert_eq!(status, 303);
    assert_eq!(
        t.get(&licenses(u1.id.to_string()), &w.a.token).await.1["totalCount"],
        0
    );
    let (status, _, _) = post(&t, &s, &form(u2.id.to_string()), &[("sku", &sku)]).await;
    assert_eq!(status, 303);
    assert_eq!(
        t.get(&licenses(u2.id.to_string()), &w.a.token).await.1["totalCount"],
        1
    );
}

#[tokio::test]
async fn refusals_from_who_may_act_on_whom_show_beside_the_control_in_the_users_language() {
    let t = TestApp::spawn().await;
    let w = world(&t, &ROLES).await;
    let x = w.x.0.id.to_string();
    // A helpdesk agent of the reseller may reset a plain user's password, not an administrator's.
    let helpdesk = t
        .user(&w.a.tenant, "helpdesk", &[Role::HelpdeskAgent])
        .await;
    let plain = t.user(&w.x.0, "plain", &[]).await;
    let admin_user = t
        .user(&w.x.0, "useradmin", &[Role::UserAdministrator])
        .await;
    let s = portal_session(&t, &helpdesk.upn).await;
    let reset = |uid: String| format!("{}/users/{uid}/password", admin(&w));
    let (status, _, cookies) = post(&t, &s, &reset(plain.id.to_string()), &[]).await;
    assert_eq!(status, 303);
    let fresh = reveal(&t, &s, &x, &cookies).await;
    assert_eq!(t.token_response(&plain.upn, &fresh).await.0, 200);
    let (status, html, _) = post(&t, &s, &reset(admin_user.id.to_string()), &[]).await;
    assert_eq!(status, 403);
    assert!(html.contains("they hold a role above yours"), "{html}");
    assert!(
        html.find("role=\"alert\"").unwrap() > html.find("id=\"password-form\"").unwrap(),
        "the refusal sits inside the password form"
    );
    assert_eq!(
        t.token_response(&admin_user.upn, PASSWORD).await.0,
        200,
        "password unchanged"
    );
    // In Korean, the same refusal is Korean.
    korean(&t, &s).await;
    let (status, html, _) = post(&t, &s, &reset(admin_user.id.to_string()), &[]).await;
    assert_eq!(status, 403);
    assert!(html.contains("귀하보다 높은 역할"), "{html}");
    assert!(!html.contains("role above yours"));
    // The customer's last global administrator cannot drop the role, even from itself.
    let own = portal_session(&t, &w.x.1.upn).await;
    let path = format!("{}/users/{}/roles", admin(&w), w.x.1.id);
    let (status, html, _) = post(&t, &own, &path, &[]).await;
    assert_eq!(status, 409);
    assert!(html.contains("last global administrator"), "{html}");
    let roles = t
        .get(
            &format!("/v1/customers/{x}/users/{}/directoryroles", w.x.1.id),
            &w.x.2,
        )
        .await
        .1;
    assert_eq!(roles["totalCount"], 1, "{roles}");
}

#[tokio::test]
async fn directory_roles_change_within_what_the_grant_allows() {
    let t = TestApp::spawn().await;
    let w = world(&t, &["global_administrator"]).await;
    let x = w.x.0.id.to_string();
    let u = t.user(&w.x.0, "promoted", &[]).await;
    let s = portal_session(&t, &w.a.admin.upn).await;
    let path = format!("{}/users/{}/roles", admin(&w), u.id);
    let roles = format!("/v1/customers/{x}/users/{}/directoryroles", u.id);
    let (_, page) = get(&t, &s.0, &format!("{}/users/{}", admin(&w), u.id)).await;
    assert!(
        page.contains("outside your delegated access"),
        "GA is shown as out of reach"
    );
    let (status, location, flash) = post(&t, &s, &path, &[("role", "user_administrator")]).await;
    assert_eq!(
        (status, location.ends_with(&format!("/users/{}", u.id))),
        (303, true)
    );
    landed(&t, &s, &location, &flash, "The directory roles were saved.").await;
    let held = t.get(&roles, &w.a.token).await.1;
    assert_eq!(held["items"][0]["name"], "user_administrator", "{held}");
    // A partner never hands out the customer's top role, even by a crafted form.
    let (status, html, _) = post(
        &t,
        &s,
        &path,
        &[
            ("role", "user_administrator"),
            ("role", "global_administrator"),
        ],
    )
    .await;
    assert_eq!(status, 403);
    assert!(html.contains("does not allow giving this role"), "{html}");
    assert_eq!(t.get(&roles, &w.a.token).await.1["totalCount"], 1);
    // Nothing ticked: the role goes.
    let (status, _, _) = post(&t, &s, &path, &[]).await;
    assert_eq!(status, 303);
    assert_eq!(t.get(&roles, &w.a.token).await.1["totalCount"], 0);
}

#[tokio::test]
async fn subscriptions_change_with_their_version_suspend_reactivate_and_cancel_with_confirmation() {
    let t = TestApp::spawn().await;
    load_catalog(&t).await;
    let w = world(&t, &ROLES).await;
    let x = w.x.0.id.to_string();
    let (st, o) = order(
        &t,
        &w.p.token,
        &w.x.0,
        line("PH-SUITE:STANDARD:US-M", 5, Some(w.a.mpn)),
        None,
    )
    .await;
    assert_eq!(st, 201, "{o}");
    let sid = o["lineItems"][0]["subscriptionId"]
        .as_str()
        .unwrap()
        .to_string();
    let api = format!("/v1/customers/{x}/subscriptions/{sid}");
    let form = format!("{}/subscriptions/{sid}", admin(&w));
    let s = portal_session(&t, &w.a.admin.upn).await;
    let (_, page) = get(&t, &s.0, &admin(&w)).await;
    assert!(
        page.contains(&format!("data-order=\"{}\"", o["id"].as_str().unwrap())),
        "orders listed"
    );
    // The version the form was drawn with.
    let card = &page[page.find(&format!("data-subscription=\"{sid}\"")).unwrap()..];
    let v = card.find("name=\"version\" value=\"").unwrap() + "name=\"version\" value=\"".len();
    let v1 = card[v..].split('"').next().unwrap().to_string();
    assert!(v1.parse::<i64>().is_ok(), "a version in the form: {v1:?}");
    let (status, location, flash) = post(
        &t,
        &s,
        &form,
        &[("do", "quantity"), ("quantity", "7"), ("version", &v1)],
    )
    .await;
    assert_eq!((status, location.clone()), (303, admin(&w)));
    landed(
        &t,
        &s,
        &location,
        &flash,
        "The subscription now has 7 seats.",
    )
    .await;
    assert_eq!(t.get(&api, &w.a.token).await.1["quantity"], 7);
    // The same (now stale) form again: refused with a clear message, nothing changes.
    let (status, html, _) = post(
        &t,
        &s,
        &form,
        &[("do", "quantity"), ("quantity", "9"), ("version", &v1)],
    )
    .await;
    assert_eq!(status, 412);
    assert!(
        html.contains("Someone changed this since you opened the page"),
        "{html}"
    );
    assert_eq!(t.get(&api, &w.a.token).await.1["quantity"], 7);
    let (status, location, flash) = post(&t, &s, &form, &[("do", "suspend")]).await;
    assert_eq!(status, 303);
    landed(&t, &s, &location, &flash, "The subscription was suspended.").await;
    assert_eq!(t.get(&api, &w.a.token).await.1["status"], "suspended");
    let (status, location, flash) = post(&t, &s, &form, &[("do", "reactivate")]).await;
    assert_eq!(status, 303);
    landed(
        &t,
        &s,
        &location,
        &flash,
        "The subscription is active again.",
    )
    .await;
    assert_eq!(t.get(&api, &w.a.token).await.1["status"], "active");
    let (status, html, _) = post(&t, &s, &form, &[("do", "cancel")]).await;
    assert_eq!(status, 400, "no confirmation, no cancellation");
    let refusal = html
        .find("Nothing was changed: tick the box")
        .expect("refused in words");
    assert!(
        refusal > html.find(&format!("data-subscription=\"{sid}\"")).unwrap(),
        "the refusal sits in the subscription's card"
    );
    assert_eq!(t.get(&api, &w.a.token).await.1["status"], "active");
    let (status, location, flash) =
        post(&t, &s, &form, &[("do", "cancel"), ("confirm", "yes")]).await;
    assert_eq!((status, location.clone()), (303, admin(&w)));
    korean(&t, &s).await;
    landed(&t, &s, &location, &flash, "구독을 취소했습니다.").await;
    assert_eq!(t.get(&api, &w.a.token).await.1["status"], "deleted");
    let (_, subs) = t
        .get(&format!("/v1/customers/{x}/subscriptions"), &w.a.token)
        .await;
    assert_eq!(subs["totalCount"], 1, "reloads ordered nothing: {subs}");
}

#[tokio::test]
async fn those_without_the_roles_change_nothing_through_the_forms() {
    let t = TestApp::spawn().await;
    load_catalog(&t).await;
    let w = world(&t, &ROLES).await;
    let x = w.x.0.id.to_string();
    let sku = seed_seats(&t, &w.x.0, &w.p, 5).await;
    let (st, o) = order(
        &t,
        &w.p.token,
        &w.x.0,
        line("PH-SUITE:STANDARD:US-M", 5, Some(w.a.mpn)),
        None,
    )
    .await;
    assert_eq!(st, 201, "{o}");
    let sid = o["lineItems"][0]["subscriptionId"]
        .as_str()
        .unwrap()
        .to_string();
    let target = t.user(&w.x.0, "target", &[]).await;
    let uid = target.id.to_string();
    // The provider loses its grant (the relationship stays): commerce yes, directory no.
    let (_, grants) = t.get("/v1/customer/grants", &w.x.2).await;
    let pg = grants["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["partnerId"] == w.p.tenant.id.to_string())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = t
        .http
        .delete(t.url(&format!("/v1/customer/grants/{pg}")))
        .bearer_auth(&w.x.2)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let sales = t.user(&w.a.tenant, "sales", &[Role::SalesAgent]).await;
    let plain = t.user(&w.x.0, "plainuser", &[]).await;
    let base = admin(&w);
    let user = format!("{base}/users/{uid}");
    let new_upn = format!("intruder@{}", w.x.0.domain);
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            format!("{base}/users"),
            vec![("upn", new_upn.as_str()), ("display_name", "Intruder")],
        ),
        (
            format!("{user}/profile"),
            vec![("display_name", "Hijacked")],
        ),
        (format!("{user}/password"), vec![]),
        (format!("{user}/licenses"), vec![("sku", sku.as_str())]),
        (
            format!("{user}/roles"),
            vec![("role", "helpdesk_administrator")],
        ),
        (format!("{user}/delete"), vec![("confirm", "yes")]),
    ];
    let state = || snapshot(&t, &w.a.token, &x, &uid, &sid);
    let before = state().await;
    // (who, also refused the subscription forms)
    let outsiders = [
        (&sales.upn, false),
        (&w.b.admin.upn, true),
        (&w.q.admin.upn, true),
        (&w.p.admin.upn, false),
        (&plain.upn, true),
    ];
    for (upn, no_commerce) in outsiders {
        let s = portal_session(&t, upn).await;
        for (path, fields) in &forms {
            let (status, _, cookies) = post(&t, &s, path, fields).await;
            assert!((400..500).contains(&status), "{upn} {path}: {status}");
            assert!(
                !cookies.contains("reveal="),
                "{upn} {path}: no password made"
            );
        }
        if no_commerce {
            let (status, _, _) = post(
                &t,
                &s,
                &format!("{base}/subscriptions/{sid}"),
                &[("quantity", "9")],
            )
            .await;
            assert!((400..500).contains(&status), "{upn}: {status}");
            let (status, html) = get(&t, &s.0, &base).await;
            assert!(
                status >= 400 && !html.contains(&target.upn),
                "{upn} sees no admin page"
            );
        }
        assert_eq!(state().await, before, "{upn} changed something");
    }
    // The sales agent and the provider without a grant may still run the subscriptions.
    let s = portal_session(&t, &sales.upn).await;
    let (status, html) = get(&t, &s.0, &base).await;
    assert_eq!(status, 200);
    assert!(
        !html.contains(&target.upn),
        "no directory without the user roles"
    );
    let (status, _, _) = post(
        &t,
        &s,
        &format!("{base}/subscriptions/{sid}"),
        &[("quantity", "6")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        t.get(
            &format!("/v1/customers/{x}/subscriptions/{sid}"),
            &w.a.token
        )
        .await
        .1["quantity"],
        6
    );
}

/// A reseller creates a user and gives it a license in headless Chromium; a reload of each
/// result page changes nothing and shows the password no more.
#[tokio::test]
async fn a_reseller_creates_a_user_and_assigns_a_license_in_the_browser() {
    let t = TestApp::spawn().await;
    let w = world(&t, &ROLES).await;
    let x = w.x.0.id.to_string();
    let sku = seed_seats(&t, &w.x.0, &w.p, 2).await;
    let upn = format!("browser.user@{}", w.x.0.domain);
    let b = Browser::start("customer_admin_create_assign", &t.base).await;
    let mut password = String::new();
    let result = async {
        b.sign_in(&w.a.admin.upn).await?;
        b.goto(&format!("/portal/customers/{x}")).await?;
        b.click("#admin-link").await?;
        b.fill("#new-upn", &upn).await?;
        b.fill("#new-display-name", "Browser User").await?;
        b.click("#create-user-submit").await?;
        let notice = b.text("#notice").await?;
        anyhow::ensure!(notice.contains(&upn) && notice.contains("was created"), "notice: {notice}");
        let shown = b.wait("#password-reveal #new-password").await?;
        password = shown.prop("value").await?.unwrap_or_default();
        anyhow::ensure!(password.len() >= 12, "a password is shown: {password:?}");
        anyhow::ensure!(!b.client.current_url().await?.as_str().contains(&password));
        b.client.refresh().await?;
        b.wait("#reveal-gone").await?;
        b.goto(&format!("/portal/customers/{x}/admin")).await?;
        let link = b
            .client
            .execute(
                "return Array.from(document.querySelectorAll('a.user-link')).find(a => a.textContent === arguments[0]).getAttribute('href')",
                vec![serde_json::json!(upn)],
            )
            .await?;
        b.goto(link.as_str().unwrap_or_default()).await?;
        b.click(&format!("#licenses-form input[value='{sku}']")).await?;
        b.click("#save-licenses").await?;
        let notice = b.text("#notice").await?;
        anyhow::ensure!(notice.contains("licenses were saved"), "notice: {notice}");
        b.client.refresh().await?;
        b.wait("#licenses-form").await?;
        let notices = b.client.find_all(fantoccini::Locator::Css("#notice")).await?;
        anyhow::ensure!(notices.is_empty(), "the message shows once");
        let errors = b.console_errors().await?;
        anyhow::ensure!(errors.is_empty(), "console errors: {errors:?}");
        Ok(())
    }
    .await;
    b.finish(result).await;
    // Through the API: the user exists with the license, and the shown password signs in.
    let (_, users) = t.get(&format!("/v1/customers/{x}/users"), &w.a.token).await;
    let u = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["userPrincipalName"] == upn.as_str())
        .expect("the user was created")
        .clone();
    let (_, held) = t
        .get(
            &format!(
                "/v1/customers/{x}/users/{}/licenses",
                u["id"].as_str().unwrap()
            ),
            &w.a.token,
        )
        .await;
    assert_eq!(held["totalCount"], 1, "{held}");
    assert_eq!(t.token_response(&upn, &password).await.0, 200);
}

/// A grant without the user administrator role: licenses yes, the users themselves no, and
/// the page says why beside the form.
#[tokio::test]
async fn a_reseller_without_the_user_administrator_grant_assigns_licenses_but_manages_no_users() {
    let t = TestApp::spawn().await;
    let w = world(&t, &["license_administrator"]).await;
    let x = w.x.0.id.to_string();
    let sku = seed_seats(&t, &w.x.0, &w.p, 1).await;
    let u = t.user(&w.x.0, "licensed", &[]).await;
    let s = portal_session(&t, &w.a.admin.upn).await;
    let (status, page) = get(&t, &s.0, &admin(&w)).await;
    assert_eq!(status, 200);
    assert!(
        !page.contains("id=\"create-user\""),
        "no add-user form offered"
    );
    let upn = format!("nope@{}", w.x.0.domain);
    let (status, html, _) = post(
        &t,
        &s,
        &format!("{}/users", admin(&w)),
        &[("upn", &upn), ("display_name", "Nope")],
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        html.contains("delegated access to this customer does not allow this"),
        "{html}"
    );
    let (_, users) = t.get(&format!("/v1/customers/{x}/users"), &w.a.token).await;
    assert!(!users.to_string().contains(&upn));
    let user_page = format!("{}/users/{}", admin(&w), u.id);
    let (status, _, _) = post(
        &t,
        &s,
        &format!("{user_page}/delete"),
        &[("confirm", "yes")],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        user_json(&t, &w.a.token, &x, &u.id.to_string()).await["state"],
        "active"
    );
    let (status, _, _) = post(&t, &s, &format!("{user_page}/licenses"), &[("sku", &sku)]).await;
    assert_eq!(status, 303);
    let held = t
        .get(
            &format!("/v1/customers/{x}/users/{}/licenses", u.id),
            &w.a.token,
        )
        .await
        .1;
    assert_eq!(held["totalCount"], 1, "{held}");
}

/// More subscriptions than a page holds: the administration page shows the first page and a
/// link to the next, which continues where the first stopped, with no subscription twice or
/// missing; a form on the second page comes back to it.
#[tokio::test]
async fn the_subscriptions_page_through_with_a_next_link() {
    let t = TestApp::spawn().await;
    let w = world(&t, &ROLES).await;
    let x = w.x.0.id.to_string();
    // 23 subscriptions made in the same millisecond: the keyset must break ties by id.
    for _ in 0..23 {
        seed_seats(&t, &w.x.0, &w.p, 1).await;
    }
    let s = portal_session(&t, &w.a.admin.upn).await;
    let ids = |html: &str| -> Vec<String> {
        html.split("data-subscription=\"")
            .skip(1)
            .map(|r| r.split('"').next().unwrap().to_string())
            .collect()
    };
    let (status, first) = get(&t, &s.0, &admin(&w)).await;
    assert_eq!(status, 200);
    let one = ids(&first);
    assert_eq!(one.len(), 20, "a page of twenty");
    let at = first
        .find("id=\"next-subscriptions\"")
        .expect("a next-page link");
    let href = first[at..]
        .split("href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let href = href.replace("&amp;", "&");
    let (status, second) = get(&t, &s.0, &href).await;
    assert_eq!(status, 200);
    let two = ids(&second);
    assert_eq!(two.len(), 3, "the rest");
    assert!(
        !second.contains("id=\"next-subscriptions\""),
        "no page after the last"
    );
    let mut all: Vec<String> = one.iter().chain(&two).cloned().collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 23, "each subscription once");
    // A change made on the second page returns to the second page.
    let sid = &two[0];
    let action = format!("{}/subscriptions/{sid}", admin(&w));
    let at = second
        .find(&format!("action=\"{action}"))
        .expect("the form posts with its page");
    let posted = second[at + 8..]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let (status, location, _) = post(&t, &s, &posted, &[("do", "suspend")]).await;
    assert_eq!(status, 303);
    assert_eq!(location, href.split('#').next().unwrap());
    let (_, sub) = t
        .get(
            &format!("/v1/customers/{x}/subscriptions/{sid}"),
            &w.a.token,
        )
        .await;
    assert_eq!(sub["status"], "suspended", "{sub}");
}
