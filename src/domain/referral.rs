//! Referrals (sales leads): status `new -> active -> closed` with a substatus saying why,
//! and who may move a referral where.

use super::error::{Checks, Error, FieldError, Result};
use super::identity::{Country, Email};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum Status {
    New,
    Active,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum Substatus {
    Pending,
    Received,
    Accepted,
    Won,
    Lost,
    Declined,
    Expired,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for Substatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Active => "active",
            Status::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Option<Status> {
        [Status::New, Status::Active, Status::Closed]
            .into_iter()
            .find(|x| x.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl Substatus {
    pub const ALL: [Substatus; 7] = [
        Substatus::Pending,
        Substatus::Received,
        Substatus::Accepted,
        Substatus::Won,
        Substatus::Lost,
        Substatus::Declined,
        Substatus::Expired,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Substatus::Pending => "pending",
            Substatus::Received => "received",
            Substatus::Accepted => "accepted",
            Substatus::Won => "won",
            Substatus::Lost => "lost",
            Substatus::Declined => "declined",
            Substatus::Expired => "expired",
        }
    }
    pub fn parse(s: &str) -> Option<Substatus> {
        Self::ALL
            .into_iter()
            .find(|x| x.as_str().eq_ignore_ascii_case(s.trim()))
    }
    /// The status each substatus belongs to.
    pub fn status(self) -> Status {
        match self {
            Substatus::Pending | Substatus::Received => Status::New,
            Substatus::Accepted => Status::Active,
            Substatus::Won | Substatus::Lost | Substatus::Declined | Substatus::Expired => {
                Status::Closed
            }
        }
    }
}

/// Whether a referral may go from `from` to `to`, and by whom: the receiving partner works
/// the lead; the sender may only withdraw a lead nobody has taken up yet (closed, expired).
pub fn may_move(from: Substatus, to: Substatus, by_receiver: bool) -> Result<()> {
    use Substatus as S;
    let (a, b) = (from.status(), to.status());
    if a == Status::Closed {
        return Err(Error::conflict("this referral is closed"));
    }
    let allowed = match (a, b) {
        (Status::New, Status::New) => from == S::Pending && to == S::Received,
        (Status::New, Status::Active) => true,
        (Status::New, Status::Closed) => matches!(to, S::Declined | S::Expired),
        (Status::Active, Status::Closed) => matches!(to, S::Won | S::Lost | S::Expired),
        _ => false,
    };
    if !allowed {
        return Err(Error::field(
            "substatus",
            format!(
                "a referral cannot go from {}/{} to {}/{}",
                a.as_str(),
                from.as_str(),
                b.as_str(),
                to.as_str()
            ),
        ));
    }
    let withdrawal = a == Status::New && to == S::Expired;
    if !(by_receiver || withdrawal) {
        return Err(Error::Forbidden(
            "only the receiving partner works this referral; its sender may only withdraw it while it is new".into(),
        ));
    }
    Ok(())
}

/// A referral's content, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lead {
    pub name: String,
    pub deal_value: Decimal,
    pub currency: String,
    pub customer_name: String,
    pub customer_country: Country,
    pub contact_name: String,
    pub contact_email: Email,
    pub contact_phone: String,
    pub notes: String,
}

pub struct LeadInput<'a> {
    pub name: &'a str,
    pub deal_value: &'a str,
    pub currency: &'a str,
    pub customer_name: &'a str,
    pub customer_country: &'a str,
    pub contact_name: &'a str,
    pub contact_email: &'a str,
    pub contact_phone: &'a str,
    pub notes: &'a str,
    pub consent: bool,
}

fn text(c: &mut Checks, field: &str, v: &str, max: usize, required: bool) -> String {
    let v = v.trim();
    c.check(!required || !v.is_empty(), field, "this is required");
    c.check(
        v.chars().count() <= max,
        field,
        &format!("at most {max} characters"),
    );
    c.check(
        !v.chars().any(|ch| ch.is_control() && ch != '\n'),
        field,
        "control characters are not allowed",
    );
    v.to_string()
}

pub fn validate(i: &LeadInput<'_>) -> Result<Lead> {
    let mut c = Checks::new();
    let name = text(&mut c, "name", i.name, 200, true);
    let customer_name = text(&mut c, "customerProfile.name", i.customer_name, 200, true);
    let contact_name = text(
        &mut c,
        "customerProfile.contact.name",
        i.contact_name,
        200,
        true,
    );
    let contact_phone = text(
        &mut c,
        "customerProfile.contact.phone",
        i.contact_phone,
        40,
        false,
    );
    let notes = text(&mut c, "notes", i.notes, 2000, false);
    let deal_value = match Decimal::from_str(i.deal_value.trim()) {
        Ok(d)
            if d >= Decimal::ZERO && d.scale() <= 2 && d < Decimal::from(1_000_000_000_000i64) =>
        {
            Some(d)
        }
        _ => {
            c.push(FieldError::new(
                "dealValue",
                "a non-negative amount with at most two decimals",
            ));
            None
        }
    };
    let currency = i.currency.trim().to_ascii_uppercase();
    c.check(
        currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase()),
        "currency",
        "a three-letter ISO 4217 code, such as USD",
    );
    let country = c.parse(Country::parse(
        "customerProfile.country",
        i.customer_country,
    ));
    let email = c.parse(Email::parse(
        "customerProfile.contact.email",
        i.contact_email,
    ));
    c.check(
        i.consent,
        "consent",
        "the customer must have agreed to share these details",
    );
    c.finish()?;
    Ok(Lead {
        name,
        deal_value: deal_value.expect("checked"),
        currency,
        customer_name,
        customer_country: country.expect("checked"),
        contact_name,
        contact_email: email.expect("checked"),
        contact_phone,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Substatus as S;

    #[test]
    fn the_receiver_works_the_lead_and_the_sender_may_only_withdraw() {
        assert!(may_move(S::Pending, S::Received, true).is_ok());
        assert!(may_move(S::Received, S::Accepted, true).is_ok());
        assert!(may_move(S::Accepted, S::Won, true).is_ok());
        assert!(may_move(S::Accepted, S::Lost, true).is_ok());
        assert!(may_move(S::Pending, S::Declined, true).is_ok());
        assert!(
            may_move(S::Pending, S::Won, true).is_err(),
            "won needs acceptance first"
        );
        assert!(
            may_move(S::Accepted, S::Received, true).is_err(),
            "no way back"
        );
        assert!(may_move(S::Won, S::Lost, true).is_err(), "closed is final");
        assert!(may_move(S::Pending, S::Expired, false).is_ok());
        assert!(may_move(S::Pending, S::Accepted, false).is_err());
        assert!(may_move(S::Accepted, S::Expired, false).is_err());
        for s in Substatus::ALL {
            assert_eq!(Substatus::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn leads_are_checked_whole() {
        let ok = LeadInput {
            name: "Contoso expansion",
            deal_value: "12500.00",
            currency: "usd",
            customer_name: "Contoso",
            customer_country: "US",
            contact_name: "Ana",
            contact_email: "ana@contoso.example",
            contact_phone: "",
            notes: "",
            consent: true,
        };
        let lead = validate(&ok).unwrap();
        assert_eq!(lead.currency, "USD");
        let bad = LeadInput {
            deal_value: "-3",
            currency: "dollars",
            contact_email: "nope",
            consent: false,
            ..ok
        };
        match validate(&bad) {
            Err(Error::Validation(f)) => {
                let fields: Vec<&str> = f.iter().map(|e| e.field.as_str()).collect();
                assert_eq!(
                    fields,
                    [
                        "dealValue",
                        "currency",
                        "customerProfile.contact.email",
                        "consent"
                    ]
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
