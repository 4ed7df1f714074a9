//! The catalog file the operator imports (products -> SKUs -> availabilities) and the checks
//! it passes whole before anything is written.

use super::commerce::{parse_price, term_days};
use super::error::{Checks, Error, Result};

#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CatalogSku {
    #[serde(flatten)]
    pub sku: SkuInput,
    pub availabilities: Vec<AvailabilityInput>,
}

#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SkuInput {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub minimum_quantity: i64,
    pub maximum_quantity: i64,
    #[serde(default)]
    pub is_trial: bool,
}

#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AvailabilityInput {
    pub id: String,
    pub country: String,
    pub currency: String,
    #[serde(default = "commercial")]
    pub segment: String,
    pub billing_cycle: String,
    pub term: String,
    /// Monthly price per unit, as a decimal string.
    pub list_price: String,
}

fn commercial() -> String {
    "commercial".into()
}

#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CatalogProduct {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// `license` or `usage`.
    pub product_type: String,
    /// For an add-on product: the product whose subscriptions it is bought on.
    #[serde(default)]
    pub add_on_of: Option<String>,
    pub skus: Vec<CatalogSku>,
}

#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CatalogFile {
    pub products: Vec<CatalogProduct>,
}

fn id_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && !s.contains(':')
}

/// Checks the whole file; every problem is reported at once, by its path in the file.
pub fn validate(file: &CatalogFile) -> Result<()> {
    let mut c = Checks::new();
    for (i, p) in file.products.iter().enumerate() {
        let f = |k: &str| format!("products[{i}].{k}");
        c.check(id_ok(&p.id), &f("id"), "letters, digits, - and _ only");
        c.check(!p.title.trim().is_empty(), &f("title"), "is required");
        c.check(
            p.product_type == "license" || p.product_type == "usage",
            &f("productType"),
            "license or usage",
        );
        if let Some(base) = &p.add_on_of {
            c.check(
                base != &p.id
                    && file
                        .products
                        .iter()
                        .any(|b| &b.id == base && b.add_on_of.is_none()),
                &f("addOnOf"),
                "another product of the file, itself no add-on",
            );
        }
        for (j, s) in p.skus.iter().enumerate() {
            let f = |k: &str| format!("products[{i}].skus[{j}].{k}");
            c.check(id_ok(&s.sku.id), &f("id"), "letters, digits, - and _ only");
            c.check(
                s.sku.minimum_quantity >= 1 && s.sku.maximum_quantity >= s.sku.minimum_quantity,
                &f("maximumQuantity"),
                "1 <= minimum <= maximum",
            );
            for (k, a) in s.availabilities.iter().enumerate() {
                let f = |x: &str| format!("products[{i}].skus[{j}].availabilities[{k}].{x}");
                c.check(id_ok(&a.id), &f("id"), "letters, digits, - and _ only");
                c.check(
                    super::identity::Country::parse("c", &a.country).is_ok(),
                    &f("country"),
                    "a two-letter country code",
                );
                c.check(
                    a.currency.len() == 3 && a.currency.chars().all(|x| x.is_ascii_uppercase()),
                    &f("currency"),
                    "a three-letter currency code",
                );
                c.check(
                    ["monthly", "annual", "none"].contains(&a.billing_cycle.as_str()),
                    &f("billingCycle"),
                    "monthly, annual or none",
                );
                c.check(
                    term_days(&a.term).is_some(),
                    &f("term"),
                    "P1M, P1Y, P3Y or none",
                );
                if let Err(Error::Validation(v)) = parse_price(&f("listPrice"), &a.list_price) {
                    for e in v {
                        c.push(e);
                    }
                }
            }
        }
    }
    c.finish()
}

/// The unit an SKU of this product type is counted in.
pub fn unit_type(product_type: &str) -> &'static str {
    if product_type == "usage" {
        "usage"
    } else {
        "licenses"
    }
}
