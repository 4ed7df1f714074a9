//! Commerce rules: catalog ids, prices (decimal with currency, never float), subscription
//! states and their transitions, the cancellation window, and invoice proration.

use super::error::{Code, Error, Result};
use super::ids::SubscriptionId;
use super::words::{stored_words, UnknownWord};
use rust_decimal::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// `productId:skuId:availabilityId`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CatalogItemId {
    pub product: String,
    pub sku: String,
    pub availability: String,
}

impl CatalogItemId {
    pub fn parse(s: &str) -> Result<CatalogItemId> {
        let parts: Vec<&str> = s.trim().split(':').collect();
        match parts.as_slice() {
            [p, k, a] if !p.is_empty() && !k.is_empty() && !a.is_empty() && s.len() <= 200 => {
                Ok(CatalogItemId {
                    product: p.to_string(),
                    sku: k.to_string(),
                    availability: a.to_string(),
                })
            }
            _ => Err(Error::field(
                "catalogItemId",
                format!("{s:?} is not productId:skuId:availabilityId"),
            )),
        }
    }
}

impl std::fmt::Display for CatalogItemId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.product, self.sku, self.availability)
    }
}

/// Parses a price written as a decimal string; refuses negatives and more than 4 decimals.
pub fn parse_price(field: &str, s: &str) -> Result<Decimal> {
    let plain = !s.trim().is_empty() && s.trim().chars().all(|c| c.is_ascii_digit() || c == '.');
    let d = Decimal::from_str(s.trim())
        .ok()
        .filter(|_| plain)
        .ok_or_else(|| Error::field(field, "write the price as a decimal number such as 12.50"))?;
    if d.is_sign_negative() || d.scale() > 4 {
        return Err(Error::field(
            field,
            "a price is zero or more, with at most 4 decimals",
        ));
    }
    Ok(d)
}

/// How a provider prices an SKU for its resellers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderPrice {
    /// Percent added to the operator's price (e.g. 12.5 for 12.5 %).
    Markup(Decimal),
    Fixed(Decimal),
}

impl ProviderPrice {
    pub fn apply(self, list: Decimal) -> Decimal {
        match self {
            ProviderPrice::Markup(pct) => {
                (list * (Decimal::ONE + pct / Decimal::ONE_HUNDRED)).round_dp(4)
            }
            ProviderPrice::Fixed(p) => p,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    Pending,
    Active,
    Suspended,
    Deleted,
    Expired,
}

impl SubscriptionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::Pending => "pending",
            SubscriptionStatus::Active => "active",
            SubscriptionStatus::Suspended => "suspended",
            SubscriptionStatus::Deleted => "deleted",
            SubscriptionStatus::Expired => "expired",
        }
    }
    pub fn parse(s: &str) -> Option<SubscriptionStatus> {
        [
            Self::Pending,
            Self::Active,
            Self::Suspended,
            Self::Deleted,
            Self::Expired,
        ]
        .into_iter()
        .find(|x| x.as_str() == s.to_ascii_lowercase())
    }
    /// Seats count and charges run in this state.
    pub fn charged(self) -> bool {
        self == SubscriptionStatus::Active
    }
    /// Still the customer's: it can be used, suspended or renewed (not ended).
    pub fn live(self) -> bool {
        matches!(
            self,
            SubscriptionStatus::Active | SubscriptionStatus::Suspended
        )
    }
}

impl std::fmt::Display for SubscriptionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for SubscriptionStatus {
    type Err = UnknownWord;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        SubscriptionStatus::parse(s).ok_or_else(|| UnknownWord {
            set: "SubscriptionStatus",
            word: s.to_string(),
        })
    }
}

stored_words! {
    /// Where an order stands. An order is complete once placed: its lines report their own
    /// provisioning through their subscriptions.
    pub enum OrderStatus {
        Completed => "completed",
    }
}

stored_words! {
    /// How a provider's price list prices an SKU for its resellers (`provider_prices.kind`).
    pub enum PriceKind {
        /// A percentage added to the operator's list price.
        Markup => "markup",
        /// A price of its own.
        Fixed => "fixed",
    }
}

impl ProviderPrice {
    /// The price from its stored kind and decimal value (checked like any entered price).
    pub fn from_parts(kind: PriceKind, value: &str) -> Result<ProviderPrice> {
        let v = parse_price("value", value)?;
        Ok(match kind {
            PriceKind::Markup => ProviderPrice::Markup(v),
            PriceKind::Fixed => ProviderPrice::Fixed(v),
        })
    }
}

/// How often a line is billed, as the public contract spells it (read in any case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BillingCycle {
    Monthly,
    Annual,
    Triennial,
    None,
    OneTime,
}

