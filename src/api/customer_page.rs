//! The body of `GET /v1/customers`, written straight into the response buffer.
//!
//! Also the body of `GET /v1/relationships/{id}/customers`, the same items.
//!
//! A page is a hundred customers of about 550 bytes each, most of it the same keys and
//! constants on every item. Serialized through serde, each of an item's 28 keys and strings
//! was scanned for characters to escape, and each item first built as a `Customer` of eleven
//! owned strings: under list load that was about a fifth of the server's CPU (profile in
//! docs/performance.md, session 14). Here the constant parts are copied as they are, ids are
//! written from their bytes (hex and hyphens need no escaping), and only a customer's name,
//! domain and country go through serde_json's string escaping.
//!
//! The shape stays the one `Customer` and `Collection` declare (and the OpenAPI document
//! shows): the tests compare this writer's output with serde's, byte for byte.

use super::collection::Collection;
use crate::app::customer_lists::CustomerListRow;
use crate::domain::ids::TenantId;
use axum::response::{IntoResponse, Response};

/// A page of the caller's customers as the list shows them.
pub struct CustomerPage(pub Collection<CustomerListRow>);

impl IntoResponse for CustomerPage {
    fn into_response(self) -> Response {
        super::json::respond(self.to_json())
    }
}

impl CustomerPage {
    /// The body, as `Json(Collection<Customer>)` would write it.
    pub fn to_json(&self) -> serde_json::Result<Vec<u8>> {
        let page = &self.0;
        let mut out = Vec::with_capacity(600 * page.items.len() + 600);
        out.extend_from_slice(b"{\"totalCount\":");
        out.extend_from_slice(page.total_count.to_string().as_bytes());
        out.extend_from_slice(b",\"items\":[");
        for (i, row) in page.items.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            item(&mut out, row)?;
        }
        out.extend_from_slice(b"],\"links\":");
        serde_json::to_writer(&mut out, &page.links)?;
        if let Some(token) = &page.continuation_token {
            out.extend_from_slice(b",\"continuationToken\":");
            serde_json::to_writer(&mut out, token)?;
        }
        out.extend_from_slice(b",\"attributes\":");
        serde_json::to_writer(&mut out, &page.attributes)?;
        out.push(b'}');
        Ok(out)
    }
}

/// One customer, in the order and with the constants of `api::customers::customer`.
fn item(out: &mut Vec<u8>, r: &CustomerListRow) -> serde_json::Result<()> {
    let mut buf = uuid::Uuid::encode_buffer();
    let id = text(r.id, &mut buf);
    out.extend_from_slice(b"{\"id\":\"");
    out.extend_from_slice(id);
    out.extend_from_slice(b"\",\"commerceId\":\"");
    out.extend_from_slice(id);
    out.extend_from_slice(b"\",\"companyProfile\":{\"tenantId\":\"");
    out.extend_from_slice(id);
    out.extend_from_slice(b"\",\"domain\":");
    serde_json::to_writer(&mut *out, &r.domain)?;
    out.extend_from_slice(b",\"companyName\":");
    serde_json::to_writer(&mut *out, &r.name)?;
    out.extend_from_slice(b",\"country\":");
    serde_json::to_writer(&mut *out, &r.country)?;
    out.extend_from_slice(
        b",\"attributes\":{\"objectType\":\"CustomerCompanyProfile\"}},\"relationshipToPartner\":\"reseller\"",
    );
    if let Some(via) = r.indirect_reseller {
        out.extend_from_slice(b",\"associatedPartnerId\":\"");
        out.extend_from_slice(text(via, &mut uuid::Uuid::encode_buffer()));
        out.push(b'"');
    }
    out.extend_from_slice(b",\"links\":{\"self\":{\"uri\":\"/customers/");
    out.extend_from_slice(id);
    out.extend_from_slice(
        b"\",\"method\":\"GET\",\"headers\":[]}},\"attributes\":{\"objectType\":\"Customer\"}}",
    );
    Ok(())
}

/// An id as the API writes it (hyphenated, lower case), in `buf`.
fn text(id: TenantId, buf: &mut [u8; 45]) -> &[u8] {
    id.0.hyphenated().encode_lower(buf).as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::collection::{Page, PageQuery};
    use axum::http::HeaderMap;

    fn row(name: &str, domain: &str, country: &str, via: Option<TenantId>) -> CustomerListRow {
        CustomerListRow {
            id: TenantId::new(),
            name: name.into(),
            name_lower: name.to_lowercase(),
            domain: domain.into(),
            country: country.into(),
            indirect_reseller: via,
        }
    }

    fn rows() -> Vec<CustomerListRow> {
        vec![
            row("Contoso", "contoso.example", "US", None),
            row(
                "Fabrikam \"Ltd\"",
                "fab.example",
                "GB",
                Some(TenantId::new()),
            ),
            row("Back\\slash\ttab\nline", "x.example", "DE", None),
            row(
                "Ctl \u{1} \u{1f} \u{7f}",
                "ctl.example",
                "FR",
                Some(TenantId::new()),
            ),
            row("주식회사 한국 🚀 </script>", "ko.example", "KR", None),
            row("", "", "", None),
        ]
    }

    /// Both bodies for the same rows: serde's through `Customer`, and this writer's.
    fn both(rows: Vec<CustomerListRow>, size: u32) -> (Vec<u8>, Vec<u8>) {
        let page = || {
            Page::from_request(
                &HeaderMap::new(),
                &PageQuery {
                    size: Some(size),
                    seek_operation: None,
                },
                "customers:t:",
                b"secret",
            )
            .unwrap()
        };
        let sort_key = crate::app::customer_lists::customer_sort_key;
        let through_serde = page().finish(
            rows.clone(),
            1234,
            "/v1/customers",
            b"secret",
            sort_key,
            |r| {
                super::super::customers::customer(
                    r.id,
                    r.domain,
                    r.name,
                    r.country,
                    r.indirect_reseller,
                )
            },
        );
        let written = page().finish(rows, 1234, "/v1/customers", b"secret", sort_key, |r| r);
        (
            serde_json::to_vec(&through_serde).unwrap(),
            CustomerPage(written).to_json().unwrap(),
        )
    }

    #[test]
    fn writes_what_serde_writes_for_customers_with_every_kind_of_text() {
        // A full page (a continuation token and a next link) and a last one.
        for size in [3, 100] {
            let (expected, written) = both(rows(), size);
            assert_eq!(
                String::from_utf8(written).unwrap(),
                String::from_utf8(expected).unwrap(),
                "page size {size}"
            );
        }
    }

    #[test]
    fn an_empty_page_is_an_empty_collection() {
        let (expected, written) = both(Vec::new(), 100);
        assert_eq!(written, expected);
        let body: serde_json::Value = serde_json::from_slice(&written).unwrap();
        assert_eq!(body["items"], serde_json::json!([]));
        assert_eq!(body["totalCount"], 1234);
    }
}
