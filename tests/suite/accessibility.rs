//! Every main portal page, for each kind of user and in both languages, scanned with axe-core
//! (npm, pinned by scripts/install-axe.sh) inside headless Chromium: no serious or critical
//! violation, no console error (script errors, CSP refusals, failed loads) and no catalog key
//! shown in place of a text, anywhere.

use crate::support::browser::Browser;
use crate::support::TestApp;
use partnerhub::cli::demo;
use std::collections::BTreeMap;

/// The people of the demo world the scan signs in as (None: signed out).
pub const VISITORS: &[(&str, Option<&str>)] = &[
    ("signed-out", None),
    ("operator", Some("admin@operator.example")),
    ("provider", Some("admin@northwind.example")),
    ("reseller", Some("admin@contoso.example")),
    ("customer", Some("admin@adatum.example")),
];

pub const LANGS: [&str; 2] = ["en-US", "ko-KR"];

pub fn axe_source() -> String {
    let path = std::env::var("AXE_JS").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/target/npm/node_modules/axe-core/axe.min.js"
        )
        .to_string()
    });
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("axe-core not found at {path} ({e}): run scripts/install-axe.sh (scripts/install-deps.sh calls it)")
    })
}

/// A test app with the demo world loaded.
pub async fn demo_app() -> TestApp {
    let t = TestApp::spawn().await;
    demo::load(&t.app).await.expect("demo world loads");
    t
}

/// A new relationship request from Contoso with its provider Northwind asking for two
/// delegated roles: the address (path and token) of its consent page, still unanswered.
pub async fn consent_link(t: &TestApp) -> String {
    let (status, token) = t
        .token_response("admin@contoso.example", demo::PASSWORD)
        .await;
    assert_eq!(status, 200, "{token}");
    let token = token["access_token"].as_str().unwrap().to_string();
    let (_, providers) = t
        .get(
            "/v1/relationships?relationship_type=IsIndirectResellerOf",
            &token,
        )
        .await;
    let northwind = providers["items"]
        .as_array()
        .and_then(|all| all.iter().find(|p| p["name"] == "Northwind Distribution"))
        .unwrap_or_else(|| panic!("Contoso's provider Northwind: {providers}"))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, req) = t
        .post(
            "/v1/customers/relationshiprequests",
            &token,
            &serde_json::json!({"indirectCloudSolutionProviderId": northwind,
                "roles": ["user_administrator", "license_administrator"], "durationDays": 90}),
        )
        .await;
    assert_eq!(status, 201, "{req}");
    let url = req["url"].as_str().unwrap();
    url[url.find("/portal/").unwrap()..].to_string()
}

/// Signs in (or stays signed out) and switches the portal language.
pub async fn enter(b: &Browser, upn: Option<&str>, lang: &str) -> anyhow::Result<()> {
    if let Some(upn) = upn {
        b.goto("/portal/signin").await?;
        b.fill("#upn", upn).await?;
        b.fill("#password", demo::PASSWORD).await?;
        b.click("#signin-submit").await?;
        b.wait("#welcome").await?;
    } else {
        b.goto("/portal/signin").await?;
    }
    b.click(&format!("#lang-select option[value='{lang}']"))
        .await?;
    b.click("#lang-submit").await?;
    b.wait(&format!("html[lang='{lang}']")).await?;
    Ok(())
}

/// The main pages a visitor reaches: the menu, plus the first record behind list pages.
pub async fn main_pages(b: &Browser, signed_in: bool) -> anyhow::Result<Vec<String>> {
    let mut pages: Vec<String> = if signed_in {
        vec!["/portal".into(), "/portal/mfa".into()]
    } else {
        vec!["/portal/signin".into(), "/portal/enroll/tenant".into()]
    };
    b.goto(if signed_in {
        "/portal"
    } else {
        "/portal/signin"
    })
    .await?;
    let menu = b
        .client
        .execute(
            "return Array.from(document.querySelectorAll('#menu a')).map(a => a.getAttribute('href'))",
            vec![],
        )
        .await?;
    for href in menu.as_array().into_iter().flatten() {
        if let Some(h) = href.as_str() {
            if !pages.iter().any(|p| p == h) {
                pages.push(h.to_string());
            }
        }
    }
    // One record behind each list that has one (customer, subscription, request...).
    let mut details = Vec::new();
    for list in [
        "/portal/customers",
        "/portal/support",
        "/portal/operator/enrollments",
    ] {
        if !pages.iter().any(|p| p == list) {
            continue;
        }
        b.goto(list).await?;
        let first = b
            .client
            .execute(
                "const a = document.querySelector('main table a[href^=\"' + arguments[0] + '/\"]'); return a ? a.getAttribute('href') : null",
                vec![serde_json::json!(list)],
            )
            .await?;
        if let Some(h) = first.as_str() {
            details.push(h.to_string());
        }
    }
    // A customer record's administration area (users, seats, subscriptions, orders), one of
    // its users, and the page a generated password is shown on (here: already shown).
    let mut admin = Vec::new();
    for d in details
        .iter()
        .filter(|d| d.starts_with("/portal/customers/"))
    {
        b.goto(d).await?;
        let link = b
            .client
            .execute(
                "const a = document.getElementById('admin-link'); return a ? a.getAttribute('href') : null",
                vec![],
            )
            .await?;
        let Some(area) = link.as_str() else { continue };
        b.goto(area).await?;
        let user = b
            .client
            .execute(
                "const a = document.querySelector('a.user-link'); return a ? a.getAttribute('href') : null",
                vec![],
            )
            .await?;
        admin.push(area.to_string());
        admin.extend(user.as_str().map(str::to_string));
        admin.push(format!("{area}/password"));
    }
    pages.extend(details);
    pages.extend(admin);
    Ok(pages)
}

