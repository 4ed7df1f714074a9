//! Typed identifiers: a customer id cannot be passed where a user id is expected.

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
}

id_type!(
    /// A directory tenant: the identity directory of any organisation.
    TenantId
);
id_type!(
    /// A user in a directory tenant.
    UserId
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
    DeliveryId
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
