//! Human labels for the codes the domain stores (states, vetting reasons, billing cycles and
//! terms, roles, event names, audit operations, catalog product types), in the portal's
//! languages. Text lives in the i18n catalogs under one prefix per kind; a code without an
//! entry is shown humanised ("email_ownership" -> "Email ownership"), never raw.

use super::i18n::{has, t, tf};
use maud::{html, Markup};

fn lookup(lang: &str, prefix: &str, code: &str) -> String {
    let key = format!("{prefix}.{code}");
    if has(&key) {
        t(lang, &key)
    } else {
        humanise(code)
    }
}

/// "email_ownership" / "order-created" -> "Email ownership" / "Order created".
pub fn humanise(code: &str) -> String {
    let words = code.replace(['_', '-', '.'], " ");
    let mut c = words.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A state or status: subscriptions, partnerships, users, deliveries, grants, invitations.
pub fn state(lang: &str, code: &str) -> String {
    lookup(lang, "state", &code.to_ascii_lowercase())
}

/// How a state reads at a glance: the CSS intent of its pill.
pub fn intent(code: &str) -> &'static str {
    match code.to_ascii_lowercase().as_str() {
        "active" | "accepted" | "authorized" | "approved" | "delivered" | "enabled" | "won"
        | "closed" | "resolved" | "succeeded" | "paid" | "ok" => "ok",
        "pending"
        | "draft"
        | "suspended"
        | "under_review"
        | "more_info_needed"
        | "received"
        | "awaiting_email_verification"
        | "open"
        | "attention_needed"
        | "expiring"
        | "in_progress"
        | "new" => "warn",
        "failed" | "rejected" | "terminated" | "deleted" | "cancelled" | "canceled"
        | "disabled" | "declined" | "lost" | "breached" | "revoked" => "bad",
        _ => "neutral",
    }
}

/// A state as a pill: its label, coloured by intent, with the code kept for tests and scripts.
pub fn pill(lang: &str, code: &str) -> Markup {
    html! { span class={"pill " (intent(code))} data-code=(code) { (state(lang, code)) } }
}

/// Enrollment vetting as a sentence: "Pending: e-mail ownership".
pub fn vetting(lang: &str, (status, reason): (&str, &str)) -> String {
    if reason == "none" {
        return state(lang, status);
    }
    format!(
        "{}: {}",
        state(lang, status),
        lookup(lang, "reason", reason)
    )
}

/// ISO 8601 period ("P1M", "P1Y", "P3Y", "P30D") split into count and unit letter.
fn period(code: &str) -> Option<(u32, char)> {
    let rest = code.strip_prefix('P')?;
    let unit = rest.chars().last()?;
    let n = rest[..rest.len() - unit.len_utf8()].parse().ok()?;
    matches!(unit, 'D' | 'W' | 'M' | 'Y').then_some((n, unit))
}

/// A billing cycle: "P1M" -> "Monthly", "P1Y" -> "Annual", "none" -> "One-time".
pub fn billing_cycle(lang: &str, code: &str) -> String {
    let key = format!("cycle.{}", code.to_ascii_lowercase());
    if has(&key) {
        return t(lang, &key);
    }
    match period(code) {
        Some((1, 'M')) => t(lang, "cycle.monthly"),
        Some((1, 'Y')) => t(lang, "cycle.annual"),
        Some(_) => tf(lang, "cycle.every", &[("term", &term(lang, code))]),
        None => humanise(code),
    }
}

/// A term length: "P1M" -> "1 month", "P3Y" -> "3 years".
pub fn term(lang: &str, code: &str) -> String {
    match period(code) {
        Some((n, u)) => {
            let unit = match u {
                'D' => "day",
                'W' => "week",
                'M' => "month",
                _ => "year",
            };
            let plural = if n == 1 { "one" } else { "many" };
            tf(
                lang,
                &format!("term.{unit}.{plural}"),
                &[("n", &n.to_string())],
            )
        }
        None if code.eq_ignore_ascii_case("none") || code.is_empty() => t(lang, "term.none"),
        None => humanise(code),
    }
}

/// A directory or partner role ("user_administrator" -> "User administrator").
pub fn role(lang: &str, code: &str) -> String {
    if has(&format!("role.{code}")) {
        t(lang, &format!("role.{code}"))
    } else {
        lookup(lang, "grant", code)
    }
}

