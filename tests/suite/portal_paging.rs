//! The portal's lists a page at a time: 100 rows, a count of all of them, "Next page"
//! carrying the signed position and "First page" back; filters kept on the links; a
//! tampered position answered with the first page and a message, never an error. Each list
//! is walked to its end and every row must come exactly once, in the list's order.

use crate::accessibility::{axe_source, scan, Figures};
use crate::portal_http::portal_session;
use crate::support::browser::Browser;
use crate::support::{Partner, TestApp};
use partnerhub::app::store;
use partnerhub::app::store::identity::{TenantRow, UserRow};
use partnerhub::domain::identity::{Role, TenantKind};
use partnerhub::domain::ids::{TenantId, UserId};
use std::collections::BTreeSet;

const PAGE: usize = 100;

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The text inside each element whose class attribute is exactly `class`, up to `close`,
/// without inner tags.
fn texts(html: &str, class: &str, close: &str) -> Vec<String> {
    let marker = format!("class=\"{class}\"");
    html.match_indices(&marker)
        .filter_map(|(i, _)| {
            let rest = &html[i..];
            let start = rest.find('>')? + 1;
            let end = rest[start..].find(close)? + start;
            let mut text = String::new();
            let mut in_tag = false;
            for c in rest[start..end].chars() {
                match c {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            Some(unescape(text.trim()))
        })
        .collect()
}

/// The `href` of the first element whose class attribute is exactly `class`.
fn href_of(html: &str, class: &str) -> Option<String> {
    let i = html.find(&format!("class=\"{class}\""))?;
    let tag = &html[i..i + html[i..].find('>')?];
    let h = tag.find("href=\"")? + 6;
    let end = tag[h..].find('"')? + h;
    Some(unescape(&tag[h..end]))
}

/// The pager's count line.
fn count_line(html: &str) -> String {
    texts(html, "pager-count", "</p>")
        .into_iter()
        .next()
        .unwrap_or_default()
}

/// A page the list answered: its status and HTML.
async fn page(t: &TestApp, cookie: &str, path: &str) -> String {
    let (status, html) = t.html(path, Some(cookie), None).await;
    assert_eq!(status, 200, "{path}: {html}");
    html
}

/// Follows "Next page" from `first` to the end; the rows of each page (read by `rows`) and
/// its HTML. When `first` carries a filter (a query), every next link must keep it.
async fn walk(
    t: &TestApp,
    cookie: &str,
    first: &str,
    rows: impl Fn(&str) -> Vec<String>,
) -> Vec<(Vec<String>, String)> {
    let mut pages = Vec::new();
    let mut path = Some(first.to_string());
    while let Some(p) = path {
        assert!(pages.len() < 20, "the pages of {first} never end");
        let html = page(t, cookie, &p).await;
        path = href_of(&html, "pager-next");
        if let (Some(next), true) = (&path, first.contains('?')) {
            assert!(next.starts_with(&format!("{first}&after=")), "{next}");
        }
        pages.push((rows(&html), html));
    }
    pages
}

/// Every page holds the next rows of `expected` (in any order within the page when
/// `any_order`), 100 a page but the last, each row once, and says which rows it shows.
fn assert_walk(pages: &[(Vec<String>, String)], expected: &[String], any_order: bool) {
    let sizes: Vec<usize> = pages.iter().map(|(r, _)| r.len()).collect();
    let mut want = Vec::new();
    let mut left = expected.len();
    while left > PAGE {
        want.push(PAGE);
        left -= PAGE;
    }
    want.push(left);
    assert_eq!(sizes, want, "rows per page");
    for (n, (rows, html)) in pages.iter().enumerate() {
        let from = n * PAGE;
        let slice = &expected[from..from + rows.len()];
        if any_order {
            let got: BTreeSet<&String> = rows.iter().collect();
            let exp: BTreeSet<&String> = slice.iter().collect();
            assert_eq!(got, exp, "page {}", n + 1);
            assert_eq!(got.len(), rows.len(), "a row shown twice on page {}", n + 1);
        } else {
            assert_eq!(rows.as_slice(), slice, "page {}", n + 1);
        }
        let showing = format!(
            "Showing {}–{} of {}",
            from + 1,
            from + rows.len(),
            expected.len()
        );
        assert_eq!(count_line(html), showing, "page {}", n + 1);
        assert!(html.contains("<nav class=\"pager\" aria-label=\""));
        assert_eq!(
            href_of(html, "pager-first").is_some(),
            n > 0,
            "page {}",
            n + 1
        );
    }
}

fn now(t: &TestApp) -> i64 {
    t.app.clock.now_ms()
}

/// A customer directory named `name`, written straight to the store: the lists only need the
/// organisation, and two hundred sign-in hashes would be most of the test's time.
async fn customer_named(t: &TestApp, name: &str) -> TenantRow {
    tenant_named(t, name, TenantKind::Customer).await
}

async fn tenant_named(t: &TestApp, name: &str, kind: TenantKind) -> TenantRow {
    let row = TenantRow {
        id: TenantId::new(),
        domain: format!("c-{}.example", uuid::Uuid::new_v4().simple()),
        display_name: name.into(),
        country: "US".into(),
        kind,
        mfa_required: false,
        admin_mfa_exempt: true,
        created_at: now(t),
        version: 1,
    };
    let mut tx = t.app.db.begin().await.unwrap();
    store::identity::insert_tenant(&mut tx, &row).await.unwrap();
    tx.commit().await.unwrap();
    row
}

/// `partner` serves `customer`, through the indirect reseller `via` or directly.
async fn serve(t: &TestApp, customer: &TenantRow, partner: TenantId, via: Option<TenantId>) {
    let mut tx = t.app.db.begin().await.unwrap();
    store::customers::upsert_relationship(
        &mut tx,
        &store::customers::NewRelationship {
            customer,
            partner,
            indirect_reseller: via,
        },
        now(t),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// A user of `like`'s organisation with `like`'s password, written straight to the store.
async fn user_like(t: &TestApp, like: &UserRow, local: &str, roles: &[Role]) -> UserRow {
    let domain = like.upn.split('@').nth(1).unwrap();
    let user = UserRow {
        id: UserId::new(),
        upn: format!("{local}@{domain}"),
        display_name: local.to_string(),
        ..like.clone()
    };
    let mut tx = t.app.db.begin().await.unwrap();
    store::identity::insert_user(&mut tx, &user, roles)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    user
}

/// Provider P, resellers A, B and C, and 250 customers of P: "Alpha 000".."Alpha 149" and
/// "Beta 000".."Beta 099". Every third is P's own; the others come through A or B, except
/// the Betas that would come through A, which come through C (so C's group starts on the
/// second page). A serves every customer itself too.
struct Customers {
    p: Partner,
    a: Partner,
    c: Partner,
    names: Vec<String>,
}

async fn customers(t: &TestApp) -> Customers {
    let p = t.partner(true, false, "US").await;
    let a = t.partner(false, true, "US").await;
    let b = t.partner(false, true, "US").await;
    let c = t.partner(false, true, "US").await;
    partnerhub::app::fixtures::partnership(&t.app, p.tenant.id, a.tenant.id)
        .await
        .unwrap();
    let mut names = Vec::new();
    for i in 0..250 {
        let name = if i < 150 {
            format!("Alpha {i:03}")
        } else {
            format!("Beta {:03}", i - 150)
        };
        let customer = customer_named(t, &name).await;
        let via = match (i % 3, i < 150) {
            (0, _) => None,
            (1, true) => Some(a.tenant.id),
            (1, false) => Some(c.tenant.id),
            _ => Some(b.tenant.id),
        };
        serve(t, &customer, p.tenant.id, via).await;
        serve(t, &customer, a.tenant.id, None).await;
        names.push(name);
    }
    Customers { p, a, c, names }
}

fn headings(html: &str) -> Vec<String> {
    texts(html, "customer-group", "</h2>")
}

const CONTINUED: &str = "(continued from an earlier page)";

#[tokio::test]
async fn the_customer_list_pages_by_a_hundred_with_its_groups_and_its_search() {
    let t = TestApp::spawn().await;
    let w = customers(&t).await;
    let (cookie, _) = portal_session(&t, &w.p.admin.upn).await;

    // Grouped by reseller within a page, so the order inside a page is the groups'.
    let pages = walk(&t, &cookie, "/portal/customers", |h| {
        texts(h, "customer-link", "</a>")
    })
    .await;
    assert_walk(&pages, &w.names, true);
    let c_name = &w.c.tenant.display_name;
    let a_name = &w.a.tenant.display_name;
    // Page 1 starts every group; page 2 continues A, B and the direct group and starts C's;
    // page 3 continues C's.
    let first = headings(&pages[0].1);
    assert_eq!(first.len(), 3, "{first:?}");
    assert!(first.iter().all(|h| !h.contains(CONTINUED)), "{first:?}");
    let second = headings(&pages[1].1);
    assert_eq!(second.len(), 4, "{second:?}");
    for h in &second {
        assert_eq!(h.contains(CONTINUED), h != c_name, "{h}");
    }
    assert!(second.contains(&format!("{a_name} {CONTINUED}")));
    assert!(second.contains(&format!("Your customers {CONTINUED}")));
    let third = headings(&pages[2].1);
    assert!(
        third.contains(&format!("{c_name} {CONTINUED}")),
        "{third:?}"
    );
    assert_eq!(
        href_of(&pages[2].1, "pager-first").as_deref(),
        Some("/portal/customers")
    );

    // A search is kept on the next page's link (`walk` checks), and the pages hold only what
    // it finds.
    let alphas: Vec<String> = w.names[..150].to_vec();
    let found = walk(&t, &cookie, "/portal/customers?q=alpha", |h| {
        texts(h, "customer-link", "</a>")
    })
    .await;
    assert_walk(&found, &alphas, true);
    assert_eq!(
        href_of(&found[1].1, "pager-first").as_deref(),
        Some("/portal/customers?q=alpha")
    );
    // The search box still shows the search on the next page.
    assert!(found[1].1.contains("name=\"q\" value=\"alpha\""));
}

#[tokio::test]
async fn a_tampered_or_foreign_position_shows_the_first_page_with_a_message() {
    let t = TestApp::spawn().await;
    let w = customers(&t).await;
    let (cookie, _) = portal_session(&t, &w.p.admin.upn).await;
    let first = page(&t, &cookie, "/portal/customers").await;
    let first_rows = texts(&first, "customer-link", "</a>");
    assert!(!first.contains("pager-reset"));
    let next = href_of(&first, "pager-next").unwrap();
    let token = next
        .split("after=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let searched = page(&t, &cookie, "/portal/customers?q=alpha").await;
    let foreign = href_of(&searched, "pager-next").unwrap();
    let foreign_token = foreign
        .split("after=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let mut flipped = token.to_string();
    let last = flipped.pop().unwrap();
    flipped.push(if last == 'A' { 'B' } else { 'A' });
    for bad in [
        // The row number edited: the token is bound to it.
        next.replace("from=100", "from=7"),
        next.replace("from=100", "from=0"),
        next.replace("from=100", "from=x"),
        // The token edited, made up, or missing its row number.
        format!("/portal/customers?after={flipped}&from=100"),
        "/portal/customers?after=not-a-token&from=100".to_string(),
        format!("/portal/customers?after={token}"),
        // The search's position without the search, and the list's with another search.
        format!("/portal/customers?after={foreign_token}&from=100"),
        format!("/portal/customers?q=beta&after={token}&from=100"),
    ] {
        let html = page(&t, &cookie, &bad).await;
        assert!(html.contains("class=\"alert warn pager-reset\""), "{bad}");
        assert!(
            html.contains("the list starts again from the first page"),
            "{bad}"
        );
        assert_eq!(count_line(&html).split(' ').nth(1), Some("1–100"), "{bad}");
        assert!(href_of(&html, "pager-first").is_none(), "{bad}");
        if !bad.contains("q=beta") {
            assert_eq!(texts(&html, "customer-link", "</a>"), first_rows, "{bad}");
        }
    }
    // Another organisation's user cannot reuse the link either.
    let (other, _) = portal_session(&t, &w.a.admin.upn).await;
    let html = page(&t, &other, &next).await;
    assert!(html.contains("pager-reset"));
}

#[tokio::test]
async fn both_languages_show_the_pager() {
    let t = TestApp::spawn().await;
    let p = t.partner(true, false, "US").await;
    for i in 0..(PAGE + 5) {
        let c = customer_named(&t, &format!("Gamma {i:03}")).await;
        serve(&t, &c, p.tenant.id, None).await;
    }
    let (cookie, csrf) = portal_session(&t, &p.admin.upn).await;
    let en = page(&t, &cookie, "/portal/customers").await;
    assert_eq!(count_line(&en), "Showing 1–100 of 105");
    assert!(en.contains("aria-label=\"Pages of the list: Customers\""));
    assert_eq!(texts(&en, "pager-next", "</a>"), ["Next page"]);
    crate::portal_http::set_language(&t, &cookie, &csrf, "ko-KR").await;
    let ko = page(&t, &cookie, "/portal/customers").await;
    assert_eq!(count_line(&ko), "전체 105개 중 1–100번째 표시");
    assert!(ko.contains("aria-label=\"목록 페이지: "));
    assert_eq!(texts(&ko, "pager-next", "</a>"), ["다음 페이지"]);
    let next = href_of(&ko, "pager-next").unwrap();
    let second = page(&t, &cookie, &next).await;
    assert_eq!(count_line(&second), "전체 105개 중 101–105번째 표시");
    assert_eq!(texts(&second, "pager-first", "</a>"), ["첫 페이지"]);
    let bad = page(&t, &cookie, &next.replace("from=100", "from=3")).await;
    assert!(bad.contains("class=\"alert warn pager-reset\""));
    assert!(bad.contains("첫 페이지부터 다시"));
}

#[tokio::test]
async fn shared_customers_users_and_partners_page_to_the_end() {
    let t = TestApp::spawn().await;
    let w = customers(&t).await;
    let (cookie, _) = portal_session(&t, &w.p.admin.upn).await;

    // The customers P and A share: all 250, by name.
    let shared = format!("/portal/partnerships/{}/customers", w.a.tenant.id);
    let pages = walk(&t, &cookie, &shared, |h| {
        let list = &h[h.find("id=\"shared\"").unwrap()..];
        let list = &list[..list.find("</ul>").unwrap()];
        list.match_indices("<a ")
            .map(|(i, _)| {
                let rest = &list[i..];
                let rest = &rest[rest.find('>').unwrap() + 1..];
                unescape(&rest[..rest.find("</a>").unwrap()])
            })
            .collect()
    })
    .await;
    assert_walk(&pages, &w.names, false);

    // P's users: its administrator and 140 more, by sign-in name.
    let mut upns = vec![w.p.admin.upn.clone()];
    for i in 0..140 {
        upns.push(
            user_like(&t, &w.p.admin, &format!("u{i:03}"), &[])
                .await
                .upn,
        );
    }
    upns.sort();
    let pages = walk(&t, &cookie, "/portal/users", |h| texts(h, "upn", "</td>")).await;
    assert_walk(&pages, &upns, false);

    // P's indirect resellers: A and 120 more, by name.
    let mut names = vec![w.a.tenant.display_name.clone()];
    for i in 0..120 {
        let (tenant, admin) = partner_tenant(&t, &w.p.admin, &format!("Reseller {i:03}")).await;
        partnerhub::app::fixtures::make_partner(
            &t.app,
            &tenant,
            &admin,
            false,
            true,
            8_100_000 + i,
        )
        .await
        .unwrap();
        partnerhub::app::fixtures::partnership(&t.app, w.p.tenant.id, tenant.id)
            .await
            .unwrap();
        names.push(tenant.display_name);
    }
    names.sort_by_key(|n| n.to_lowercase());
    let pages = walk(&t, &cookie, "/portal/resellers", |h| {
        texts(h, "partner-name", "</td>")
    })
    .await;
    assert_walk(&pages, &names, false);
}

/// A partner organisation named `name` with an administrator like `like` (same password),
/// written straight to the store.
async fn partner_tenant(t: &TestApp, like: &UserRow, name: &str) -> (TenantRow, UserRow) {
    let row = tenant_named(t, name, TenantKind::Partner).await;
    let admin = UserRow {
        id: UserId::new(),
        tenant_id: row.id,
        upn: format!("admin@{}", row.domain),
        display_name: format!("{name} admin"),
        ..like.clone()
    };
    let mut tx = t.app.db.begin().await.unwrap();
    store::identity::insert_user(&mut tx, &admin, &[Role::AccountAdmin])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (row, admin)
}

#[tokio::test]
async fn the_catalog_and_the_invoices_page_to_the_end() {
    let t = TestApp::spawn().await;
    let p = t.partner(true, false, "US").await;
    let (cookie, _) = portal_session(&t, &p.admin.upn).await;

    // One product with 130 SKUs, each sold in the US and in Korea.
    let skus: Vec<serde_json::Value> = (0..130)
        .map(|i| {
            let market = |country: &str, currency: &str| {
                serde_json::json!({"id": format!("{country}-M"), "country": country, "currency": currency,
                    "segment": "commercial", "billingCycle": "monthly", "term": "P1M", "listPrice": "3.00"})
            };
            serde_json::json!({"id": format!("S{i:03}"), "title": format!("Seat {i:03}"),
                "minimumQuantity": 1, "maximumQuantity": 10,
                "availabilities": [market("US", "USD"), market("KR", "KRW")]})
        })
        .collect();
    let file = serde_json::json!({"products": [{"id": "PG", "title": "Paged Product",
        "description": "A product with many SKUs.", "productType": "license", "skus": skus}]});
    let file: partnerhub::app::commerce::CatalogFile = serde_json::from_value(file).unwrap();
    partnerhub::app::commerce::import_catalog(&t.app, None, &file)
        .await
        .unwrap();
    let items: Vec<String> = (0..130).map(|i| format!("PG:S{i:03}:KR-M")).collect();
    let pages = walk(&t, &cookie, "/portal/catalog?country=KR", |h| {
        texts(h, "catalog-id", "</td>")
    })
    .await;
    assert_walk(&pages, &items, false);

    // 105 invoices of P, one a month, newest first.
    let month = 31 * partnerhub::clock::DAY_MS;
    let mut ids = Vec::new();
    for i in 0..105i64 {
        let id = uuid::Uuid::now_v7().to_string();
        sqlx::query(
            "INSERT INTO invoices (id, provider_tenant_id, period_start, period_end, currency, total, created_at) \
             VALUES ($1, $2, $3, $4, 'USD', '10.00', $5)",
        )
        .bind(&id)
        .bind(p.tenant.id.to_string())
        .bind(i * month)
        .bind((i + 1) * month)
        .bind(now(&t))
        .execute(&t.app.db.write)
        .await
        .unwrap();
        ids.push(id);
    }
    ids.reverse();
    let pages = walk(&t, &cookie, "/portal/invoices", |h| {
        let needle = "href=\"/portal/invoices/";
        h.match_indices(needle)
            .map(|(i, _)| {
                let rest = &h[i + needle.len()..];
                rest[..rest.find('/').unwrap()].to_string()
            })
            .collect()
    })
    .await;
    assert_walk(&pages, &ids, false);
}

/// Waits until the pager's count says `text` (the page after a link was followed).
async fn count_becomes(b: &Browser, text: &str) -> anyhow::Result<()> {
    let mut seen = String::new();
    for _ in 0..200 {
        if let Ok(e) = b
            .client
            .find(fantoccini::Locator::Css("p.pager-count"))
            .await
        {
            seen = e.text().await.unwrap_or_default();
            if seen == text {
                return Ok(());
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    anyhow::bail!("the pager says {seen:?}, not {text:?}")
}

/// The Enter key, as WebDriver sends it.
const ENTER: &str = "\u{E007}";

#[tokio::test]
async fn the_pager_works_from_the_keyboard_and_passes_axe_core_in_both_languages() {
    let axe = axe_source();
    let t = TestApp::spawn().await;
    let w = customers(&t).await;
    let b = Browser::start("portal_paging", &t.base).await;
    let result = async {
        b.sign_in(&w.p.admin.upn).await?;
        let mut figures = Figures::default();
        for (lang, showing, next_page) in [
            ("en-US", "Showing 101–200 of 250", "Next page"),
            ("ko-KR", "전체 250개 중 101–200번째 표시", "다음 페이지"),
        ] {
            b.goto("/portal/customers").await?;
            b.click(&format!("#lang-select option[value='{lang}']"))
                .await?;
            b.click("#lang-submit").await?;
            b.wait(&format!("html[lang='{lang}']")).await?;
            b.goto("/portal/customers").await?;
            let nav = b.wait("nav.pager").await?;
            let label = nav.attr("aria-label").await?.unwrap_or_default();
            anyhow::ensure!(!label.is_empty(), "the pager has no name");
            // A real link, reached and followed with the keyboard.
            let next = b.wait("nav.pager a.pager-next").await?;
            anyhow::ensure!(next.text().await? == next_page);
            next.send_keys(ENTER).await?;
            count_becomes(&b, showing).await?;
            let second = b.client.current_url().await?;
            anyhow::ensure!(second.query().is_some_and(|q| q.contains("after=")));
            let second = format!("{}?{}", second.path(), second.query().unwrap_or_default());
            b.wait("nav.pager a.pager-first")
                .await?
                .send_keys(ENTER)
                .await?;
            count_becomes(&b, &showing.replace("101–200", "1–100")).await?;
            anyhow::ensure!(b.path().await? == "/portal/customers");
            let tampered = second.replace("from=100", "from=3");
            for path in ["/portal/customers", second.as_str(), tampered.as_str()] {
                scan(&b, &axe, lang, path, &mut figures).await?;
            }
            b.wait(".pager-reset").await?;
        }
        anyhow::ensure!(
            figures.failures.is_empty(),
            "{}",
            figures.failures.join("\n")
        );
        Ok(())
    }
    .await;
    b.finish(result).await;
}

#[tokio::test]
async fn invitations_page_beside_the_partners_and_the_mail_viewer_keeps_its_filter() {
    let t = TestApp::spawn().await;
    let w = customers(&t).await;
    let (cookie, _) = portal_session(&t, &w.p.admin.upn).await;
    // P's partnership invitations: 130, newest first (ids are time-ordered).
    let mut ids = Vec::new();
    for _ in 0..130 {
        let (s, inv) = t
            .post(
                "/v1/partnershipinvitations",
                &w.p.token,
                &serde_json::json!({}),
            )
            .await;
        assert_eq!(s, 201, "{inv}");
        ids.push(inv["id"].as_str().unwrap().to_string());
    }
    ids.reverse();
    let revoke_ids = |h: &str| -> Vec<String> {
        let needle = "action=\"/portal/resellers/invitations/";
        h.match_indices(needle)
            .map(|(i, _)| {
                let rest = &h[i + needle.len()..];
                rest[..rest.find('/').unwrap()].to_string()
            })
            .collect()
    };
    let first = page(&t, &cookie, "/portal/resellers").await;
    let next = href_of(&first, "pager-next").unwrap();
    assert!(next.starts_with("/portal/resellers?inv_after="), "{next}");
    let second = page(&t, &cookie, &next).await;
    let mut walked = revoke_ids(&first);
    walked.extend(revoke_ids(&second));
    assert_eq!(revoke_ids(&first).len(), PAGE);
    assert_eq!(walked, ids);
    assert!(href_of(&second, "pager-next").is_none());
    assert_eq!(
        href_of(&second, "pager-first").as_deref(),
        Some("/portal/resellers")
    );
    assert!(second.contains("Showing 101–130 of 130"));
    // The partner list beside them stays on its first page, with its own count.
    assert!(second.contains("Showing 1–1 of 1"));

    // Captured mail to two addresses; the viewer's address filter stays on its links.
    let (_, op) = t.tenant(TenantKind::Operator, &[Role::OperatorAdmin]).await;
    let (op_cookie, _) = portal_session(&t, &op.upn).await;
    let mut to_a = Vec::new();
    for i in 0..250i64 {
        let to = if i % 2 == 0 {
            "a@mail.example"
        } else {
            "b@mail.example"
        };
        let subject = format!("Mail {i:03}");
        sqlx::query(
            "INSERT INTO captured_mail (id, outbox_id, to_addr, subject, text_body, html_body, created_at) \
             VALUES ($1, $2, $3, $4, 'body', 'body', $5)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(to)
        .bind(&subject)
        .bind(1_000_000 + i)
        .execute(&t.app.db.write)
        .await
        .unwrap();
        if i % 2 == 0 {
            to_a.push(subject);
        }
    }
    to_a.reverse();
    let pages = walk(&t, &op_cookie, "/portal/mail?to=a%40mail.example", |h| {
        texts(h, "mail-subject", "</a>")
    })
    .await;
    assert_walk(&pages, &to_a, false);
}
