//! The domain: types that are valid once built, state machines, validation and
//! authorization. No I/O and no async here.

pub mod audit;
pub mod authz;
pub mod catalog;
pub mod channel;
pub mod commerce;
pub mod customer;
pub mod customer_domain;
pub mod enrollment;
pub mod error;
pub mod figures;
pub mod identity;
pub mod ids;
pub mod paging;
pub mod partnership;
pub mod referral;
pub mod refusal;
pub mod secret;
pub mod support;
pub mod webhook;
pub mod words;

pub use error::{Error, FieldError, Result};