impl BillingCycle {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Monthly => "monthly",
            Self::Annual => "annual",
            Self::Triennial => "triennial",
            Self::None => "none",
            Self::OneTime => "one_time",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Monthly,
            Self::Annual,
            Self::Triennial,
            Self::None,
            Self::OneTime,
        ]
        .into_iter()
        .find(|c| c.as_str().eq_ignore_ascii_case(s))
    }
}

/// A cart's state. Stored lower-case like every other state; the API spells it `Active` and
/// `Ordered`, as the public contract does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub enum CartStatus {
    /// Lines may still change; checkout orders them.
    Active,
    /// Checked out: the cart names its order and changes no more.
    Ordered,
}

impl CartStatus {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CartStatus::Active => "active",
            CartStatus::Ordered => "ordered",
        }
    }
    /// The API's spelling.
    pub fn wire(self) -> &'static str {
        match self {
            CartStatus::Active => "Active",
            CartStatus::Ordered => "Ordered",
        }
    }
    pub fn parse(s: &str) -> Option<CartStatus> {
        [Self::Active, Self::Ordered]
            .into_iter()
            .find(|x| x.as_str().eq_ignore_ascii_case(s))
    }
}

/// A cart is kept this many days.
pub const CART_DAYS: i64 = 7;
/// An order or a cart has 1 to this many lines.
pub const MAX_LINES: usize = 50;

/// What an order line is checked and priced against: its availability and SKU.
#[derive(Debug, Clone, Copy)]
pub struct Offer<'a> {
    pub country: &'a str,
    pub currency: &'a str,
    /// Monthly price per unit, as stored (a decimal string).
    pub list_price: &'a str,
    pub minimum_quantity: i64,
    pub maximum_quantity: i64,
}

/// Checks one order line (offered in the customer's country, quantity in range) and answers
/// its unit price.
pub fn price_line(
    item: &CatalogItemId,
    offer: Offer<'_>,
    customer_country: &str,
    quantity: i64,
) -> Result<Decimal> {
    if offer.country != customer_country {
        return Err(Error::Conflict {
            code: Code::NotOffered,
            message: format!(
                "{item} is offered in {} ({}), not in the customer's country {customer_country}",
                offer.country, offer.currency
            ),
        });
    }
    if !(offer.minimum_quantity..=offer.maximum_quantity).contains(&quantity) {
        return Err(Error::Conflict {
            code: Code::QuantityOutOfRange,
            message: format!(
                "the quantity of {item} must be between {} and {}",
                offer.minimum_quantity, offer.maximum_quantity
            ),
        });
    }
    Decimal::from_str(offer.list_price).map_err(|e| Error::Internal(e.into()))
}

/// The subscription an add-on is bought on, as the add-on check needs it.
#[derive(Debug, Clone, Copy)]
pub struct AddOnParent<'a> {
    pub id: SubscriptionId,
    pub status: SubscriptionStatus,
    pub product: &'a str,
    pub currency: &'a str,
}

/// Checks an add-on bought on `parent` (an add-on of the parent's product, offered in the
/// customer's country and the parent's currency, quantity in range, parent active) and
/// answers its unit price. `base_product` is the product the add-on names as its base.
pub fn price_add_on(
    item: &CatalogItemId,
    offer: Offer<'_>,
    base_product: Option<&str>,
    parent: AddOnParent<'_>,
    customer_country: &str,
    quantity: i64,
) -> Result<Decimal> {
    if parent.status != SubscriptionStatus::Active {
        return Err(Error::Conflict {
            code: Code::InvalidSubscriptionChange,
            message: format!(
                "add-ons are bought on active subscriptions; {} is {}",
                parent.id, parent.status
            ),
        });
    }
    if base_product != Some(parent.product) {
        return Err(Error::Conflict {
            code: Code::NotOffered,
            message: format!("{item} is not an add-on of {}", parent.product),
        });
    }
    if offer.country != customer_country || offer.currency != parent.currency {
        return Err(Error::Conflict {
            code: Code::NotOffered,
            message: format!("{item} is not offered in the customer's country and currency"),
        });
    }
    price_line(item, offer, customer_country, quantity)
}

/// An order's running total: one currency for every line.
#[derive(Debug, Clone, Default)]
pub struct OrderTotal {
    pub currency: String,
    pub total: Decimal,
}

impl OrderTotal {
    pub fn add(&mut self, currency: &str, unit_price: Decimal, quantity: i64) -> Result<()> {
        if !self.currency.is_empty() && self.currency != currency {
            return Err(Error::field(
                "lineItems",
                "all lines of an order use one currency",
            ));
        }
        self.currency = currency.to_string();
        self.total += unit_price * Decimal::from(quantity);
        Ok(())
    }
    /// The total as stored: rounded to cents.
    pub fn amount(&self) -> String {
        self.total.round_dp(2).to_string()
    }
}

