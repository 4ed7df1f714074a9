//! Why a refused action was refused. [`super::authz::can`] decides; when it says no, [`explain`]
//! names the first precondition the actor does not meet, so a 403 tells an integrator what to
//! fix, with a stable code per reason.

use super::authz::{Action, Actor, Principal, Resource};
use super::error::Code;
use super::identity::TenantKind;

/// One reason for a refusal. Each has its own stable error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The action is about another organisation than the caller's.
    NotYourOrganisation,
    /// The action needs another kind of tenant (partner, customer, operator).
    WrongTenantKind(TenantKind),
    /// The organisation has no authorized partner account, or it is not active.
    PartnerNotActive,
    /// The organisation is not enrolled in the program the action belongs to.
    ProgramMissing(ProgramNeeded),
    /// The organisation has not accepted the current partner agreement.
    AgreementNotAccepted,
    /// The provider and reseller named have no active partnership.
    PartnershipNotActive,
    /// The caller's organisation has no active relationship with the customer.
    NoCustomerRelationship,
    /// The caller's organisation holds no delegated-admin grant that allows this.
    NoDelegatedGrant,
    /// Only a signed-in person may do this, not an application.
    PeopleOnly,
    /// The caller's roles do not include one this action needs.
    MissingRole,
    /// Only admin agents and account admins may ask a customer for Global Administrator.
    GlobalAdminNotRequestable,
    /// The user acted on holds a role above what the caller reaches (`authz::may_act_on`).
    TargetOutranksCaller,
    /// The caller may not hand out this role (`authz::may_grant`).
    RoleNotGrantable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgramNeeded {
    Reseller,
    Provider,
}

impl Refusal {
    pub fn code(self) -> Code {
        match self {
            Refusal::NotYourOrganisation => Code::NotYourOrganisation,
            Refusal::WrongTenantKind(_) => Code::WrongTenantKind,
            Refusal::PartnerNotActive => Code::PartnerNotActive,
            Refusal::ProgramMissing(_) => Code::ProgramMissing,
            Refusal::AgreementNotAccepted => Code::AgreementNotAccepted,
            Refusal::PartnershipNotActive => Code::PartnershipNotActive,
            Refusal::NoCustomerRelationship => Code::NoCustomerRelationship,
            Refusal::NoDelegatedGrant => Code::NoDelegatedGrant,
            Refusal::PeopleOnly => Code::PeopleOnly,
            Refusal::MissingRole => Code::MissingRole,
            Refusal::GlobalAdminNotRequestable => Code::AccessNotRequestable,
            Refusal::TargetOutranksCaller => Code::TargetOutranksCaller,
            Refusal::RoleNotGrantable => Code::RoleNotGrantable,
        }
    }

    pub fn describe(self) -> String {
        match self {
            Refusal::NotYourOrganisation => {
                "refused: this concerns another organisation than yours".into()
            }
            Refusal::WrongTenantKind(k) => format!(
                "refused: only a {} organisation may do this",
                match k {
                    TenantKind::Operator => "operator",
                    TenantKind::Partner => "partner",
                    TenantKind::Customer => "customer",
                }
            ),
            Refusal::PartnerNotActive => {
                "refused: your organisation has no active partner account".into()
            }
            Refusal::ProgramMissing(p) => format!(
                "refused: your organisation is not enrolled as an indirect {}",
                match p {
                    ProgramNeeded::Reseller => "reseller",
                    ProgramNeeded::Provider => "provider",
                }
            ),
            Refusal::AgreementNotAccepted => {
                "refused: your organisation has not accepted the current partner agreement (POST /v1/agreements/current/acceptance)".into()
            }
            Refusal::PartnershipNotActive => {
                "refused: the provider and the reseller have no active partnership".into()
            }
            Refusal::NoCustomerRelationship => {
                "refused: your organisation has no active relationship with this customer".into()
            }
            Refusal::NoDelegatedGrant => {
                "refused: your organisation holds no delegated-admin grant on this customer that allows this".into()
            }
            Refusal::PeopleOnly => "refused: only a signed-in person may do this, not an application".into(),
            Refusal::MissingRole => "refused: your roles do not allow this".into(),
            Refusal::GlobalAdminNotRequestable => "refused: only admin agents and account admins may ask a customer for Global Administrator".into(),
            Refusal::TargetOutranksCaller => "refused: this user holds a role above yours: ask someone who holds at least that role".into(),
            Refusal::RoleNotGrantable => "refused: you may not grant this role: only someone who holds it, or the organisation's global administrator, may".into(),
        }
    }
}

