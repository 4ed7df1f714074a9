//! Typed identifiers: a customer id cannot be passed where a user id is expected.

use super::Error;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered id (UUIDv7 keeps b-tree inserts local).
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
    // With the noun a not-found names: `named` reads the id a request carries (a path
    // segment, a form field).
    ($(#[$doc:meta])* $name:ident, $noun:literal) => {
        id_type!($(#[$doc])* $name);

        impl $name {
            /// The id a request names. Text that is no such id names nothing, so it is the
            /// same not-found as an unknown id, never a 400 or an internal error.
            pub fn named(text: &str) -> Result<Self, Error> {
                text.trim().parse().map_err(|_| Error::NotFound($noun))
            }
        }
    };
}

id_type!(
    /// A directory tenant: the identity directory of any organisation.
    TenantId
);
id_type!(
    /// A user in a directory tenant.
    UserId,
    "user"
);
id_type!(
    /// An application registration (OAuth client) of a tenant.
    AppId
);
id_type!(
    /// An outbox message (mail, event, webhook delivery).
    OutboxId
);
id_type!(
    /// One audit record.
    AuditId
);
id_type!(
    /// One event's delivery to one organisation's webhook.
    DeliveryId,
    "the delivery"
);
id_type!(
    /// A referral (sales lead).
    ReferralId
);
id_type!(
    /// A support request (service request).
    ServiceRequestId
);
id_type!(
    /// A note in a support request's thread.
    NoteId
);
id_type!(
    /// A file attached to a support request.
    AttachmentId
);
id_type!(
    /// An application to a partner program (enrollment).
    EnrollmentId,
    "enrollment"
);
id_type!(
    /// An indirect provider's invitation to a reseller to become its partner.
    PartnerInvitationId,
    "invitation"
);
id_type!(
    /// A reseller's invitation to a customer to start a relationship (the relationship request).
    CustomerInvitationId,
    "relationship request"
);
id_type!(
    /// An order placed for a customer.
    OrderId,
    "order"
);
id_type!(
    /// An active or ended provider-reseller partnership (a relationship in the API).
    PartnershipId,
    "relationship"
);
id_type!(
    /// A customer's grant of delegated admin roles to one partner.
    GrantId,
    "grant"
);
id_type!(
    /// A cart: the lines a partner gathers for a customer before checking out.
    CartId,
    "cart"
);
id_type!(
    /// A customer's subscription (one line of an order, or an add-on or upgrade of one).
    SubscriptionId,
    "subscription"
);

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T>(id: T)
    where
        T: fmt::Display + FromStr + PartialEq + fmt::Debug + Serialize,
        T::Err: fmt::Debug,
    {
        let text = id.to_string();
        assert_eq!(text.len(), 36, "hyphenated UUID text: {text}");
        assert_eq!(text, text.to_lowercase());
        assert_eq!(text.parse::<T>().unwrap(), id);
        // JSON carries the same text as a bare string.
        assert_eq!(serde_json::to_string(&id).unwrap(), format!("\"{text}\""));
    }

    fn rejects<T: FromStr>() {
        for bad in [
            "",
            "42",
            "not-an-id",
            "0191e4a2-7c1b-7000-8000-00000000000",
            "../etc",
        ] {
            assert!(bad.parse::<T>().is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn new_ids_print_and_parse_back() {
        round_trip(EnrollmentId::new());
        round_trip(PartnerInvitationId::new());
        round_trip(CustomerInvitationId::new());
        round_trip(OrderId::new());
        round_trip(SubscriptionId::new());
        round_trip(CartId::new());
        round_trip(PartnershipId::new());
        round_trip(GrantId::new());
    }

    #[test]
    fn malformed_ids_are_refused() {
        rejects::<EnrollmentId>();
        rejects::<PartnerInvitationId>();
        rejects::<CustomerInvitationId>();
        rejects::<OrderId>();
        rejects::<SubscriptionId>();
        rejects::<CartId>();
        rejects::<PartnershipId>();
        rejects::<GrantId>();
    }

    #[test]
    fn a_named_id_that_is_not_one_is_not_found() {
        let id = OrderId::new();
        assert_eq!(OrderId::named(&id.to_string()).unwrap(), id);
        assert_eq!(OrderId::named(&format!(" {id} ")).unwrap(), id);
        for bad in ["", "x", "1 OR 1=1", "%00"] {
            assert!(matches!(OrderId::named(bad), Err(Error::NotFound("order"))));
            assert!(matches!(
                SubscriptionId::named(bad),
                Err(Error::NotFound("subscription"))
            ));
            assert!(matches!(
                EnrollmentId::named(bad),
                Err(Error::NotFound("enrollment"))
            ));
        }
    }

    #[test]
    fn stored_text_reads_back_unchanged() {
        // Ids written before the types existed were `Uuid::now_v7().to_string()`.
        let stored = uuid::Uuid::now_v7().to_string();
        assert_eq!(stored.parse::<OrderId>().unwrap().to_string(), stored);
        assert_eq!(
            stored.parse::<SubscriptionId>().unwrap().to_string(),
            stored
        );
        let json = format!("\"{stored}\"");
        let back: OrderId = serde_json::from_str(&json).unwrap();
        assert_eq!(back.to_string(), stored);
    }
}
