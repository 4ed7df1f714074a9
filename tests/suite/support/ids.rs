//! Ids a request names that are no ids at all: each must answer exactly like an id that
//! names nothing (a 404 in the error shape on the API, the not-found page in the portal),
//! never a 400 that tells the two apart and never an internal error.

use super::{assert_error_shape, TestApp};
use reqwest::Method;
use serde_json::Value;

/// Path segments that are no id of any kind: words, a number, a UUID one digit short, one
/// with a letter that is not hex, and an injection attempt (escaped for the path).
pub const MALFORMED: &[&str] = &[
    "not-an-id",
    "42",
    "0191e4a2-7c1b-7000-8000-00000000000",
    "0191e4a2-7c1b-7000-8000-00000000000g",
    "x'%20OR%20'1'%3D'1",
];

/// `path` with `{id}` replaced by an unknown well-formed id and then by each malformed one:
/// all answer 404 in the error shape with the same code.
pub async fn api_not_found(t: &TestApp, method: Method, path: &str, token: &str, body: &Value) {
    let unknown = uuid::Uuid::now_v7().to_string();
    let (s, b) = t
        .send(method.clone(), &path.replace("{id}", &unknown), token, body)
        .await;
    assert_eq!(s, 404, "{method} {path} with an unknown id: {b}");
    let code = assert_error_shape(&b);
    for bad in MALFORMED {
        let (s, b) = t
            .send(method.clone(), &path.replace("{id}", bad), token, body)
            .await;
        assert_eq!(s, 404, "{method} {path} with {bad:?}: {b}");
        assert_eq!(assert_error_shape(&b), code, "{method} {path} with {bad:?}");
    }
}

/// The same for a portal page or form (`form` carries the CSRF token where the route
/// needs one): the not-found page, signed in as the session of `cookie`.
pub async fn portal_not_found(
    t: &TestApp,
    cookie: &str,
    method: Method,
    path: &str,
    form: &[(&str, &str)],
) {
    let unknown = uuid::Uuid::now_v7().to_string();
    for id in std::iter::once(unknown.as_str()).chain(MALFORMED.iter().copied()) {
        let r = t
            .http
            .request(method.clone(), t.url(&path.replace("{id}", id)))
            .header("cookie", cookie)
            .form(form)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let html = r.text().await.unwrap();
        assert_eq!(status, 404, "{method} {path} with {id:?}: {html}");
        assert!(
            html.contains("This page does not exist."),
            "{method} {path} with {id:?} shows the not-found page: {html}"
        );
    }
}
