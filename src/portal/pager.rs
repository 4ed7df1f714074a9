//! Paged portal lists: every list shows `PAGE_ROWS` rows at a time, a count of all matching
//! rows, and links to the next page and back to the first.
//!
//! The next link carries the same signed continuation token the API's `next` links carry
//! (`domain::paging`: the last row's sort key and id, bound to its list with an HMAC), so a
//! page costs what the first costs and a link cannot be forged. The token is bound to the
//! list, the caller's organisation, the list's filters and the number of rows before the
//! page (`from`), so the "rows 101-200" the page prints cannot be edited either. A token
//! that does not verify shows the first page with a message, never an error.

use super::i18n::{t, tf};
use super::session::url_escape;
use crate::app::App;
use crate::domain::paging::{self, Cursor};
use maud::{html, Markup};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// Rows on one page of every portal list.
pub const PAGE_ROWS: u32 = 100;

/// The paging part of a list's address: `after` (the token) and `from` (rows before the
/// page). Both are text, so the struct can be flattened into a list's own query.
#[derive(Deserialize, Default, Debug, Clone)]
pub struct At {
    pub after: Option<String>,
    pub from: Option<String>,
}

/// Where a page starts, read from its address and checked.
pub struct Start {
    cursor: Option<Cursor>,
    /// The token as the address carried it (kept on the links of another list of the page).
    token: Option<String>,
    /// Put before `after` and `from` when a page has two lists (`""` for the main one).
    prefix: &'static str,
    /// How many rows come before this page.
    from: u64,
    /// The list this page belongs to (its name, organisation and filters), hashed.
    list: String,
    /// The address named a position this list did not issue.
    refused: bool,
}

/// The fingerprint a token of `list` starting after `from` rows is signed with.
fn fingerprint(list: &str, from: u64) -> String {
    let digest = Sha256::digest(format!("portal|{list}|{from}").as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

impl Start {
    /// Reads the position of `list` from the address. `list` names the list and everything
    /// that changes its rows (organisation, filters): a token only works for its own list.
    pub fn read(app: &App, list: &str, at: &At) -> Start {
        Start::read_as(app, list, "", at)
    }

    /// [`Start::read`] for a second list on a page, whose parameters are `{prefix}after`
    /// and `{prefix}from` (`at` holds their values).
    pub fn read_as(app: &App, list: &str, prefix: &'static str, at: &At) -> Start {
        let first = |refused| Start {
            cursor: None,
            token: None,
            prefix,
            from: 0,
            list: list.to_string(),
            refused,
        };
        let token = at.after.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let Some(token) = token else {
            return first(false);
        };
        let from = at
            .from
            .as_deref()
            .and_then(|f| f.trim().parse::<u64>().ok());
        let Some(from) = from.filter(|f| *f > 0) else {
            return first(true);
        };
        match paging::decode(token, &app.keys.paging_secret, &fingerprint(list, from)) {
            Ok(cursor) => Start {
                cursor: Some(cursor),
                token: Some(token.to_string()),
                prefix,
                from,
                list: list.to_string(),
                refused: false,
            },
            Err(paging::BadToken) => first(true),
        }
    }

    /// Where a page at `at` would start, read before the list is known (the portal's session
    /// statement reads a page ahead, `app::seen`): `Some(None)` for the first page,
    /// `Some(Some(position))` for a position this server signed (for some list: the page
    /// checks it belongs to its own list before using what was read), `None` otherwise.
    pub fn signed_position(app: &App, at: &At) -> Option<Option<(String, String)>> {
        let Some(token) = at.after.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
            return Some(None);
        };
        let c = paging::decode_signed(token, &app.keys.paging_secret).ok()?;
        Some(Some((c.key, c.id)))
    }

    /// The position as the read use cases take it: the last shown row's sort key and id.
    pub fn position(&self) -> Option<(&str, &str)> {
        self.cursor
            .as_ref()
            .map(|c| (c.key.as_str(), c.id.as_str()))
    }

    /// For lists keyed by a time in milliseconds: the (time, id) the page continues from.
    /// Only a token this server signed for the list gets here, so its key is a time.
    pub fn timed(&self) -> Option<(i64, &str)> {
        self.cursor
            .as_ref()
            .map(|c| (c.key.parse::<i64>().unwrap_or(i64::MAX), c.id.as_str()))
    }

    /// How many rows to read: one more than a page, to know whether another page follows.
    pub fn fetch(&self) -> u32 {
        PAGE_ROWS + 1
    }

    /// Cuts `rows` (read with [`Start::fetch`]) to one page and says where the next one
    /// starts. `total` is how many rows the whole list has.
    pub fn finish<R>(
        self,
        app: &App,
        rows: &mut Vec<R>,
        total: i64,
        sort_key: impl Fn(&R) -> (String, String),
    ) -> Pager {
        let more = rows.len() > PAGE_ROWS as usize;
        rows.truncate(PAGE_ROWS as usize);
        let shown = rows.len() as u64;
        let next_from = self.from + shown;
        let next = rows.last().filter(|_| more).map(|last| {
            let (key, id) = sort_key(last);
            let cursor = Cursor {
                key,
                id,
                query: fingerprint(&self.list, next_from),
            };
            (paging::encode(&cursor, &app.keys.paging_secret), next_from)
        });
        Pager {
            from: self.from,
            shown,
            total,
            next,
            here: self.token.map(|t| (t, self.from)),
            prefix: self.prefix,
            refused: self.refused,
        }
    }
}

/// What a page shows of its place in the list.
pub struct Pager {
    from: u64,
    shown: u64,
    total: i64,
    /// The next page's token and how many rows come before it.
    next: Option<(String, u64)>,
    /// This page's token and row number (`None` on the first page).
    here: Option<(String, u64)>,
    prefix: &'static str,
    refused: bool,
}

/// `after` and `from` of a position, as query parameters.
fn params(prefix: &str, (token, from): &(String, u64)) -> String {
    format!("{prefix}after={}&{prefix}from={from}", url_escape(token))
}

/// `base` with `query` added.
fn with_query(base: &str, query: &str) -> String {
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}{query}")
}