/// The tenant kind an action on the caller's own tenant is meant for, when only one fits.
fn kind_for(action: Action) -> Option<TenantKind> {
    use Action as A;
    match action {
        A::ManageOwnPartners => Some(TenantKind::Customer),
        A::ImportMemberships | A::ReviewEnrollments | A::ReadCapturedMail => {
            Some(TenantKind::Operator)
        }
        A::ManageEnrollment
        | A::AcceptAgreement
        | A::ReadPartnerProfile
        | A::EditPartnerProfile
        | A::Transact
        | A::ManageListing
        | A::InviteResellers
        | A::AuthorizeProvider
        | A::ReadPartnerships
        | A::InviteCustomers
        | A::CreateCustomerForReseller
        | A::ManageWebhooks
        | A::ReadWebhooks => Some(TenantKind::Partner),
        _ => None,
    }
}

fn program_for(action: Action) -> Option<ProgramNeeded> {
    match action {
        Action::InviteCustomers | Action::AuthorizeProvider => Some(ProgramNeeded::Reseller),
        Action::InviteResellers | Action::CreateCustomerForReseller | Action::ManageListing => {
            Some(ProgramNeeded::Provider)
        }
        _ => None,
    }
}

fn needs_agreement(action: Action) -> bool {
    matches!(
        action,
        Action::Transact
            | Action::InviteResellers
            | Action::AuthorizeProvider
            | Action::InviteCustomers
            | Action::CreateCustomerForReseller
            | Action::OrderForCustomer
    )
}

/// Actions on a customer that go through a delegated-admin grant rather than the
/// relationship alone.
fn through_grant(action: Action) -> bool {
    matches!(
        action,
        Action::ReadCustomerUsers
            | Action::ManageCustomerUsers
            | Action::ResetCustomerPassword
            | Action::ManageCustomerRoles
            | Action::AddCustomerDomain
            | Action::ReadLicenses
            | Action::AssignLicenses
    )
}

