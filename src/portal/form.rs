//! Form helpers: decoded fields (repeated keys kept), and inputs that show their error.

use crate::domain::FieldError;
use maud::{html, Markup};

/// A decoded `application/x-www-form-urlencoded` body.
#[derive(Default, serde::Deserialize)]
#[serde(transparent)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    pub fn parse(body: &[u8]) -> FormData {
        FormData(serde_urlencoded::from_bytes(body).unwrap_or_default())
    }
    pub fn get(&self, k: &str) -> String {
        self.0
            .iter()
            .find(|(f, _)| f == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
    /// A free-text field without surrounding white space (never for passwords).
    pub fn trimmed(&self, k: &str) -> String {
        self.get(k).trim().to_string()
    }
    pub fn all(&self, k: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(f, _)| f == k)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

pub fn errors_for(errors: &[FieldError], field: &str) -> Markup {
    html! {
        @for e in errors.iter().filter(|e| e.field == field) {
            div.field-error data-field=(field) role="alert" { (e.message) }
        }
    }
}

/// A labelled input that keeps its value and shows its error underneath.
pub fn input(label: &str, name: &str, kind: &str, value: &str, errors: &[FieldError]) -> Markup {
    let invalid = errors.iter().any(|e| e.field == name);
    html! {
        label for=(name) { (label) }
        input id=(name) name=(name) type=(kind) value=(value) aria-invalid=[invalid.then_some("true")];
        (errors_for(errors, name))
    }
}

pub fn csrf(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}
