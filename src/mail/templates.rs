//! Mail templates: a subject and a plain-text body per language, with `{name}` placeholders.
//! The HTML part is built from the text (escaped, links made clickable), so the two never
//! disagree.

use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

#[derive(Debug, Clone, Deserialize)]
struct Template {
    subject: String,
    text: String,
}

type Catalog = HashMap<String, Template>;

pub const LANGUAGES: [&str; 2] = ["en-US", "ko-KR"];

fn catalogs() -> &'static HashMap<&'static str, Catalog> {
    static C: OnceLock<HashMap<&'static str, Catalog>> = OnceLock::new();
    C.get_or_init(|| {
        let mut m = HashMap::new();
        m.insert(
            "en-US",
            serde_json::from_str(include_str!("templates/en-US.json")).expect("en-US mail catalog"),
        );
        m.insert(
            "ko-KR",
            serde_json::from_str(include_str!("templates/ko-KR.json")).expect("ko-KR mail catalog"),
        );
        m
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn fill(template: &str, vars: &BTreeMap<&str, String>) -> String {
    let mut out = template.to_string();
    for (k, v) in vars {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

/// Renders a template in `lang` (falling back to en-US). Panics on an unknown template name:
/// names are fixed in code and covered by tests.
pub fn render(name: &str, lang: &str, vars: &BTreeMap<&str, String>) -> Rendered {
    let lang = if LANGUAGES.contains(&lang) {
        lang
    } else {
        "en-US"
    };
    let t = catalogs()[lang]
        .get(name)
        .or_else(|| catalogs()["en-US"].get(name))
        .unwrap_or_else(|| panic!("unknown mail template {name}"));
    let vars = with_role_labels(lang, vars);
    let subject = fill(&t.subject, &vars);
    let text = fill(&t.text, &vars);
    let html = to_html(&subject, &text);
    Rendered {
        subject,
        text,
        html,
    }
}

/// Role codes in the `roles` and `access` values become the role names of the mail's
/// language ("user_administrator" -> "User administrator"): a reader never sees a code.
fn with_role_labels<'a>(lang: &str, vars: &BTreeMap<&'a str, String>) -> BTreeMap<&'a str, String> {
    use crate::domain::customer::GrantRole;
    use crate::domain::identity::Role;
    let codes: Vec<&str> = Role::ALL
        .iter()
        .map(|r| r.as_str())
        .chain(GrantRole::ALL.iter().map(|r| r.as_str()))
        .collect();
    let mut out = vars.clone();
    for key in ["roles", "access"] {
        if let Some(v) = out.get_mut(key) {
            for code in &codes {
                if v.contains(code) {
                    *v = v.replace(code, &crate::portal::labels::role(lang, code));
                }
            }
        }
    }
    out
}

fn to_html(subject: &str, text: &str) -> String {
    let paragraphs: Vec<&str> = text.split("\n\n").collect();
    maud::html! {
        (maud::DOCTYPE)
        html {
            head { meta charset="utf-8"; title { (subject) } }
            body style="font-family: sans-serif; line-height: 1.5" {
                @for p in &paragraphs {
                    p {
                        @for (i, line) in p.lines().enumerate() {
                            @if i > 0 { br; }
                            @for word in line.split(' ') {
                                @if word.starts_with("http://") || word.starts_with("https://") {
                                    a href=(word) { (word) } " "
                                } @else {
                                    (word) " "
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    .into_string()
}

pub fn template_names(lang: &str) -> Vec<String> {
    let mut v: Vec<String> = catalogs()[lang].keys().cloned().collect();
    v.sort();
    v
}

/// The API call that does what a mailed link does, with the link's token in it, so an
/// integrator needs no portal: `POST <base><path> {"token": "...", ...}`.
pub fn api_call(base: &str, path: &str, token: &str, extra: &str) -> String {
    format!("POST {base}{path} {{\"token\": \"{token}\"{extra}}}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_exists_in_every_language() {
        assert_eq!(template_names("en-US"), template_names("ko-KR"));
    }

    #[test]
    fn role_codes_in_mail_read_as_role_names_in_the_mail_language() {
        let mut vars = BTreeMap::new();
        vars.insert(
            "roles",
            "user_administrator, license_administrator".to_string(),
        );
        vars.insert("partner", "Contoso".to_string());
        vars.insert("customer", "Adatum".to_string());
        vars.insert("date", "2027-01-01".to_string());
        let en = render("grant_expiring", "en-US", &vars);
        assert!(
            en.text
                .contains("User administrator, License administrator"),
            "{}",
            en.text
        );
        let ko = render("grant_expiring", "ko-KR", &vars);
        assert!(!ko.text.contains("user_administrator"), "{}", ko.text);
        assert!(ko.text.contains("사용자 관리자"), "{}", ko.text);
    }

    #[test]
    fn renders_vars_and_escapes_html() {
        let mut vars = BTreeMap::new();
        vars.insert("url", "http://x.example/a?b=1".to_string());
        let r = render("test_message", "ko-KR", &vars);
        assert!(r.subject.contains("테스트"));
        assert!(r.text.contains("http://x.example/a?b=1"));
        assert!(r.html.contains("<a href=\"http://x.example/a?b=1\">"));
        let mut vars = BTreeMap::new();
        vars.insert("url", "<script>".to_string());
        let r = render("test_message", "en-US", &vars);
        assert!(r.html.contains("&lt;script&gt;"));
        assert!(!r.html.contains("<script>"));
    }
}
