//! Rows decode safely: a state word the code does not know or a corrupt JSON column, written
//! behind the product's back, makes the use case that reads it fail with an error. It never
//! panics and never reads as a guessed default (an "active" subscription, an empty profile).

use crate::commerce::{line, order, shop};
use crate::support::{assert_error_shape, TestApp};
use partnerhub::app::fixtures::ctx_of;
use partnerhub::domain::Error;
use serde_json::json;

/// Sets one column of one row to `value`, as a corrupting hand or a bad migration would.
async fn corrupt(t: &TestApp, table: &str, column: &str, key: &str, id: &str, value: &str) {
    let sql = format!("UPDATE {table} SET {column} = $1 WHERE {key} = $2");
    let done = sqlx::query(&sql)
        .bind(value)
        .bind(id)
        .execute(&t.app.db.write)
        .await
        .unwrap();
    assert_eq!(
        done.rows_affected(),
        1,
        "{table}.{column} of {id} was written"
    );
}

/// The error a corrupt row must give: an internal error naming the column.
fn assert_decode_error<T: std::fmt::Debug>(r: Result<T, Error>, column: &str) {
    match r {
        Err(Error::Internal(e)) => {
            let text = format!("{e:#}");
            assert!(text.contains(column), "the error names {column}: {text}");
        }
        other => panic!("a corrupt {column} must be an error, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unknown_subscription_or_order_status_is_an_error_not_a_guess() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let (st, o) = order(
        &t,
        &s.p.token,
        &s.x,
        line("PH-SUITE:STANDARD:US-M", 5, Some(s.a.mpn)),
        None,
    )
    .await;
    assert_eq!(st, 201, "{o}");
    let order_id = o["id"].as_str().unwrap().to_string();
    let sub_id = o["lineItems"][0]["subscriptionId"]
        .as_str()
        .unwrap()
        .to_string();
    let customer = s.x.id.to_string();
    let ctx = ctx_of(&t.app, &s.p.admin.upn).await.unwrap();
    let sub = partnerhub::app::subscriptions::get(&t.app, &ctx, &customer, sub_id.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(sub.status.as_str(), "active");

    corrupt(&t, "subscriptions", "status", "id", &sub_id, "exploded").await;
    assert_decode_error(
        partnerhub::app::subscriptions::get(&t.app, &ctx, &customer, sub_id.parse().unwrap()).await,
        "status",
    );
    // Over HTTP the caller gets the error shape, and the server keeps answering.
    let (code, body) = t
        .get(
            &format!("/v1/customers/{customer}/subscriptions/{sub_id}"),
            &s.p.token,
        )
        .await;
    assert_eq!(code, 500, "{body}");
    assert_error_shape(&body);
    let (code, c) = t
        .get(&format!("/v1/customers/{customer}"), &s.p.token)
        .await;
    assert_eq!(code, 200, "reads that do not touch the row still work: {c}");

    corrupt(&t, "orders", "status", "id", &order_id, "misplaced").await;
    assert_decode_error(
        partnerhub::app::order_changes::provisioning(
            &t.app,
            &ctx,
            &customer,
            order_id.parse().unwrap(),
        )
        .await
        .map(|lines| lines.len()),
        "status",
    );
}

#[tokio::test]
async fn unknown_grant_relationship_and_partner_states_are_errors() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let customer_admin = {
        let row = sqlx::query("SELECT upn FROM users WHERE tenant_id = $1")
            .bind(s.x.id.to_string())
            .fetch_one(&t.app.db.read)
            .await
            .unwrap();
        sqlx::Row::try_get::<String, _>(&row, "upn").unwrap()
    };
    let customer_ctx = ctx_of(&t.app, &customer_admin).await.unwrap();
    let grant: String = sqlx::Row::try_get(
        &sqlx::query("SELECT id FROM admin_grants WHERE customer_tenant_id = $1 LIMIT 1")
            .bind(s.x.id.to_string())
            .fetch_one(&t.app.db.read)
            .await
            .unwrap(),
        "id",
    )
    .unwrap();

    // A grant in a state nobody wrote is not revoked (nor taken as live): the read fails.
    corrupt(&t, "admin_grants", "status", "id", &grant, "maybe").await;
    assert_decode_error(
        partnerhub::app::customers::revoke_grant(&t.app, &customer_ctx, grant.parse().unwrap())
            .await,
        "status",
    );

    // A relationship in an unknown state fails the reads that list the customer's partners.
    sqlx::query(
        "UPDATE customer_relationships SET state = 'dormant' WHERE customer_tenant_id = $1",
    )
    .bind(s.x.id.to_string())
    .execute(&t.app.db.write)
    .await
    .unwrap();
    assert_decode_error(
        partnerhub::app::customers::own_partner_name(&t.app, &customer_ctx, s.a.tenant.id).await,
        "state",
    );

    // A partner account in an unknown standing is not found "active" by any name.
    corrupt(
        &t,
        "partners",
        "status",
        "tenant_id",
        &s.a.tenant.id.to_string(),
        "frozen",
    )
    .await;
    assert_decode_error(
        partnerhub::app::partnerships::find_partner(&t.app, &s.a.tenant.id.to_string()).await,
        "status",
    );
}

#[tokio::test]
async fn a_corrupt_json_column_is_an_error_not_an_empty_value() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let customer = s.x.id.to_string();
    let (code, b) = t
        .put(
            &format!("/v1/customers/{customer}/profiles/billing"),
            &s.p.token,
            &json!({"firstName": "Ada", "lastName": "Park", "email": "ada@x.example"}),
        )
        .await;
    assert!(code == 200 || code == 201, "{code} {b}");
    let ctx = ctx_of(&t.app, &s.p.admin.upn).await.unwrap();
    let (profile, _) = partnerhub::app::customers::billing(&t.app, &ctx, &customer)
        .await
        .unwrap();
    assert_eq!(profile["firstName"], "Ada");

    corrupt(
        &t,
        "customer_profiles",
        "billing",
        "tenant_id",
        &customer,
        "{\"firstName\": \"Ada\"",
    )
    .await;
    assert_decode_error(
        partnerhub::app::customers::billing(&t.app, &ctx, &customer).await,
        "billing",
    );
}

#[tokio::test]
async fn a_referral_in_an_unknown_substatus_is_an_error_not_a_panic() {
    let t = TestApp::spawn().await;
    let p = t.partner(true, false, "US").await;
    let (s, r) = t
        .post(
            "/v1/referrals",
            &p.token,
            &json!({
                "name": "Own lead",
                "dealValue": "100.00",
                "currency": "usd",
                "customerProfile": {
                    "name": "Fabrikam",
                    "country": "US",
                    "contact": {"name": "Dana Kim", "email": "dana@fabrikam.example"}
                },
                "consent": true
            }),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let id = r["id"].as_str().unwrap().to_string();
    corrupt(&t, "referrals", "substatus", "id", &id, "vanished").await;
    let ctx = ctx_of(&t.app, &p.admin.upn).await.unwrap();
    assert_decode_error(
        partnerhub::app::referrals::get(&t.app, &ctx, &id).await,
        "substatus",
    );
    // The update path read it with `expect` once: it must refuse the same way.
    let (code, body) = t
        .patch(
            &format!("/v1/referrals/{id}"),
            &p.token,
            &json!({"substatus": "accepted"}),
        )
        .await;
    assert_eq!(code, 500, "{body}");
    assert_error_shape(&body);
    let (code, _) = t.get("/v1/referrals", &p.token).await;
    assert_eq!(code, 500, "the list holding the corrupt row fails too");
}
