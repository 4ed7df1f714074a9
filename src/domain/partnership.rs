//! Provider-reseller partnerships: the provider directory's services, the partnership state
//! machine, the relationship types of the API, and the region rule.

use super::error::{Code, Error, Result};
use super::words::stored_words;
use serde::{Deserialize, Serialize};

/// What a provider offers its resellers, as listed in the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Service {
    Billing,
    CustomerSupport,
    FinancingAndCredit,
    MarketingHelp,
    TechnicalAssistance,
}

impl Service {
    pub const ALL: [Service; 5] = [
        Service::Billing,
        Service::CustomerSupport,
        Service::FinancingAndCredit,
        Service::MarketingHelp,
        Service::TechnicalAssistance,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Service::Billing => "billing",
            Service::CustomerSupport => "customer_support",
            Service::FinancingAndCredit => "financing_and_credit",
            Service::MarketingHelp => "marketing_help",
            Service::TechnicalAssistance => "technical_assistance",
        }
    }
    pub fn parse(s: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

stored_words! {
    /// A partner account's standing (`partners.status`): only an active partner transacts.
    pub enum PartnerStatus {
        Active => "active",
        Suspended => "suspended",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PartnershipState {
    Active,
    Terminated,
}

impl PartnershipState {
    pub fn as_str(self) -> &'static str {
        match self {
            PartnershipState::Active => "active",
            PartnershipState::Terminated => "terminated",
        }
    }
    /// The stored word; anything else is a corrupt row.
    pub fn parse(s: &str) -> Option<PartnershipState> {
        match s {
            "active" => Some(PartnershipState::Active),
            "terminated" => Some(PartnershipState::Terminated),
            _ => None,
        }
    }
    /// The API's word for it.
    pub fn wire(self) -> &'static str {
        match self {
            PartnershipState::Active => "Active",
            PartnershipState::Terminated => "Terminated",
        }
    }
}

/// Where an invitation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InvitationState {
    Pending,
    Accepted,
    Revoked,
    Expired,
}

impl InvitationState {
    pub fn as_str(self) -> &'static str {
        match self {
            InvitationState::Pending => "pending",
            InvitationState::Accepted => "accepted",
            InvitationState::Revoked => "revoked",
            InvitationState::Expired => "expired",
        }
    }
    /// The stored word (`expired` is never stored: it is `pending` past its date).
    pub fn parse(s: &str) -> Option<InvitationState> {
        match s {
            "pending" => Some(InvitationState::Pending),
            "accepted" => Some(InvitationState::Accepted),
            "revoked" => Some(InvitationState::Revoked),
            "expired" => Some(InvitationState::Expired),
            _ => None,
        }
    }
    /// The stored state, seen at `now` (a pending invitation past its date is expired).
    pub fn seen_at(self, expires_at: i64, now: i64) -> InvitationState {
        match self {
            InvitationState::Pending if expires_at <= now => InvitationState::Expired,
            s => s,
        }
    }
}

/// The relationship types of `GET /v1/relationships`, as the caller sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationshipType {
    /// The caller is the provider: list its resellers.
    IsIndirectCloudSolutionProviderOf,
    /// The caller is the reseller: list its providers.
    IsIndirectResellerOf,
}

impl RelationshipType {
    pub fn parse(s: &str) -> Option<RelationshipType> {
        match s.to_ascii_lowercase().replace('_', "").as_str() {
            "isindirectcloudsolutionproviderof" => {
                Some(RelationshipType::IsIndirectCloudSolutionProviderOf)
            }
            "isindirectresellerof" => Some(RelationshipType::IsIndirectResellerOf),
            _ => None,
        }
    }
    /// The serialized form used in items.
    pub fn wire(self) -> &'static str {
        match self {
            RelationshipType::IsIndirectCloudSolutionProviderOf => {
                "is_indirect_cloud_solution_provider_of"
            }
            RelationshipType::IsIndirectResellerOf => "is_indirect_reseller_of",
        }
    }
}

/// A provider partners only with resellers in countries it serves.
pub fn region_allows(served: &[String], provider_name: &str, reseller_country: &str) -> Result<()> {
    if served.iter().any(|c| c == reseller_country) {
        Ok(())
    } else {
        Err(Error::Conflict {
            code: Code::RegionMismatch,
            message: format!(
                "{provider_name} serves {} but the reseller is in {reseller_country}: a provider can partner only with resellers in countries it serves",
                served.join(", ")
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_errors_name_both_countries() {
        let e = region_allows(&["US".into(), "CA".into()], "Northwind", "KR").unwrap_err();
        let m = e.to_string();
        assert!(m.contains("US, CA") && m.contains("KR"), "{m}");
        assert!(region_allows(&["KR".into()], "Hanbit", "KR").is_ok());
    }

    #[test]
    fn relationship_types_parse_in_either_spelling() {
        assert_eq!(
            RelationshipType::parse("IsIndirectCloudSolutionProviderOf"),
            Some(RelationshipType::IsIndirectCloudSolutionProviderOf)
        );
        assert_eq!(
            RelationshipType::parse("is_indirect_reseller_of"),
            Some(RelationshipType::IsIndirectResellerOf)
        );
        assert_eq!(RelationshipType::parse("friends"), None);
    }

    #[test]
    fn pending_invitations_expire_with_time() {
        assert_eq!(
            InvitationState::Pending.seen_at(100, 50),
            InvitationState::Pending
        );
        assert_eq!(
            InvitationState::Pending.seen_at(100, 100),
            InvitationState::Expired
        );
        assert_eq!(
            InvitationState::Accepted.seen_at(100, 500),
            InvitationState::Accepted
        );
    }
}