/// A subscription's name: the one given (trimmed, at most 200 characters) or the SKU's title.
pub fn friendly_name(given: Option<&str>, sku_title: &str) -> String {
    given
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| n.chars().take(200).collect())
        .unwrap_or_else(|| sku_title.to_string())
}

/// Days after purchase or renewal during which a subscription can be cancelled.
pub const CANCELLATION_DAYS: i64 = 7;

/// The one status transition function. `now` and `cancel_until` decide cancellation.
pub fn change_status(
    from: SubscriptionStatus,
    to: SubscriptionStatus,
    now: i64,
    cancel_until: i64,
) -> Result<SubscriptionStatus> {
    use SubscriptionStatus::*;
    match (from, to) {
        (a, b) if a == b => Ok(a),
        (Active, Suspended) | (Suspended, Active) => Ok(to),
        (Active | Suspended, Deleted) if now <= cancel_until => Ok(Deleted),
        (Active | Suspended, Deleted) => Err(Error::Conflict {
            code: Code::CancellationWindowClosed,
            message: "the cancellation window closed: a subscription can be cancelled within 7 days of purchase or renewal".into(),
        }),
        (from, to) => Err(Error::Conflict {
            code: Code::InvalidSubscriptionChange,
            message: format!("a {} subscription cannot become {}", from.as_str(), to.as_str()),
        }),
    }
}

/// One state of a subscription from `at` on: quantity, status, monthly unit price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub at: i64,
    pub quantity: i64,
    pub status: SubscriptionStatus,
    pub unit_price: Decimal,
}

/// One charged span of a subscription within a billing period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    pub start: i64,
    pub end: i64,
    pub quantity: i64,
    pub unit_price: Decimal,
    pub amount: Decimal,
}

pub const DAY_MS: i64 = 24 * 3600 * 1000;

/// Charges of one subscription in `[period_start, period_end)`: each span in a charged state
/// pays its quantity times the monthly price, prorated by the share of the period's days it
/// covers (to the millisecond), rounded to cents per span.
pub fn charges(history: &[Segment], period_start: i64, period_end: i64) -> Vec<Charge> {
    let period = Decimal::from(period_end - period_start);
    let mut out = Vec::new();
    for (i, s) in history.iter().enumerate() {
        let next = history.get(i + 1).map(|n| n.at).unwrap_or(i64::MAX);
        let start = s.at.max(period_start);
        let end = next.min(period_end);
        if end <= start || !s.status.charged() || s.quantity <= 0 {
            continue;
        }
        let share = Decimal::from(end - start) / period;
        let amount = (Decimal::from(s.quantity) * s.unit_price * share).round_dp(2);
        out.push(Charge {
            start,
            end,
            quantity: s.quantity,
            unit_price: s.unit_price,
            amount,
        });
    }
    out
}

/// The calendar month `[start, end)` containing `at` (UTC), in milliseconds.
pub fn month_of(at: i64) -> (i64, i64) {
    use chrono::{Datelike, TimeZone, Utc};
    let d = Utc.timestamp_millis_opt(at).single().unwrap_or_default();
    let start = Utc
        .with_ymd_and_hms(d.year(), d.month(), 1, 0, 0, 0)
        .single()
        .expect("valid date");
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    let end = Utc
        .with_ymd_and_hms(y, m, 1, 0, 0, 0)
        .single()
        .expect("valid date");
    (start.timestamp_millis(), end.timestamp_millis())
}

