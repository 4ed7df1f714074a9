//! Flash messages: after a successful form the portal answers "303 See Other" to a page, and a
//! short message saying what happened waits for that one page view (post/redirect/get). The
//! message is a catalog key with its values, so it is shown in the language of the page that
//! shows it; a few actions carry a one-time detail (a new link, a secret, recovery codes) that
//! the page they land on shows once.

use super::i18n::{t, tf};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Flash {
    /// Catalog key of the message.
    pub key: String,
    /// `{name}` values of the message.
    #[serde(default)]
    pub args: Vec<(String, String)>,
    #[serde(default)]
    pub detail: Option<Detail>,
}

/// What some actions hand over once, beside their message.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum Detail {
    /// A link made for someone else, with the draft mail that carries it.
    Link {
        url: String,
        subject: String,
        body: String,
        sent_to: Option<String>,
    },
    /// A secret shown once (a webhook signing secret, a temporary password).
    Secret(String),
    /// Two-step verification recovery codes.
    Codes(Vec<String>),
}

impl Flash {
    /// A message that says an action succeeded.
    pub fn ok(key: &str) -> Flash {
        Flash {
            key: key.to_string(),
            args: Vec::new(),
            detail: None,
        }
    }
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Flash {
        self.args.push((name.to_string(), value.into()));
        self
    }
    pub fn detail(mut self, detail: Detail) -> Flash {
        self.detail = Some(detail);
        self
    }
    pub fn text(&self, lang: &str) -> String {
        let vars: Vec<(&str, &str)> = self
            .args
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        tf(lang, &self.key, &vars)
    }
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
    pub fn from_bytes(bytes: &[u8]) -> Option<Flash> {
        serde_json::from_slice(bytes).ok()
    }
}

/// Put on a response: the session layer keeps the message for the next page view.
#[derive(Clone)]
pub struct Leave(pub Flash);

/// The answer to a successful form: "303 See Other" to `to`, with `flash` for that page.
pub fn see_other(to: &str, flash: Flash) -> Response {
    let mut resp = Redirect::to(to).into_response();
    resp.extensions_mut().insert(Leave(flash));
    resp
}

/// The message at the top of a page (its detail is shown by the page it belongs to).
pub fn banner(lang: &str, flash: Option<&Flash>) -> Markup {
    html! {
        @if let Some(f) = flash {
            div.alert.ok #notice role="status" { (f.text(lang)) }
        }
    }
}

/// A one-time secret handed over by the flash, with the sentence that explains it.
pub fn secret_card(lang: &str, flash: Option<&Flash>, id: &str, intro_key: &str) -> Markup {
    html! {
        @if let Some(Detail::Secret(s)) = flash.and_then(|f| f.detail.as_ref()) {
            div.card.secret-card {
                p { (t(lang, intro_key)) }
                code id=(id) { (s) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_survives_its_round_trip_and_speaks_the_page_language() {
        let f = Flash::ok("users.added_flash").with("upn", "ann@example.com");
        let back = Flash::from_bytes(&f.to_bytes()).unwrap();
        assert_eq!(back, f);
        assert!(back.text("en-US").contains("ann@example.com"));
        assert_ne!(back.text("en-US"), back.text("ko-KR"));
        assert!(Flash::from_bytes(b"not json").is_none());
    }
}