/// Roles as a list for a sentence ("User administrator, License administrator").
pub fn roles<'a>(lang: &str, codes: impl IntoIterator<Item = &'a str>) -> String {
    codes
        .into_iter()
        .map(|c| role(lang, c))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A webhook or notification event ("order-created" -> "Order placed").
pub fn event(lang: &str, name: &str) -> String {
    lookup(lang, "event", name)
}

/// An activity-log operation ("create_order" -> "Placed an order").
pub fn operation(lang: &str, op: &str) -> String {
    lookup(lang, "op", op)
}

/// The kind of record an activity-log entry is about ("partner_relationship" -> "Partnership").
pub fn resource(lang: &str, code: &str) -> String {
    lookup(lang, "resource", code)
}

/// The partner agreement's title and text in `lang` when the catalogs hold a translation of
/// that version (the stored text otherwise), and whether it is a translation.
pub fn agreement(lang: &str, version: &str, title: &str, body: &str) -> (String, String, bool) {
    let key = format!("agreement.text.{version}");
    let translated = super::i18n::normalize(lang) != "en-US" && has(&format!("{key}.body"));
    if translated {
        (
            t(lang, &format!("{key}.title")),
            t(lang, &format!("{key}.body")),
            true,
        )
    } else {
        (title.to_string(), body.to_string(), false)
    }
}

/// A catalog product type or term code ("OnlineServicesNCE" -> "Cloud subscription").
pub fn product_type(lang: &str, code: &str) -> String {
    lookup(lang, "product", code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::webhook::EVENTS;

    #[test]
    fn cycles_and_terms_read_as_words() {
        assert_eq!(billing_cycle("en-US", "P1M"), "Monthly");
        assert_eq!(billing_cycle("en-US", "P1Y"), "Annual");
        assert_eq!(billing_cycle("ko-KR", "P1M"), "월간");
        assert_eq!(billing_cycle("en-US", "none"), "One-time");
        assert_eq!(term("en-US", "P1M"), "1 month");
        assert_eq!(term("en-US", "P3Y"), "3 years");
        assert_eq!(term("ko-KR", "P3Y"), "3년");
        assert_eq!(billing_cycle("en-US", "P3Y"), "Every 3 years");
    }

    #[test]
    fn states_have_labels_and_intents() {
        assert_eq!(state("en-US", "active"), "Active");
        assert_eq!(state("ko-KR", "active"), "활성");
        assert_eq!(intent("active"), "ok");
        assert_eq!(intent("suspended"), "warn");
        assert_eq!(intent("terminated"), "bad");
        assert_eq!(intent("something_else"), "neutral");
        let p = pill("en-US", "suspended").into_string();
        assert!(p.contains("class=\"pill warn\""), "{p}");
        assert_eq!(
            vetting("en-US", ("pending", "email_ownership")),
            "Pending: E-mail ownership"
        );
        assert_eq!(vetting("en-US", ("none", "none")), "Not started");
    }

    #[test]
    fn unknown_codes_are_humanised_not_raw() {
        assert_eq!(operation("en-US", "brand_new_thing"), "Brand new thing");
        assert_eq!(role("en-US", "user_administrator"), "User administrator");
        assert_eq!(
            role("ko-KR", "license_administrator"),
            t("ko-KR", "grant.license_administrator")
        );
    }

    #[test]
    fn the_agreement_reads_in_korean_and_the_english_text_matches_the_stored_one() {
        let migration = include_str!("../../migrations/sqlite/0002_enrollment.sql");
        let (title, body, translated) = agreement("en-US", "2026-01", "stored", "stored body");
        assert_eq!((title.as_str(), translated), ("stored", false));
        assert_eq!(body, "stored body");
        let (title, body, translated) = agreement("ko-KR", "2026-01", "stored", "stored body");
        assert!(
            translated && title.contains("계약") && body.contains("기밀"),
            "{body}"
        );
        // The en-US catalog copy is the seeded text, so the translation follows the real one.
        let en = t("en-US", "agreement.text.2026-01.body").replace('\'', "''");
        assert!(
            migration.contains(&en),
            "en-US agreement text differs from the seeded one"
        );
        let (_, same, _) = agreement("ko-KR", "2099-01", "t", "b");
        assert_eq!(same, "b", "an untranslated version shows the stored text");
    }

    #[test]
    fn every_resource_kind_in_the_activity_log_has_a_label() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut dirs = vec![std::path::PathBuf::from(dir)];
        let mut found = 0;
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p);
                    continue;
                }
                let src = std::fs::read_to_string(&p).unwrap_or_default();
                for part in src.split("resource_type: \"").skip(1) {
                    let code = &part[..part.find('"').unwrap()];
                    assert!(
                        has(&format!("resource.{code}")),
                        "resource {code} has no label"
                    );
                    found += 1;
                }
            }
        }
        assert!(found > 20, "found {found}");
    }

    #[test]
    fn every_event_and_operation_has_a_label_in_both_languages() {
        for e in EVENTS {
            assert!(has(&format!("event.{e}")), "event {e} has no label");
            assert_ne!(
                t("ko-KR", &format!("event.{e}")),
                t("en-US", &format!("event.{e}"))
            );
        }
        // Every operation the audit log can record: the enum is the one list of them.
        let ops = crate::domain::audit::Operation::TEXTS;
        assert!(ops.len() > 40, "found {} operations: {ops:?}", ops.len());
        for op in ops {
            assert!(has(&format!("op.{op}")), "operation {op} has no label");
        }
    }
}