/// Term length in days for a term code.
pub fn term_days(term: &str) -> Option<i64> {
    match term {
        "P1M" => Some(30),
        "P1Y" => Some(365),
        "P3Y" => Some(3 * 365),
        "none" => Some(30),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add_on_case(
        status: SubscriptionStatus,
        base: Option<&str>,
        currency: &str,
        quantity: i64,
    ) -> Result<Decimal> {
        let item = CatalogItemId::parse("ADDON:S1:US").unwrap();
        let offer = Offer {
            country: "US",
            currency,
            list_price: "2.50",
            minimum_quantity: 1,
            maximum_quantity: 10,
        };
        let parent = AddOnParent {
            id: SubscriptionId::new(),
            status,
            product: "BASE",
            currency: "USD",
        };
        price_add_on(&item, offer, base, parent, "US", quantity)
    }

    #[test]
    fn an_add_on_is_priced_only_on_an_active_subscription_of_its_base_product() {
        use SubscriptionStatus::*;
        assert_eq!(
            add_on_case(Active, Some("BASE"), "USD", 3).unwrap(),
            Decimal::from_str("2.50").unwrap()
        );
        let code = |r: Result<Decimal>| match r {
            Err(Error::Conflict { code, .. }) => code,
            other => panic!("expected a conflict, got {other:?}"),
        };
        assert_eq!(
            code(add_on_case(Suspended, Some("BASE"), "USD", 3)),
            Code::InvalidSubscriptionChange
        );
        assert_eq!(
            code(add_on_case(Active, Some("OTHER"), "USD", 3)),
            Code::NotOffered
        );
        assert_eq!(code(add_on_case(Active, None, "USD", 3)), Code::NotOffered);
        assert_eq!(
            code(add_on_case(Active, Some("BASE"), "EUR", 3)),
            Code::NotOffered
        );
        assert_eq!(
            code(add_on_case(Active, Some("BASE"), "USD", 11)),
            Code::QuantityOutOfRange
        );
    }
    use proptest::prelude::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn catalog_item_ids_have_three_parts() {
        let c = CatalogItemId::parse("CFQ7TTC0LH18:0001:AV1").unwrap();
        assert_eq!(c.to_string(), "CFQ7TTC0LH18:0001:AV1");
        assert!(CatalogItemId::parse("a:b").is_err());
        assert!(CatalogItemId::parse("a::c").is_err());
    }

    #[test]
    fn prices_are_decimal_and_markups_round_to_four_places() {
        assert_eq!(
            ProviderPrice::Markup(d("12.5")).apply(d("10.00")),
            d("11.25")
        );
        assert_eq!(ProviderPrice::Fixed(d("9.99")).apply(d("10.00")), d("9.99"));
        assert!(parse_price("p", "-1").is_err());
        assert!(parse_price("p", "1.23456").is_err());
        assert!(parse_price("p", "1e3").is_err());
        assert_eq!(
            parse_price("p", "0.1").unwrap() + parse_price("p", "0.2").unwrap(),
            d("0.3")
        );
    }

    #[test]
    fn cancellation_only_inside_the_window() {
        use SubscriptionStatus::*;
        assert_eq!(change_status(Active, Deleted, 5, 10).unwrap(), Deleted);
        assert!(change_status(Active, Deleted, 11, 10).is_err());
        assert!(change_status(Deleted, Active, 1, 10).is_err());
        assert_eq!(change_status(Active, Suspended, 99, 10).unwrap(), Suspended);
        assert!(change_status(Expired, Suspended, 1, 10).is_err());
    }

    #[test]
    fn a_half_month_of_ten_seats_costs_half() {
        let h = [Segment {
            at: 50,
            quantity: 10,
            status: SubscriptionStatus::Active,
            unit_price: d("8"),
        }];
        let c = charges(&h, 0, 100);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].amount, d("40.00"));
    }

    #[test]
    fn months_start_on_the_first() {
        let (s, e) = month_of(1_700_000_000_000); // 2023-11-14
        assert_eq!(
            chrono::DateTime::from_timestamp_millis(s)
                .unwrap()
                .to_rfc3339(),
            "2023-11-01T00:00:00+00:00"
        );
        assert_eq!(
            chrono::DateTime::from_timestamp_millis(e)
                .unwrap()
                .to_rfc3339(),
            "2023-12-01T00:00:00+00:00"
        );
    }

    proptest! {
        /// Random histories: the invoice equals the sum of the charged spans computed day by
        /// day, to within the rounding of each span.
        #[test]
        fn invoices_equal_the_sum_of_charged_days(
            steps in proptest::collection::vec((1i64..10, 0i64..50, 0usize..3), 1..12)
        ) {
            let statuses = [SubscriptionStatus::Active, SubscriptionStatus::Suspended, SubscriptionStatus::Active];
            let mut at = 0i64;
            let mut history = Vec::new();
            for (days, qty, st) in &steps {
                history.push(Segment { at, quantity: *qty, status: statuses[*st], unit_price: d("30") });
                at += days * DAY_MS;
            }
            history.push(Segment { at, quantity: 0, status: SubscriptionStatus::Deleted, unit_price: d("30") });
            let period_end = 30 * DAY_MS;
            let total: Decimal = charges(&history, 0, period_end).iter().map(|c| c.amount).sum();
            // Day-by-day: each charged day costs quantity * 30 / 30 = quantity.
            let mut expected = Decimal::ZERO;
            for day in 0..30 {
                let t = day * DAY_MS;
                if let Some(s) = history.iter().rev().find(|s| s.at <= t) {
                    if s.status.charged() {
                        expected += Decimal::from(s.quantity);
                    }
                }
            }
            let spans = charges(&history, 0, period_end).len() as i64;
            prop_assert!((total - expected).abs() <= Decimal::new(spans, 2), "{total} vs {expected}");
        }
    }
}
