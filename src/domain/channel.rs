//! The rules of the channel, decided once for every path that orders (API, cart checkout,
//! portal order form, demo loader): who may be reseller of record of a subscription, and what
//! an ended partnership or customer relationship still allows.
//!
//! A reseller of record must be an active indirect reseller with an active relationship with
//! the customer and an active partnership with the provider that is billed. Ending either
//! leaves existing subscriptions billing and visible; only new orders through that pair stop.

use super::error::{Code, Error, Result};
use super::ids::TenantId;

/// Every mailed link (partnership invitation, relationship request) expires within this.
pub const MAX_LINK_DAYS: i64 = 90;

/// Checks a link lifetime chosen by the caller.
pub fn check_link_days(field: &str, days: i64) -> Result<i64> {
    if (1..=MAX_LINK_DAYS).contains(&days) {
        Ok(days)
    } else {
        Err(Error::field(
            field,
            format!("a link lasts 1 to {MAX_LINK_DAYS} days"),
        ))
    }
}

/// What is known about one reseller named (or found) as reseller of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordFacts {
    pub reseller: TenantId,
    pub is_reseller: bool,
    pub partner_active: bool,
    /// An active partnership with the provider that is billed.
    pub partnered_with_provider: bool,
    /// An active relationship with the customer.
    pub serves_customer: bool,
}

fn refuse(message: String) -> Error {
    Error::Conflict {
        code: Code::InvalidPartnerOfRecord,
        message,
    }
}

/// Checks a reseller named as reseller of record; `named` is how the caller named it.
pub fn check_reseller_of_record(named: &str, f: RecordFacts) -> Result<TenantId> {
    if !f.is_reseller {
        return Err(refuse(format!(
            "{named} is not valid as reseller of record: name an indirect reseller, never a provider"
        )));
    }
    if !f.partner_active {
        return Err(refuse(format!(
            "the reseller {named}'s program status is not active"
        )));
    }
    if !f.partnered_with_provider {
        return Err(refuse(format!(
            "the reseller {named} has no active partnership with the provider that is billed"
        )));
    }
    if !f.serves_customer {
        return Err(refuse(format!(
            "the reseller {named} has no active relationship with this customer"
        )));
    }
    Ok(f.reseller)
}

/// When the order names no reseller of record: the one reseller that qualifies (an active
/// relationship with the customer and an active partnership with the provider). With none,
/// nothing can be ordered through this provider; with several, the caller must choose.
pub fn only_reseller_of_record(qualified: &[TenantId]) -> Result<TenantId> {
    match qualified {
        [one] => Ok(*one),
        [] => Err(refuse(
            "no reseller has both an active relationship with this customer and an active partnership with you: no new order can go through that pair".into(),
        )),
        _ => Err(Error::field(
            "partnerIdOnRecord",
            "this customer has several resellers under you: name the reseller of record",
        )),
    }
}

/// The reseller of record an order's lines name, if any: every line names the same one or
/// none (one order has one reseller of record).
pub fn named_reseller_of_record<'a>(
    lines: impl IntoIterator<Item = Option<&'a str>>,
) -> Result<Option<&'a str>> {
    let mut named: Option<&str> = None;
    for n in lines
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if named.is_some_and(|m| m != n) {
            return Err(Error::field(
                "partnerIdOnRecord",
                "one order names one reseller of record",
            ));
        }
        named = Some(n);
    }
    Ok(named)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> RecordFacts {
        RecordFacts {
            reseller: TenantId::new(),
            is_reseller: true,
            partner_active: true,
            partnered_with_provider: true,
            serves_customer: true,
        }
    }

    #[test]
    fn a_reseller_of_record_needs_both_the_customer_and_the_provider() {
        let ok = facts();
        assert_eq!(check_reseller_of_record("r", ok).unwrap(), ok.reseller);
        for broken in [
            RecordFacts {
                is_reseller: false,
                ..ok
            },
            RecordFacts {
                partner_active: false,
                ..ok
            },
            RecordFacts {
                partnered_with_provider: false,
                ..ok
            },
            RecordFacts {
                serves_customer: false,
                ..ok
            },
        ] {
            let e = check_reseller_of_record("r", broken).unwrap_err();
            assert_eq!(e.code(), Code::InvalidPartnerOfRecord, "{broken:?}");
        }
    }

    #[test]
    fn several_resellers_must_be_chosen_between() {
        let (a, b) = (TenantId::new(), TenantId::new());
        assert_eq!(only_reseller_of_record(&[a]).unwrap(), a);
        assert!(matches!(
            only_reseller_of_record(&[a, b]),
            Err(Error::Validation(_))
        ));
        assert_eq!(
            only_reseller_of_record(&[]).unwrap_err().code(),
            Code::InvalidPartnerOfRecord
        );
    }

    #[test]
    fn one_order_names_one_reseller_of_record() {
        assert_eq!(
            named_reseller_of_record([None, Some(" 7 "), Some("7")]).unwrap(),
            Some("7")
        );
        assert_eq!(named_reseller_of_record([None, Some("")]).unwrap(), None);
        assert!(named_reseller_of_record([Some("7"), Some("8")]).is_err());
    }
}
