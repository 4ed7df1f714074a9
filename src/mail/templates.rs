//! Mail templates: a subject and a plain-text body per language, with `{name}` placeholders.
//! The HTML part is built from the text (escaped, links made clickable), so the two never
//! disagree.

use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

#[derive(Debug, Clone, Deserialize)]
struct Text {
    subject: String,
    text: String,
}

type Catalog = HashMap<String, Text>;

pub const LANGUAGES: [&str; 2] = ["en-US", "ko-KR"];

/// Every mail the product sends. A name is checked by the compiler, and the test
/// `every_template_is_in_every_catalog` checks each one has a text in every language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Template {
    UserAdded,
    UserRolesChanged,
    TestMessage,
    EnrollmentVerify,
    EnrollmentUnderReview,
    EnrollmentMoreInfo,
    EnrollmentAuthorized,
    EnrollmentRejected,
    PartnershipInvitation,
    PartnershipCreated,
    PartnershipEnded,
    ProviderAdminRevoked,
    CustomerInvitation,
    CustomerAccepted,
    CustomerDeclined,
    CustomerRelationshipEnded,
    GrantExpiring,
    GrantExpired,
    CustomerCreated,
    OrderCreated,
    Notification,
    NotificationDigest,
    ReferralReceived,
    ReferralUpdated,
    ServicerequestCreated,
    ServicerequestUpdated,
    ServicerequestEscalated,
    ServicerequestSlaWarning,
    ServicerequestBreached,
}

impl Template {
    pub const ALL: [Template; 29] = [
        Template::UserAdded,
        Template::UserRolesChanged,
        Template::TestMessage,
        Template::EnrollmentVerify,
        Template::EnrollmentUnderReview,
        Template::EnrollmentMoreInfo,
        Template::EnrollmentAuthorized,
        Template::EnrollmentRejected,
        Template::PartnershipInvitation,
        Template::PartnershipCreated,
        Template::PartnershipEnded,
        Template::ProviderAdminRevoked,
        Template::CustomerInvitation,
        Template::CustomerAccepted,
        Template::CustomerDeclined,
        Template::CustomerRelationshipEnded,
        Template::GrantExpiring,
        Template::GrantExpired,
        Template::CustomerCreated,
        Template::OrderCreated,
        Template::Notification,
        Template::NotificationDigest,
        Template::ReferralReceived,
        Template::ReferralUpdated,
        Template::ServicerequestCreated,
        Template::ServicerequestUpdated,
        Template::ServicerequestEscalated,
        Template::ServicerequestSlaWarning,
        Template::ServicerequestBreached,
    ];
    /// The template's key in the catalogs.
    pub fn as_str(self) -> &'static str {
        match self {
            Template::UserAdded => "user_added",
            Template::UserRolesChanged => "user_roles_changed",
            Template::TestMessage => "test_message",
            Template::EnrollmentVerify => "enrollment_verify",
            Template::EnrollmentUnderReview => "enrollment_under_review",
            Template::EnrollmentMoreInfo => "enrollment_more_info",
            Template::EnrollmentAuthorized => "enrollment_authorized",
            Template::EnrollmentRejected => "enrollment_rejected",
            Template::PartnershipInvitation => "partnership_invitation",
            Template::PartnershipCreated => "partnership_created",
            Template::PartnershipEnded => "partnership_ended",
            Template::ProviderAdminRevoked => "provider_admin_revoked",
            Template::CustomerInvitation => "customer_invitation",
            Template::CustomerAccepted => "customer_accepted",
            Template::CustomerDeclined => "customer_declined",
            Template::CustomerRelationshipEnded => "customer_relationship_ended",
            Template::GrantExpiring => "grant_expiring",
            Template::GrantExpired => "grant_expired",
            Template::CustomerCreated => "customer_created",
            Template::OrderCreated => "order_created",
            Template::Notification => "notification",
            Template::NotificationDigest => "notification_digest",
            Template::ReferralReceived => "referral_received",
            Template::ReferralUpdated => "referral_updated",
            Template::ServicerequestCreated => "servicerequest_created",
            Template::ServicerequestUpdated => "servicerequest_updated",
            Template::ServicerequestEscalated => "servicerequest_escalated",
            Template::ServicerequestSlaWarning => "servicerequest_sla_warning",
            Template::ServicerequestBreached => "servicerequest_breached",
        }
    }
}

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

/// Renders a template in `lang` (falling back to en-US for a language or text it lacks).
pub fn render(template: Template, lang: &str, vars: &BTreeMap<&str, String>) -> Rendered {
    let name = template.as_str();
    let lang = if LANGUAGES.contains(&lang) {
        lang
    } else {
        "en-US"
    };
    let t = catalogs()[lang]
        .get(name)
        .or_else(|| catalogs()["en-US"].get(name))
        .expect("every template has an en-US text (every_template_is_in_every_catalog)");
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
    fn every_template_is_in_every_catalog() {
        let mut named: Vec<String> = Template::ALL
            .iter()
            .map(|t| t.as_str().to_string())
            .collect();
        named.sort();
        for lang in LANGUAGES {
            assert_eq!(
                template_names(lang),
                named,
                "{lang}: catalog and Template agree"
            );
        }
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
        let en = render(Template::GrantExpiring, "en-US", &vars);
        assert!(
            en.text
                .contains("User administrator, License administrator"),
            "{}",
            en.text
        );
        let ko = render(Template::GrantExpiring, "ko-KR", &vars);
        assert!(!ko.text.contains("user_administrator"), "{}", ko.text);
        assert!(ko.text.contains("사용자 관리자"), "{}", ko.text);
    }

    #[test]
    fn renders_vars_and_escapes_html() {
        let mut vars = BTreeMap::new();
        vars.insert("url", "http://x.example/a?b=1".to_string());
        let r = render(Template::TestMessage, "ko-KR", &vars);
        assert!(r.subject.contains("테스트"));
        assert!(r.text.contains("http://x.example/a?b=1"));
        assert!(r.html.contains("<a href=\"http://x.example/a?b=1\">"));
        let mut vars = BTreeMap::new();
        vars.insert("url", "<script>".to_string());
        let r = render(Template::TestMessage, "en-US", &vars);
        assert!(r.html.contains("&lt;script&gt;"));
        assert!(!r.html.contains("<script>"));
    }
}
