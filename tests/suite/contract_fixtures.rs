//! The contract suite: one fixture per operation of the indirect model
//! (`tests/contract/*.json`, written from the public partner-center reference: the request it
//! documents and the members its answer carries), replayed against a real server in a world
//! built with the named fixture builders. One test runs every fixture and lists every
//! operation that deviates; another fails when an operation of the compatibility table
//! (`docs/partner-center-compatibility.md`) has no fixture, or a fixture no row.
//!
//! A fixture holds `method`, `path` (the OpenAPI template, as the table names it), optional
//! `params` (a path parameter bound to another world value than its own name), `query`,
//! `as` (`provider`, `reseller`, `customer` or `anonymous`), `step` (fixtures run by step,
//! then by file name: creations first, removals last), `body`, the expected `status`, the
//! `shape` the answer must have, `differs` (places of that shape where Partner Hub answers
//! otherwise, each explained in the table's row, which then says `differs`; a listed place that
//! conforms after all fails too, so the table stays true both ways) and `capture` (world values
//! taken from the answer). `{name}` anywhere in a string is a world value.
//!
//! Shapes: an object lists members that must be present (a name ending in `?` may be
//! missing); `"string"`, `"integer"`, `"number"`, `"boolean"`, `"object"`, `"array"`, `"null"`
//! name a JSON type (`"string|null"` either); `"=text"` is an exact string; `[shape]` is a
//! non-empty array whose every item has the shape; other JSON values must be equal.

use crate::commerce::{line, order, shop};
use crate::customers::customer_via;
use crate::support::receiver::Receiver;
use crate::support::TestApp;
use partnerhub::domain::identity::{Role, TenantKind};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

#[derive(Debug, Clone)]
struct Fixture {
    file: String,
    method: String,
    path: String,
    params: BTreeMap<String, String>,
    query: Option<String>,
    actor: String,
    step: i64,
    body: Option<Value>,
    status: u16,
    shape: Option<Value>,
    differs: Vec<String>,
    capture: BTreeMap<String, String>,
}

impl Fixture {
    fn operation(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/contract")
}

fn strings(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn parse_fixture(file: String, v: &Value) -> Result<Fixture, String> {
    let text = |k: &str| v[k].as_str().map(str::to_string);
    Ok(Fixture {
        method: text("method").ok_or(format!("{file}: no method"))?,
        path: text("path").ok_or(format!("{file}: no path"))?,
        params: strings(&v["params"]),
        query: text("query"),
        actor: text("as").unwrap_or_else(|| "provider".into()),
        step: v["step"].as_i64().unwrap_or(5),
        body: v.get("body").cloned(),
        status: v["status"].as_u64().ok_or(format!("{file}: no status"))? as u16,
        shape: v.get("shape").cloned(),
        differs: v["differs"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|d| d.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        capture: strings(&v["capture"]),
        file,
    })
}

/// Every fixture, in running order.
fn fixtures() -> Vec<Fixture> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for entry in std::fs::read_dir(fixture_dir()).expect("tests/contract exists") {
        let p = entry.unwrap().path();
        if p.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let file = p.file_name().unwrap().to_string_lossy().to_string();
        let parsed = std::fs::read_to_string(&p)
            .map_err(|e| e.to_string())
            .and_then(|s| serde_json::from_str::<Value>(&s).map_err(|e| format!("{file}: {e}")))
            .and_then(|v| parse_fixture(file, &v));
        match parsed {
            Ok(f) => out.push(f),
            Err(e) => problems.push(e),
        }
    }
    assert!(problems.is_empty(), "unreadable fixtures: {problems:#?}");
    out.sort_by(|a, b| (a.step, &a.file).cmp(&(b.step, &b.file)));
    out
}

/// The operations the compatibility table lists, one per row of its Operations section, with
/// their status (`same` or `differs`).
fn table_operations() -> Vec<(String, String)> {
    let doc = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/partner-center-compatibility.md"),
    )
    .unwrap();
    let section = doc
        .split("\n## Operations")
        .nth(1)
        .expect("an Operations section")
        .split("\n## ")
        .next()
        .unwrap();
    section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| {
            let (op, rest) = l.split_once('`')?;
            let status = rest.split('|').nth(1)?.trim();
            Some((op.to_string(), status.to_string()))
        })
        .collect()
}