#[derive(Default)]
pub struct Figures {
    pub pages: usize,
    by_impact: BTreeMap<String, usize>,
    by_rule: BTreeMap<String, usize>,
    pub failures: Vec<String>,
}

/// Opens `path`, runs axe-core on it and counts its violations, untranslated catalog keys
/// and console errors into `f` (serious and critical ones as failures).
pub async fn scan(
    b: &Browser,
    axe: &str,
    label: &str,
    path: &str,
    f: &mut Figures,
) -> anyhow::Result<()> {
    b.goto(path).await?;
    b.wait("body").await?;
    b.client.execute(axe, vec![]).await?;
    let result = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
                .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3) }))))
                .catch(e => done([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }]));",
            vec![],
        )
        .await?;
    f.pages += 1;
    for v in result.as_array().into_iter().flatten() {
        let impact = v["impact"].as_str().unwrap_or("unknown").to_string();
        *f.by_impact.entry(impact.clone()).or_default() += 1;
        let rule = format!("{impact}:{}", v["id"].as_str().unwrap_or_default());
        *f.by_rule.entry(rule).or_default() += 1;
        if impact == "serious" || impact == "critical" {
            f.failures.push(format!(
                "{label} {path}: {impact} {} ({}) at {}",
                v["id"].as_str().unwrap_or_default(),
                v["help"].as_str().unwrap_or_default(),
                v["nodes"]
            ));
        }
    }
    // A catalog key on screen means a text with no translation ("dashboard.welcome").
    let keys = b
        .client
        .execute(
            "return (document.body.innerText.match(/(^|\\s)[a-z]+(\\.[a-z0-9_]+)+(?=\\s|$)/g) || [])
                .map(s => s.trim()).filter(s => !/\\.(example|com|org|net|kr|json|csv)$/.test(s))",
            vec![],
        )
        .await?;
    for k in keys.as_array().into_iter().flatten() {
        *f.by_impact.entry("untranslated-key".into()).or_default() += 1;
        f.failures
            .push(format!("{label} {path}: untranslated key on screen: {k}"));
    }
    for e in b.console_errors().await? {
        *f.by_impact.entry("console-error".into()).or_default() += 1;
        f.failures
            .push(format!("{label} {path}: console error: {e}"));
    }
    Ok(())
}

#[tokio::test]
async fn every_main_page_passes_axe_core_and_logs_no_console_error() {
    let axe = axe_source();
    let t = demo_app().await;
    let mut figures = Figures::default();
    for (who, upn) in VISITORS {
        for lang in LANGS {
            let label = format!("{who}/{lang}");
            let b = Browser::start(&format!("a11y_{who}_{lang}"), &t.base).await;
            let result = async {
                enter(&b, *upn, lang).await?;
                b.console_errors().await?;
                let mut pages = main_pages(&b, upn.is_some()).await?;
                // The consent page of a relationship request, as whoever opens the link sees it.
                if matches!(*who, "signed-out" | "customer") {
                    pages.push(consent_link(&t).await);
                }
                for path in pages {
                    scan(&b, &axe, &label, &path, &mut figures).await?;
                }
                Ok(())
            }
            .await;
            b.finish(result).await;
        }
    }
    println!(
        "axe-core: {} pages scanned, violations by impact: {:?}, by rule: {:?}",
        figures.pages, figures.by_impact, figures.by_rule
    );
    assert!(figures.pages >= 40, "scanned {} pages", figures.pages);
    assert!(
        figures.failures.is_empty(),
        "{} serious/critical violations or console errors:\n{}",
        figures.failures.len(),
        figures.failures.join("\n")
    );
}