/// Names the first precondition of `action` the actor does not meet. Call it only after
/// [`super::authz::can`] refused: it explains a decision, it never makes one.
pub fn explain(actor: &Actor, action: Action, resource: Resource) -> Refusal {
    let partner_ok = actor.partner.as_ref().is_some_and(|p| p.active);
    match resource {
        Resource::Tenant(t) if t != actor.tenant => return Refusal::NotYourOrganisation,
        Resource::Customer(f) if f.customer != actor.tenant => {
            if actor.tenant_kind != TenantKind::Partner {
                return Refusal::WrongTenantKind(TenantKind::Partner);
            }
            if !partner_ok {
                return Refusal::PartnerNotActive;
            }
            if needs_agreement(action)
                && !actor.partner.as_ref().is_some_and(|p| p.agreement_accepted)
            {
                return Refusal::AgreementNotAccepted;
            }
            // The grant is what is missing when every grant role would have allowed it.
            let fully_granted = super::customer::CustomerFacts {
                grants: super::customer::GrantSet::of(super::customer::GrantRole::ALL),
                ..f
            };
            if through_grant(action)
                && (f.grants.is_empty()
                    || super::authz::can(actor, action, Resource::Customer(fully_granted))
                        .allowed())
            {
                return Refusal::NoDelegatedGrant;
            }
            if !through_grant(action) && !f.relationship {
                return Refusal::NoCustomerRelationship;
            }
            return Refusal::MissingRole;
        }
        Resource::Partnership { provider, reseller }
            if actor.tenant != provider && actor.tenant != reseller =>
        {
            return Refusal::NotYourOrganisation;
        }
        _ => {}
    }
    if let Some(kind) = kind_for(action) {
        if actor.tenant_kind != kind {
            return Refusal::WrongTenantKind(kind);
        }
    }
    if kind_for(action) == Some(TenantKind::Partner)
        && !matches!(
            action,
            Action::ManageEnrollment | Action::ReadPartnerProfile
        )
        && !partner_ok
    {
        return Refusal::PartnerNotActive;
    }
    if let Some(program) = program_for(action) {
        let enrolled = actor.partner.as_ref().is_some_and(|p| match program {
            ProgramNeeded::Reseller => p.is_reseller,
            ProgramNeeded::Provider => p.is_provider,
        });
        if !enrolled {
            return Refusal::ProgramMissing(program);
        }
    }
    if needs_agreement(action) && !actor.partner.as_ref().is_some_and(|p| p.agreement_accepted) {
        return Refusal::AgreementNotAccepted;
    }
    if matches!(actor.principal, Principal::App(_))
        && matches!(
            action,
            Action::ManageApps
                | Action::ManageEnrollment
                | Action::AcceptAgreement
                | Action::AuthorizeProvider
                | Action::ManageOwnNotifications
        )
    {
        return Refusal::PeopleOnly;
    }
    Refusal::MissingRole
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::authz::{can, PartnerFacts};
    use crate::domain::customer::CustomerFacts;
    use crate::domain::identity::Role;
    use crate::domain::ids::{TenantId, UserId};

    fn partner(roles: &[Role], facts: PartnerFacts) -> Actor {
        Actor {
            principal: Principal::User(UserId::new()),
            tenant: TenantId::new(),
            tenant_kind: TenantKind::Partner,
            roles: roles.iter().copied().collect(),
            partner: Some(facts),
        }
    }

    fn reseller(agreement: bool) -> PartnerFacts {
        PartnerFacts {
            is_reseller: true,
            is_provider: false,
            agreement_accepted: agreement,
            active: true,
        }
    }

    /// Each reason is named only where `can` refuses, and each has its own code.
    #[test]
    fn each_refusal_names_its_precondition() {
        let a = partner(&[Role::AdminAgent], reseller(false));
        let own = Resource::Tenant(a.tenant);
        assert!(!can(&a, Action::InviteCustomers, own).allowed());
        assert_eq!(
            explain(&a, Action::InviteCustomers, own),
            Refusal::AgreementNotAccepted
        );
        let a = partner(&[Role::HelpdeskAgent], reseller(true));
        let own = Resource::Tenant(a.tenant);
        assert!(!can(&a, Action::InviteCustomers, own).allowed());
        assert_eq!(
            explain(&a, Action::InviteCustomers, own),
            Refusal::MissingRole
        );
        assert_eq!(
            explain(&a, Action::InviteResellers, own),
            Refusal::ProgramMissing(ProgramNeeded::Provider)
        );
        let mut customer = partner(&[Role::GlobalAdministrator], reseller(true));
        customer.tenant_kind = TenantKind::Customer;
        customer.partner = None;
        assert_eq!(
            explain(
                &customer,
                Action::InviteCustomers,
                Resource::Tenant(customer.tenant)
            ),
            Refusal::WrongTenantKind(TenantKind::Partner)
        );
        let facts = CustomerFacts {
            customer: TenantId::new(),
            relationship: false,
            grants: Default::default(),
        };
        let a = partner(&[Role::AdminAgent], reseller(true));
        assert!(!can(&a, Action::OrderForCustomer, Resource::Customer(facts)).allowed());
        assert_eq!(
            explain(&a, Action::OrderForCustomer, Resource::Customer(facts)),
            Refusal::NoCustomerRelationship
        );
        assert_eq!(
            explain(&a, Action::AssignLicenses, Resource::Customer(facts)),
            Refusal::NoDelegatedGrant
        );
        // A grant that lacks the role the action needs is the grant's fault; a partner role
        // that does not fit is the role's.
        let licenses_only = CustomerFacts {
            relationship: true,
            grants: crate::domain::customer::GrantSet::of([
                crate::domain::customer::GrantRole::LicenseAdministrator,
            ]),
            ..facts
        };
        assert_eq!(
            explain(
                &a,
                Action::ManageCustomerUsers,
                Resource::Customer(licenses_only)
            ),
            Refusal::NoDelegatedGrant
        );
        let sales = partner(&[Role::SalesAgent], reseller(true));
        assert_eq!(
            explain(
                &sales,
                Action::AssignLicenses,
                Resource::Customer(licenses_only)
            ),
            Refusal::MissingRole
        );
        let codes: std::collections::BTreeSet<u32> = [
            Refusal::NotYourOrganisation,
            Refusal::WrongTenantKind(TenantKind::Customer),
            Refusal::PartnerNotActive,
            Refusal::ProgramMissing(ProgramNeeded::Reseller),
            Refusal::AgreementNotAccepted,
            Refusal::PartnershipNotActive,
            Refusal::NoCustomerRelationship,
            Refusal::NoDelegatedGrant,
            Refusal::PeopleOnly,
            Refusal::MissingRole,
            Refusal::GlobalAdminNotRequestable,
            Refusal::TargetOutranksCaller,
            Refusal::RoleNotGrantable,
        ]
        .into_iter()
        .map(|r| r.code() as u32)
        .collect();
        assert_eq!(codes.len(), 13, "one stable code per reason");
    }
}