impl Pager {
    /// Whether this is the list's first page.
    pub fn is_first(&self) -> bool {
        self.from == 0
    }

    /// The address of the next page, when there is one: `base` (the list's address with its
    /// filters) and the position.
    pub fn next_href(&self, base: &str) -> Option<String> {
        self.next
            .as_ref()
            .map(|next| with_query(base, &params(self.prefix, next)))
    }

    /// `base` with this page's position, for the links of another list on the same page
    /// (so paging one list keeps the other where it is).
    pub fn keep(&self, base: &str) -> String {
        match &self.here {
            Some(here) => with_query(base, &params(self.prefix, here)),
            None => base.to_string(),
        }
    }

    /// The message for a position this list did not issue, above the first page.
    pub fn notice(&self, lang: &str) -> Markup {
        html! {
            @if self.refused {
                div.alert.warn.pager-reset role="alert" { (t(lang, "pager.reset")) }
            }
        }
    }

    /// The count and the links: "Showing 101-200 of 1,234", first page, next page. `base` is
    /// the list's first page with its filters; `what` names the list for screen readers.
    pub fn nav(&self, lang: &str, base: &str, what: &str) -> Markup {
        if self.total <= 0 && self.shown == 0 && self.is_first() {
            return html! {};
        }
        let count = if self.shown == 0 {
            tf(lang, "pager.none_here", &[("total", &number(self.total))])
        } else {
            tf(
                lang,
                "pager.showing",
                &[
                    ("first", &number(self.from as i64 + 1)),
                    ("last", &number((self.from + self.shown) as i64)),
                    (
                        "total",
                        &number(self.total.max((self.from + self.shown) as i64)),
                    ),
                ],
            )
        };
        let label = tf(lang, "pager.label", &[("list", what)]);
        html! {
            nav.pager aria-label=(label) {
                p.pager-count { (count) }
                @if !self.is_first() || self.next.is_some() {
                    ul.pager-links {
                        @if !self.is_first() {
                            li { a.pager-first href=(base) { (t(lang, "pager.first")) } }
                        }
                        @if let Some(href) = self.next_href(base) {
                            li { a.pager-next rel="next" href=(href) { (t(lang, "pager.next")) } }
                        }
                    }
                }
            }
        }
    }
}

/// 12345 -> "12,345" (both languages group digits by thousands with a comma).
pub fn number(n: i64) -> String {
    super::dashboard_panels::number(n)
}

/// The query string of a list's first page: the filters that are set, escaped.
pub fn base(path: &str, filters: &[(&str, Option<&str>)]) -> String {
    let parts: Vec<String> = filters
        .iter()
        .filter_map(|(k, v)| {
            v.map(str::trim)
                .filter(|v| !v.is_empty())
                .map(|v| format!("{k}={}", url_escape(v)))
        })
        .collect();
    if parts.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", parts.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_page_keeps_only_the_filters_that_are_set() {
        assert_eq!(
            base("/portal/customers", &[("q", Some(" a&b ")), ("x", None)]),
            "/portal/customers?q=a%26b"
        );
        assert_eq!(base("/portal/users", &[("q", Some("  "))]), "/portal/users");
    }

    #[test]
    fn a_position_is_bound_to_its_list_and_its_row_number() {
        assert_ne!(fingerprint("users:a", 100), fingerprint("users:a", 200));
        assert_ne!(fingerprint("users:a", 100), fingerprint("users:b", 100));
        assert_eq!(fingerprint("users:a", 100), fingerprint("users:a", 100));
    }
}
