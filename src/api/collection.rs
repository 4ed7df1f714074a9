//! Partner-center shaped collections with keyset paging behind `MS-ContinuationToken`.

use crate::domain::paging::{self, BadToken, Cursor};
use crate::domain::Error;
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub const CONTINUATION_HEADER: &str = "ms-continuationtoken";

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Link {
    pub uri: String,
    pub method: String,
    pub headers: Vec<KeyValue>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Links {
    #[serde(rename = "self")]
    pub self_link: Link,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<Link>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Attributes {
    pub object_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
}

impl Attributes {
    pub fn of(object_type: &str) -> Self {
        Self {
            object_type: object_type.into(),
            etag: None,
        }
    }
    pub fn with_etag(object_type: &str, version: i64) -> Self {
        Self {
            object_type: object_type.into(),
            etag: Some(etag(version)),
        }
    }
}

/// The `attributes` a client sends back with a resource (`objectType` and the rest are
/// ignored): only the ETag is read.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EtagAttributes {
    pub etag: Option<String>,
}

pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// Reads `If-Match` (or a body etag) into the version it names; `*` means any.
pub fn expected_version(
    headers: &HeaderMap,
    body_etag: Option<&str>,
) -> Result<Option<i64>, Error> {
    let raw = headers
        .get(axum::http::header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .or(body_etag);
    match raw.map(str::trim) {
        None | Some("*") => Ok(None),
        Some(s) => s
            .trim_start_matches("W/")
            .trim_matches('"')
            .parse()
            .map(Some)
            .map_err(|_| Error::field("If-Match", "the ETag is not one this server issued")),
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Collection<T> {
    pub total_count: i64,
    pub items: Vec<T>,
    pub links: Links,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub continuation_token: Option<String>,
    pub attributes: Attributes,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct PageQuery {
    /// Items per page, 1 to 500 (default 100).
    pub size: Option<u32>,
    /// `Next` when following a continuation token.
    pub seek_operation: Option<String>,
}

/// Paging state for one list request.
pub struct Page {
    pub size: u32,
    pub after: Option<Cursor>,
    query: String,
}

impl Page {
    /// `query` fingerprints the filters so a token only works for its own list.
    pub fn from_request(
        headers: &HeaderMap,
        q: &PageQuery,
        query: &str,
        key: &[u8],
    ) -> Result<Page, Error> {
        let after = match headers
            .get(CONTINUATION_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|s| !s.is_empty())
        {
            Some(t) => Some(paging::decode(t, key, query).map_err(|BadToken| {
                Error::field(
                    "MS-ContinuationToken",
                    "the continuation token is not valid for this request; start again from the first page",
                )
            })?),
            None => None,
        };
        Ok(Page {
            size: paging::page_size(q.size),
            after,
            query: query.to_string(),
        })
    }

    /// Where the page starts, as the read use cases take it: the last item's sort key and id.
    pub fn position(&self) -> Option<(&str, &str)> {
        self.after.as_ref().map(|c| (c.key.as_str(), c.id.as_str()))
    }

    /// How many rows a read fetches: one more than the page holds, to know whether more exist.
    pub fn fetch(&self) -> u32 {
        self.size + 1
    }

    /// Wraps a fetched page (fetch `size + 1` rows to know whether more exist).
    /// For lists newest first by a millisecond time: the (time, id) to continue before.
    pub fn before_time(&self) -> Option<(i64, &str)> {
        self.after
            .as_ref()
            .map(|c| (c.key.parse::<i64>().unwrap_or(i64::MAX), c.id.as_str()))
    }

    pub fn finish<T, R>(
        self,
        mut rows: Vec<R>,
        total: i64,
        path: &str,
        key: &[u8],
        sort_key: impl Fn(&R) -> (String, String),
        to_item: impl Fn(R) -> T,
    ) -> Collection<T> {
        let more = rows.len() > self.size as usize;
        rows.truncate(self.size as usize);
        let next = if more {
            rows.last().map(|last| {
                let (k, i) = sort_key(last);
                paging::encode(
                    &Cursor {
                        key: k,
                        id: i,
                        query: self.query.clone(),
                    },
                    key,
                )
            })
        } else {
            None
        };
        let sep = if path.contains('?') { '&' } else { '?' };
        Collection {
            total_count: total,
            items: rows.into_iter().map(to_item).collect(),
            links: Links {
                self_link: Link {
                    uri: format!("{path}{sep}size={}", self.size),
                    method: "GET".into(),
                    headers: vec![],
                },
                next: next.clone().map(|t| Link {
                    uri: format!("{path}{sep}size={}&seekOperation=Next", self.size),
                    method: "GET".into(),
                    headers: vec![KeyValue {
                        key: "MS-ContinuationToken".into(),
                        value: t,
                    }],
                }),
            },
            continuation_token: next,
            attributes: Attributes::of("Collection"),
        }
    }
}

impl Page {
    /// Pages a list already held in memory (a bounded list read whole): sorts it by
    /// `sort_key`, skips to the continuation token's position and keeps `size + 1` rows, so
    /// `finish` links a `next` that really continues. Returns the rows and the total.
    pub fn slice<R>(
        &self,
        mut rows: Vec<R>,
        sort_key: impl Fn(&R) -> (String, String),
    ) -> (Vec<R>, i64) {
        let total = rows.len() as i64;
        rows.sort_by_cached_key(|r| sort_key(r));
        if let Some(after) = &self.after {
            let at = (after.key.clone(), after.id.clone());
            rows.retain(|r| sort_key(r) > at);
        }
        rows.truncate(self.size as usize + 1);
        (rows, total)
    }

    /// `slice` then `finish`: one call for an in-memory list.
    pub fn finish_in_memory<T, R>(
        self,
        rows: Vec<R>,
        path: &str,
        key: &[u8],
        sort_key: impl Fn(&R) -> (String, String),
        to_item: impl Fn(R) -> T,
    ) -> Collection<T> {
        let (rows, total) = self.slice(rows, &sort_key);
        self.finish(rows, total, path, key, sort_key, to_item)
    }
}

/// A short list returned whole, as one page with the collection shape. It never links a
/// `next` page: without the request's headers it could not honour a continuation token, and
/// a `next` that answers page 1 again sends clients round in circles. Lists that may grow
/// page through `Page::from_request` (a store query, or `Page::finish_in_memory`).
pub fn single_page<R, T>(
    _key: &[u8],
    rows: Vec<R>,
    path: &str,
    _sort_key: impl Fn(&R) -> (String, String),
    map: impl Fn(R) -> T,
) -> Result<Collection<T>, Error> {
    let total = rows.len() as i64;
    let sep = if path.contains('?') { '&' } else { '?' };
    Ok(Collection {
        total_count: total,
        items: rows.into_iter().map(map).collect(),
        links: Links {
            self_link: Link {
                uri: format!("{path}{sep}size={total}"),
                method: "GET".into(),
                headers: vec![],
            },
            next: None,
        },
        continuation_token: None,
        attributes: Attributes::of("Collection"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"test-key-test-key-test-key-32byt";

    fn page(headers: &HeaderMap, size: u32) -> Page {
        let q = PageQuery {
            size: Some(size),
            seek_operation: None,
        };
        Page::from_request(headers, &q, "/v1/things", KEY).unwrap()
    }

    /// Following `next` with its token walks an in-memory list once, in order, to the end.
    #[test]
    fn in_memory_pages_follow_the_continuation_token() {
        let rows: Vec<String> = ["d", "a", "e", "c", "b"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut seen = Vec::new();
        let mut headers = HeaderMap::new();
        for _ in 0..10 {
            let c = page(&headers, 2).finish_in_memory(
                rows.clone(),
                "/v1/things",
                KEY,
                |r| (String::new(), r.clone()),
                |r| r,
            );
            assert_eq!(c.total_count, 5);
            seen.extend(c.items);
            match c.links.next {
                Some(next) => {
                    headers = HeaderMap::new();
                    headers.insert(CONTINUATION_HEADER, next.headers[0].value.parse().unwrap());
                }
                None => break,
            }
        }
        assert_eq!(seen, ["a", "b", "c", "d", "e"]);
    }

    /// A whole list answered at once links no `next`, even past the largest page size.
    #[test]
    fn single_page_never_links_page_one_again() {
        let rows: Vec<u32> = (0..700).collect();
        let c = single_page(
            KEY,
            rows,
            "/v1/things",
            |r| (String::new(), r.to_string()),
            |r| r,
        )
        .unwrap();
        assert_eq!((c.items.len(), c.total_count), (700, 700));
        assert!(c.links.next.is_none() && c.continuation_token.is_none());
    }
}
