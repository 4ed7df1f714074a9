//! Following a collection to its end the way a client of the public API does: each page's
//! `next` link, sent with the continuation it names in `MS-ContinuationToken`.

use super::TestApp;
use serde_json::Value;

/// More pages than any test's list has: a continuation that never ends fails here.
const MAX_PAGES: usize = 200;

/// Every page of the collection that starts at `first`, in the order served. Checks what any
/// page must satisfy: it answers 200, holds at most `size` items, and a `next` link comes only
/// after a page with items and names the `MS-ContinuationToken` header.
pub async fn pages(t: &TestApp, token: &str, first: &str, size: usize) -> Vec<Value> {
    let mut out = Vec::new();
    let mut next: Option<(String, String)> = None;
    for _ in 0..MAX_PAGES {
        let (uri, tok) = next.take().unwrap_or((first.to_string(), String::new()));
        let mut req = t.http.get(t.url(&uri)).bearer_auth(token);
        if !tok.is_empty() {
            req = req.header("MS-ContinuationToken", tok);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 200, "{uri}");
        let page: Value = r.json().await.unwrap();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= size, "{uri}: a page holds at most its size");
        if let Some(n) = page["links"].get("next").filter(|n| !n.is_null()) {
            assert_eq!(n["headers"][0]["key"], "MS-ContinuationToken", "{uri}");
            assert!(
                !items.is_empty(),
                "{uri}: a page that links a next page holds items"
            );
            next = Some((
                n["uri"].as_str().unwrap().to_string(),
                n["headers"][0]["value"].as_str().unwrap().to_string(),
            ));
        }
        out.push(page);
        if next.is_none() {
            return out;
        }
    }
    panic!("{first}: the continuation never ended");
}

/// An item's key: a member, or a JSON pointer (`/productSku/id`).
pub fn item_key(item: &Value, key: &str) -> String {
    let v = if key.starts_with('/') {
        item.pointer(key).cloned().unwrap_or(Value::Null)
    } else {
        item[key].clone()
    };
    match v {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

/// Walks the collection from `first` (which asks for pages of `size`): every page's
/// `totalCount` must be `total` and every item must come exactly once. Returns each item's
/// `key` (see [`item_key`]), in the order served.
pub async fn walk(
    t: &TestApp,
    token: &str,
    first: &str,
    size: usize,
    key: &str,
    total: usize,
) -> Vec<String> {
    let mut seen = Vec::new();
    for page in pages(t, token, first, size).await {
        assert_eq!(page["totalCount"], total as i64, "{first}: {page}");
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| item_key(i, key)),
        );
    }
    let unique: std::collections::BTreeSet<_> = seen.iter().collect();
    assert_eq!(
        unique.len(),
        seen.len(),
        "{first}: an item came twice: {seen:?}"
    );
    assert_eq!(seen.len(), total, "{first}: every item once: {seen:?}");
    seen
}

/// The same list whole (one page of 500), to compare a walk's order with.
pub async fn whole(t: &TestApp, token: &str, path: &str, key: &str) -> Vec<String> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let (s, v) = t.get(&format!("{path}{sep}size=500"), token).await;
    assert_eq!(s, 200, "{path}: {v}");
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| item_key(i, key))
        .collect()
}

/// Walks `path` `size` items a page and checks it against the whole list, which must hold
/// `total` items.
pub async fn pages_match_whole(
    t: &TestApp,
    token: &str,
    path: &str,
    size: usize,
    key: &str,
    total: usize,
) -> Vec<String> {
    let all = whole(t, token, path, key).await;
    assert_eq!(all.len(), total, "{path}: {all:?}");
    let sep = if path.contains('?') { '&' } else { '?' };
    let walked = walk(
        t,
        token,
        &format!("{path}{sep}size={size}"),
        size,
        key,
        total,
    )
    .await;
    assert_eq!(walked, all, "{path}: pages in the order of the whole list");
    walked
}
