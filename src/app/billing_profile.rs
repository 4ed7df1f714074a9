//! The partner organisation's own billing profile (`/v1/profiles/billing`): tax id, purchase
//! order number, billing currency, billing address and contact. Until the partner saves one,
//! it reads as the legal profile's address and contact with the currency its country is
//! billed in.

use super::audit::{record, Change};
use super::{events, App, Ctx};
use crate::app::store::{partner_billing as repo, partners};
use crate::domain::audit::Operation;
use crate::domain::authz::{Action, Resource};
use crate::domain::error::Checks;
use crate::domain::webhook::EventName;
use crate::domain::{Error, Result};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct BillingAddress {
    pub address_line1: String,
    pub address_line2: String,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    pub country: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct BillingContact {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone_number: String,
}

/// The members the contract's partner billing profile carries.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct BillingProfile {
    pub tax_id: String,
    pub purchase_order_number: String,
    pub billing_currency: String,
    pub address: BillingAddress,
    pub primary_contact: BillingContact,
}

fn validate(p: &BillingProfile) -> Result<()> {
    let mut c = Checks::new();
    c.check(
        p.billing_currency.len() == 3 && p.billing_currency.chars().all(|x| x.is_ascii_uppercase()),
        "billingCurrency",
        "a three-letter currency code",
    );
    c.check(
        crate::domain::identity::Country::parse("c", &p.address.country).is_ok(),
        "address.country",
        "a two-letter country code",
    );
    c.check(
        !p.address.address_line1.trim().is_empty() && !p.address.city.trim().is_empty(),
        "address",
        "addressLine1 and city are required",
    );
    c.check(
        crate::domain::identity::Email::parse("e", &p.primary_contact.email).is_ok(),
        "primaryContact.email",
        "an e-mail address",
    );
    for (field, v, max) in [
        ("taxId", &p.tax_id, 64),
        ("purchaseOrderNumber", &p.purchase_order_number, 64),
    ] {
        c.check(v.chars().count() <= max, field, "at most 64 characters");
    }
    c.finish()
}

/// The profile and its version (0 while it is the default read from the legal profile).
pub async fn get(app: &App, ctx: &Ctx) -> Result<(BillingProfile, i64)> {
    ctx.require(
        Action::ReadPartnerProfile,
        Resource::Tenant(ctx.actor.tenant),
    )?;
    if let Some((v, version)) = repo::get(&app.db, ctx.actor.tenant).await? {
        return Ok((serde_json::from_value(v).unwrap_or_default(), version));
    }
    let p = partners::get(&app.db, ctx.actor.tenant)
        .await?
        .ok_or(Error::NotFound("billing profile"))?;
    let l = p.legal;
    let billing_currency = repo::currency_of(&app.db, &l.country)
        .await?
        .unwrap_or_default();
    Ok((
        BillingProfile {
            tax_id: String::new(),
            purchase_order_number: String::new(),
            billing_currency,
            address: BillingAddress {
                address_line1: l.address_line1,
                address_line2: l.address_line2,
                city: l.city,
                state: l.region,
                postal_code: l.postal_code,
                country: l.country,
            },
            primary_contact: BillingContact {
                first_name: l.contact_first_name,
                last_name: l.contact_last_name,
                email: l.contact_email,
                phone_number: l.contact_phone,
            },
        },
        0,
    ))
}

/// Replaces the profile. `expected_version` is the ETag read (none: the current version).
pub async fn put(
    app: &App,
    ctx: &Ctx,
    mut next: BillingProfile,
    expected_version: Option<i64>,
) -> Result<(BillingProfile, i64)> {
    ctx.require(
        Action::EditPartnerProfile,
        Resource::Tenant(ctx.actor.tenant),
    )?;
    next.billing_currency = next.billing_currency.trim().to_ascii_uppercase();
    next.address.country = next.address.country.trim().to_ascii_uppercase();
    validate(&next)?;
    let (old, version) = get(app, ctx).await?;
    if expected_version.is_some_and(|v| v != version) {
        return Err(Error::PreconditionFailed);
    }
    let now = app.clock.now_ms();
    let tenant = ctx.actor.tenant.to_string();
    let mut tx = app.db.begin().await?;
    let value = serde_json::to_value(&next).map_err(|e| Error::Internal(e.into()))?;
    if !repo::save(&mut tx, ctx.actor.tenant, &value, version, now).await? {
        return Err(Error::PreconditionFailed);
    }
    record(
        &mut tx,
        Some(ctx),
        &tenant,
        Change {
            operation: Operation::UpdatePartnerBillingProfile,
            resource_type: "billing_profile",
            resource_id: tenant.clone(),
            old: serde_json::to_value(&old).ok(),
            new: Some(value),
            customer_id: None,
        },
        now,
    )
    .await?;
    events::emit(
        &mut tx,
        now,
        EventName::BillingProfileUpdated,
        "/v1/profiles/billing".into(),
        "billing profile",
        std::slice::from_ref(&tenant),
    )
    .await?;
    tx.commit().await?;
    Ok((next, version + 1))
}
