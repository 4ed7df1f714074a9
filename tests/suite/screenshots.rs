//! Screenshots of the main pages for each kind of user in both languages, saved under
//! 1280x800. Every run takes them and checks each is a real image of the page; the normal run
//! keeps them under target/screenshots, and scripts/screenshots.sh points
//! `PARTNERHUB_SCREENSHOTS_DIR` at docs/screenshots/ to refresh the committed ones.

use crate::accessibility::{consent_link, demo_app, enter, LANGS, VISITORS};
use crate::support::browser::Browser;

/// Pages per visitor ("record" stands for the first customer record of the list, "admin" for
/// its administration area, "consent" for the consent page of a new relationship request).
fn pages(who: &str) -> &'static [&'static str] {
    match who {
        "signed-out" => &[
            "/portal/signin",
            "/portal/enroll",
            "/portal/enroll/tenant",
            "consent",
        ],
        "operator" => &[
            "/portal",
            "/portal/operator/enrollments",
            "/portal/audit",
            "/portal/mail",
        ],
        "provider" => &[
            "/portal",
            "/portal/resellers",
            "/portal/customers",
            "/portal/catalog",
            "/portal/invoices",
            "/portal/listing",
        ],
        "reseller" => &[
            "/portal",
            "/portal/providers",
            "/portal/customers",
            "record",
            "admin",
            "/portal/support",
            "/portal/mfa",
            "/portal/agreement",
        ],
        _ => &[
            "/portal",
            "/portal/customer/partners",
            "/portal/users",
            "consent",
        ],
    }
}

fn file_name(who: &str, path: &str, lang: &str) -> String {
    let page = path
        .trim_start_matches("/portal")
        .trim_matches('/')
        .replace('/', "-");
    let page = if page.is_empty() {
        "dashboard".to_string()
    } else {
        page
    };
    format!("{who}-{page}-{lang}.png")
}

#[tokio::test]
async fn screenshots_of_the_main_pages() {
    let out = match std::env::var_os("PARTNERHUB_SCREENSHOTS_DIR") {
        Some(dir) => std::path::PathBuf::from(dir),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots"),
    };
    std::fs::create_dir_all(&out).unwrap();
    let t = demo_app().await;
    let mut saved = 0;
    for (who, upn) in VISITORS {
        for lang in LANGS {
            let b = Browser::start(&format!("shots_{who}_{lang}"), &t.base).await;
            let result = async {
                enter(&b, *upn, lang).await?;
                // The window's frame takes some height: size it so the page itself is 1280x800.
                let frame = b
                    .client
                    .execute("return window.outerHeight - window.innerHeight", vec![])
                    .await?
                    .as_u64()
                    .unwrap_or(0) as u32;
                b.client.set_window_size(1280, 800 + frame).await?;
                for path in pages(who) {
                    let (path, name) = if *path == "record" {
                        b.goto("/portal/customers").await?;
                        b.click("main table a[href^='/portal/customers/']").await?;
                        (b.path().await?, file_name(who, "customer-record", lang))
                    } else if *path == "admin" {
                        b.goto("/portal/customers").await?;
                        b.click("main table a[href^='/portal/customers/']").await?;
                        b.click("#admin-link").await?;
                        b.wait("#cadmin-title").await?;
                        (b.path().await?, file_name(who, "customer-admin", lang))
                    } else if *path == "consent" {
                        let link = consent_link(&t).await;
                        b.goto(&link).await?;
                        b.wait("#consent-page").await?;
                        (
                            "/portal/customer/accept".to_string(),
                            file_name(who, "consent", lang),
                        )
                    } else {
                        b.goto(path).await?;
                        (path.to_string(), file_name(who, path, lang))
                    };
                    b.wait("main, body").await?;
                    let png = b.client.screenshot().await?;
                    // A PNG of the whole 1280x800 page, not an empty or broken capture.
                    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{name} is not a PNG");
                    assert!(png.len() > 10_000, "{name} is only {} bytes", png.len());
                    std::fs::write(out.join(&name), png)?;
                    println!("{name} <- {path}");
                    saved += 1;
                }
                Ok(())
            }
            .await;
            b.finish(result).await;
        }
    }
    let expected: usize = VISITORS
        .iter()
        .map(|(who, _)| pages(who).len() * LANGS.len())
        .sum();
    assert_eq!(
        saved, expected,
        "every page of every visitor in both languages"
    );
    println!("{saved} screenshots in {}", out.display());
}
