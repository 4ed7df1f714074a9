//! Shared web helpers for both HTTP adapters (the REST API and the portal), so neither
//! imports the other: the request id, the HTTP status of a domain error, URL escaping, file
//! downloads and the invoice CSV.

use crate::domain::Error;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;

/// The id of the request being served (from `X-Request-Id`, or made up at the door); shown on
/// error pages so a person can quote it.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The HTTP status that goes with a domain error, the same for the API and the portal.
pub fn status_of(e: &Error) -> StatusCode {
    match e {
        Error::Validation(_) => StatusCode::BAD_REQUEST,
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::Forbidden(_) => StatusCode::FORBIDDEN,
        Error::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        Error::Conflict { .. } => StatusCode::CONFLICT,
        Error::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
        Error::RateLimited { .. } | Error::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        Error::Refused(_) => StatusCode::FORBIDDEN,
    }
}

/// A value for a URL query (form encoding: space as `+`, everything else percent-escaped).
pub fn url_escape(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|x| x.trim_start_matches('=').to_string())
        .unwrap_or_default()
}

/// A stored file as a download: `Content-Disposition: attachment`, `nosniff`, and a
/// sandboxing CSP in case a browser opens it anyway.
pub fn file_response(name: &str, content_type: &str, bytes: Vec<u8>) -> Response {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    let mut r = Response::new(axum::body::Body::from(bytes));
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    r
}

/// An invoice's lines as CSV, one row per line, amounts as decimal strings.
pub fn invoice_csv(
    lines: &[crate::app::commerce::InvoiceLine],
    currency: &str,
) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "line",
        "customer_id",
        "customer_name",
        "reseller_mpn_id",
        "subscription_id",
        "product_id",
        "sku_id",
        "quantity",
        "unit_price",
        "currency",
        "charge_start",
        "charge_end",
        "amount",
    ])?;
    for l in lines {
        w.write_record([
            l.line_number.to_string(),
            l.customer.to_string(),
            l.customer_name.clone(),
            l.reseller_mpn_id.clone().unwrap_or_default(),
            l.subscription_id.clone(),
            l.product_id.clone(),
            l.sku_id.clone(),
            l.quantity.to_string(),
            l.unit_price.clone(),
            currency.to_string(),
            crate::clock::from_ms(l.charge_start).to_rfc3339(),
            crate::clock::from_ms(l.charge_end).to_rfc3339(),
            l.amount.clone(),
        ])?;
    }
    Ok(String::from_utf8(w.into_inner().map_err(|e| e.into_error())?).unwrap_or_default())
}