/// Fills `{name}` with world values; names it does not know are reported.
fn fill(s: &str, vars: &BTreeMap<String, String>, unknown: &mut BTreeSet<String>) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let name = &rest[open + 1..open + close];
        out.push_str(&rest[..open]);
        match vars.get(name) {
            Some(v) => out.push_str(v),
            None => {
                unknown.insert(name.to_string());
                out.push_str(&rest[open..=open + close]);
            }
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

fn fill_value(v: &Value, vars: &BTreeMap<String, String>, unknown: &mut BTreeSet<String>) -> Value {
    match v {
        Value::String(s) => Value::String(fill(s, vars, unknown)),
        Value::Array(a) => Value::Array(a.iter().map(|x| fill_value(x, vars, unknown)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), fill_value(x, vars, unknown)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn type_matches(word: &str, v: &Value) -> Option<bool> {
    let one = |w: &str| match w {
        "string" => Some(v.is_string()),
        "integer" => Some(v.is_i64() || v.is_u64()),
        "number" => Some(v.is_number()),
        "boolean" => Some(v.is_boolean()),
        "object" => Some(v.is_object()),
        "array" => Some(v.is_array()),
        "null" => Some(v.is_null()),
        _ => None,
    };
    let words: Vec<Option<bool>> = word.split('|').map(one).collect();
    if words.iter().any(Option::is_none) {
        return None;
    }
    Some(words.into_iter().any(|w| w == Some(true)))
}

/// Where `value` falls short of `shape`, one line per place.
fn conforms(shape: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    match shape {
        Value::String(s) if s.starts_with('=') => {
            if value.as_str() != Some(&s[1..]) {
                out.push(format!("{at}: expected {:?}, got {value}", &s[1..]));
            }
        }
        Value::String(s) => match type_matches(s, value) {
            Some(true) => {}
            Some(false) => out.push(format!("{at}: expected {s}, got {value}")),
            None => out.push(format!("{at}: the fixture names no type {s:?}")),
        },
        Value::Object(members) => {
            if !value.is_object() {
                out.push(format!("{at}: expected an object, got {value}"));
                return;
            }
            for (name, want) in members {
                let (name, optional) = match name.strip_suffix('?') {
                    Some(n) => (n, true),
                    None => (name.as_str(), false),
                };
                match value.get(name) {
                    Some(got) => conforms(want, got, &format!("{at}.{name}"), out),
                    None if optional => {}
                    None => out.push(format!("{at}.{name}: missing")),
                }
            }
        }
        Value::Array(items) => {
            let Some(got) = value.as_array() else {
                out.push(format!("{at}: expected an array, got {value}"));
                return;
            };
            if let Some(item) = items.first() {
                if got.is_empty() {
                    out.push(format!("{at}: expected at least one item"));
                }
                for (i, g) in got.iter().enumerate() {
                    conforms(item, g, &format!("{at}[{i}]"), out);
                }
            }
        }
        other => {
            if other != value {
                out.push(format!("{at}: expected {other}, got {value}"));
            }
        }
    }
}

/// A place of a deviation with item numbers dropped: `$.items[3].links: missing` is at
/// `$.items[].links`.
fn place(deviation: &str) -> String {
    let at = deviation.split(": ").next().unwrap_or_default();
    let mut out = String::new();
    let mut in_index = false;
    for c in at.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push('[');
            }
            ']' => {
                in_index = false;
                out.push(']');
            }
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

/// The deviations not documented in `differs`, and the documented ones that did not occur.
fn apart_from_documented(found: Vec<String>, differs: &[String]) -> Vec<String> {
    let mut out: Vec<String> = found
        .iter()
        .filter(|d| !differs.contains(&place(d)))
        .cloned()
        .collect();
    for d in differs {
        if !found.iter().any(|f| &place(f) == d) {
            out.push(format!(
                "{d}: documented as different, but it conforms now (update the table)"
            ));
        }
    }
    out
}

/// The world the fixtures run in, and who calls.
struct World {
    vars: BTreeMap<String, String>,
    tokens: BTreeMap<&'static str, String>,
    _receiver: Receiver,
}

async fn created(t: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let (st, b) = t.post(path, token, &body).await;
    assert!(st == 200 || st == 201, "world: POST {path}: {st} {b}");
    b
}

fn id_of(v: &Value, what: &str) -> String {
    v[what]
        .as_str()
        .unwrap_or_else(|| panic!("world: no {what} in {v}"))
        .to_string()
}

/// Provider P and reseller A serving customer X (with user and license administration) and a
/// second customer they leave; orders (one invoiced), users, a cart, a webhook receiver.
async fn world(t: &TestApp) -> World {
    let s = shop(t).await;
    let (leaving, _, _) = customer_via(t, &s.a, Some(&s.p), &["user_administrator"], 365).await;
    let x = s.x.id.to_string();
    let mut vars: BTreeMap<String, String> = BTreeMap::new();
    let (st, main) = order(
        t,
        &s.p.token,
        &s.x,
        line("PH-SUITE:BASIC:US-M", 4, Some(s.a.mpn)),
        None,
    )
    .await;
    assert_eq!(st, 201, "{main}");
    // Close the month, so the order is invoiced.
    let (_, op) = t.tenant(TenantKind::Operator, &[Role::OperatorAdmin]).await;
    let (start, end) = partnerhub::domain::commerce::month_of(t.clock.now_ms());
    let month = chrono::DateTime::from_timestamp_millis(start)
        .unwrap()
        .format("%Y-%m")
        .to_string();
    t.clock.advance(chrono::Duration::milliseconds(
        end - t.clock.now_ms() + 1000,
    ));
    let op_token = t.token(&op.upn).await;
    created(
        t,
        &op_token,
        "/v1/invoices/generate",
        json!({"period": month}),
    )
    .await;
    let p = t.token(&s.p.admin.upn).await;
    let a = t.token(&s.a.admin.upn).await;
    let c = t.token(&format!("admin@{}", s.x.domain)).await;
    let (_, invoices) = t.get("/v1/invoices", &p).await;
    vars.insert("invoiceId".into(), id_of(&invoices["items"][0], "id"));
    let (st, standard) = order(
        t,
        &p,
        &s.x,
        line("PH-SUITE:STANDARD:US-M", 3, Some(s.a.mpn)),
        None,
    )
    .await;
    assert_eq!(st, 201, "{standard}");
    let (st, upgradable) = order(
        t,
        &p,
        &s.x,
        line("PH-SUITE:BASIC:US-M", 2, Some(s.a.mpn)),
        None,
    )
    .await;
    assert_eq!(st, 201, "{upgradable}");
    vars.insert("orderId".into(), id_of(&main, "id"));
    vars.insert(
        "subscriptionId".into(),
        id_of(&main["lineItems"][0], "subscriptionId"),
    );
    vars.insert(
        "upgradeSubscriptionId".into(),
        id_of(&upgradable["lineItems"][0], "subscriptionId"),
    );
    let users = format!("/v1/customers/{x}/users");
    for (var, local) in [
        ("userId", "lee"),
        ("deletableUserId", "sam"),
        ("memberUserId", "max"),
    ] {
        let upn = format!("{local}@{}", s.x.domain);
        let u = created(t, &a, &users, json!({"userPrincipalName": upn, "displayName": local,
            "firstName": local, "lastName": "Contract", "passwordProfile": {"password": "Contract-Pass-1234"}}))
        .await;
        vars.insert(var.into(), id_of(&u, "id"));
        if var == "memberUserId" {
            vars.insert("memberUpn".into(), upn);
        }
    }
    let cart = created(
        t,
        &p,
        &format!("/v1/customers/{x}/carts"),
        json!({"lineItems": [{"catalogItemId": "PH-SUITE:BASIC:US-M", "quantity": 1}]}),
    )
    .await;
    vars.insert("cartId".into(), id_of(&cart, "id"));
    let (_, records) = t.get("/v1/auditrecords", &p).await;
    vars.insert("auditRecordId".into(), id_of(&records["items"][0], "id"));
    let receiver = Receiver::start().await;
    for (k, v) in [
        ("customerId", x.clone()),
        ("customerDomain", s.x.domain.clone()),
        ("domain", s.x.domain.clone()),
        ("leavingCustomerId", leaving.id.to_string()),
        ("resellerTenantId", s.a.tenant.id.to_string()),
        ("resellerMpnId", s.a.mpn.to_string()),
        (
            "roleId",
            partnerhub::domain::customer::GrantRole::UserAdministrator
                .role_id()
                .to_string(),
        ),
        ("offerId", "PH-SUITE:BASIC:US-M".into()),
        ("addOnOfferId", "PH-ARCHIVE:ARCHIVE:US-M".into()),
        ("upgradeTargetOfferId", "PH-SUITE:STANDARD:US-M".into()),
        ("productId", "PH-SUITE".into()),
        ("skuId", "BASIC".into()),
        ("availabilityId", "US-M".into()),
        ("webhookUrl", receiver.url.clone()),
    ] {
        vars.insert(k.into(), v);
    }
    World {
        vars,
        tokens: [("provider", p), ("reseller", a), ("customer", c)]
            .into_iter()
            .collect(),
        _receiver: receiver,
    }
}

/// Runs one fixture; the ways it deviates.
async fn replay(
    t: &TestApp,
    w: &mut World,
    f: &Fixture,
    documented: &BTreeSet<String>,
) -> Vec<String> {
    let mut problems = Vec::new();
    if !documented.contains(&f.operation()) {
        problems.push("not an operation of the OpenAPI document".to_string());
    }
    let mut unknown = BTreeSet::new();
    let mut path = f.path.clone();
    for (param, value) in &f.params {
        path = path.replace(&format!("{{{param}}}"), &fill(value, &w.vars, &mut unknown));
    }
    let mut url = fill(&path, &w.vars, &mut unknown);
    if let Some(q) = &f.query {
        url = format!("{url}?{}", fill(q, &w.vars, &mut unknown));
    }
    let body = f
        .body
        .as_ref()
        .map(|b| fill_value(b, &w.vars, &mut unknown));
    if !unknown.is_empty() {
        problems.push(format!("the world has no {unknown:?}"));
        return problems;
    }
    let method = reqwest::Method::from_bytes(f.method.as_bytes()).unwrap();
    let mut req = t
        .http
        .request(method, t.url(&url))
        .header("MS-CorrelationId", "contract-suite");
    if let Some(token) = w.tokens.get(f.actor.as_str()) {
        req = req.bearer_auth(token);
    } else if f.actor != "anonymous" {
        problems.push(format!("no caller named {:?}", f.actor));
        return problems;
    }
    if let Some(b) = &body {
        req = req.json(b);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if status != f.status {
        problems.push(format!(
            "status {status}, expected {}: {}",
            f.status,
            text.chars().take(300).collect::<String>()
        ));
        return problems;
    }
    if let Some(shape) = &f.shape {
        let shape = fill_value(shape, &w.vars, &mut unknown);
        let mut found = Vec::new();
        conforms(&shape, &answer, "$", &mut found);
        problems.extend(apart_from_documented(found, &f.differs));
    }
    for (var, member) in &f.capture {
        match answer
            .pointer(&format!("/{}", member.replace('.', "/")))
            .and_then(Value::as_str)
        {
            Some(v) => {
                w.vars.insert(var.clone(), v.to_string());
            }
            None => problems.push(format!("no {member} to keep as {var}")),
        }
    }
    problems
}

#[tokio::test]
async fn contract_fixtures_replay_against_the_server_with_their_status_and_shape() {
    let t = TestApp::spawn_with(|c| c.webhook_allow = vec!["127.0.0.1".into()]).await;
    let mut w = world(&t).await;
    let (_, doc) = t.get_public("/v1/openapi.json").await;
    let documented: BTreeSet<String> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |m| format!("{} {path}", m.to_ascii_uppercase()))
        })
        .collect();
    let all = fixtures();
    assert!(all.len() >= 80, "{} fixtures", all.len());
    let mut deviations = Vec::new();
    for f in &all {
        for p in replay(&t, &mut w, f, &documented).await {
            deviations.push(format!("{} ({}): {p}", f.operation(), f.file));
        }
    }
    assert!(
        deviations.is_empty(),
        "{} deviation(s) from the contract:\n{}",
        deviations.len(),
        deviations.join("\n")
    );
}

#[test]
fn contract_fixtures_cover_every_operation_of_the_compatibility_table() {
    let table = table_operations();
    assert!(
        table.len() >= 80,
        "the table lists {} operations",
        table.len()
    );
    let mut problems = Vec::new();
    let mut status: BTreeMap<String, String> = BTreeMap::new();
    for (op, st) in &table {
        if !["same", "differs"].contains(&st.as_str()) {
            problems.push(format!(
                "{op}: status {st:?} (the indirect model has no missing operation)"
            ));
        }
        if status.insert(op.clone(), st.clone()).is_some() {
            problems.push(format!("{op}: listed twice in the table"));
        }
    }
    let mut fixtures_by_op: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in fixtures() {
        if !f.differs.is_empty() && status.get(&f.operation()).is_some_and(|s| s != "differs") {
            problems.push(format!(
                "{} ({}): the fixture documents differences, the table says {:?}",
                f.operation(),
                f.file,
                status[&f.operation()]
            ));
        }
        fixtures_by_op
            .entry(f.operation())
            .or_default()
            .push(f.file.clone());
    }
    for (op, _) in &table {
        if !fixtures_by_op.contains_key(op) {
            problems.push(format!("{op}: no fixture in tests/contract"));
        }
    }
    for (op, files) in &fixtures_by_op {
        if !status.contains_key(op) {
            problems.push(format!(
                "{op} ({}): no row in the compatibility table",
                files.join(", ")
            ));
        }
        if files.len() > 1 {
            problems.push(format!(
                "{op}: more than one fixture ({})",
                files.join(", ")
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "the table and the fixtures disagree:\n{}",
        problems.join("\n")
    );
}

#[test]
fn a_shape_names_what_is_missing_or_of_another_type() {
    let shape =
        json!({"id": "=a", "items": [{"n": "integer"}], "opt?": "string", "x": "string|null"});
    let mut out = Vec::new();
    conforms(
        &shape,
        &json!({"id": "a", "items": [{"n": 1}, {"n": 2}], "x": null}),
        "$",
        &mut out,
    );
    assert!(out.is_empty(), "{out:?}");
    conforms(
        &shape,
        &json!({"id": "b", "items": [{"n": "1"}], "opt": 3}),
        "$",
        &mut out,
    );
    assert_eq!(
        out,
        [
            "$.id: expected \"a\", got \"b\"",
            "$.items[0].n: expected integer, got \"1\"",
            "$.opt: expected string, got 3",
            "$.x: missing"
        ]
    );
    let mut empty = Vec::new();
    conforms(
        &json!({"items": ["string"]}),
        &json!({"items": []}),
        "$",
        &mut empty,
    );
    assert_eq!(empty, ["$.items: expected at least one item"]);
}

#[test]
fn a_documented_difference_is_excused_only_where_it_occurs() {
    let found = vec![
        "$.items[0].links: missing".to_string(),
        "$.items[1].links: missing".to_string(),
        "$.id: expected \"a\", got \"b\"".to_string(),
    ];
    let left = apart_from_documented(found, &["$.items[].links".into(), "$.status".into()]);
    assert_eq!(
        left,
        [
            "$.id: expected \"a\", got \"b\"",
            "$.status: documented as different, but it conforms now (update the table)"
        ]
    );
}
