//! Text spliced into a page a run at a time.
//!
//! maud escapes a spliced string one byte at a time, each byte a push onto the page. A page
//! of a hundred customers splices several hundred names, domains and ids, and that loop was
//! a twentieth of the server's time for the customer list. [`Text`] escapes the same
//! characters (`&`, `<`, `>`, `"`) but copies the runs between them whole, and [`Id`] writes
//! an id, whose text never needs escaping, straight from a stack buffer.

use crate::domain::ids::TenantId;
use maud::Render;

/// A string escaped for an element's text or a double-quoted attribute.
pub struct Text<'a>(pub &'a str);

impl Render for Text<'_> {
    fn render_to(&self, out: &mut String) {
        escape_into(self.0, out);
    }
}

/// A tenant id as its hyphenated lower-case text.
pub struct Id(pub TenantId);

impl Render for Id {
    fn render_to(&self, out: &mut String) {
        let mut buf = uuid::Uuid::encode_buffer();
        out.push_str(self.0 .0.hyphenated().encode_lower(&mut buf));
    }
}

/// Appends `s` to `out` with the characters that could end a text or an attribute value
/// written as entities.
pub fn escape_into(s: &str, out: &mut String) {
    out.reserve(s.len());
    let mut run = 0;
    for (i, b) in s.bytes().enumerate() {
        let entity = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => continue,
        };
        out.push_str(&s[run..i]);
        out.push_str(entity);
        run = i + 1;
    }
    out.push_str(&s[run..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maud_escaped(s: &str) -> String {
        maud::html! { (s) }.into_string()
    }

    #[test]
    fn text_is_escaped_as_maud_escapes_it() {
        for s in [
            "",
            "plain",
            "<script>alert(\"x\")</script>",
            "a & b > c < d",
            "&&<<>>\"\"",
            "ends with &",
            "\"starts",
            "Ünïcödé 한국어 🚀 & <b>",
            "'single' quotes stay",
        ] {
            let mut ours = String::new();
            escape_into(s, &mut ours);
            assert_eq!(ours, maud_escaped(s), "{s:?}");
            assert_eq!(maud::html! { (Text(s)) }.into_string(), ours);
        }
    }

    #[test]
    fn an_id_renders_as_its_display_text() {
        let id = TenantId::new();
        assert_eq!(maud::html! { (Id(id)) }.into_string(), id.to_string());
    }
}
