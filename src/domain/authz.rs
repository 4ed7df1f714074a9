//! Authorization: one pure function decides whether an actor may perform an action on a
//! resource, from the actor's roles and the facts about relationships loaded for the request.
//! Every API handler and portal page goes through [`can`]; nothing checks roles by hand.

use super::customer::{CustomerFacts, GrantRole};
use super::identity::{Role, TenantKind};
use super::ids::{AppId, TenantId, UserId};
use super::support::{self, CaseFacts, SupportAction as S};
use std::collections::BTreeSet;

/// Who is calling: a signed-in user or an application acting for its own tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    User(UserId),
    App(AppId),
}

/// What the program knows about the actor's organisation as a partner.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartnerFacts {
    pub is_reseller: bool,
    pub is_provider: bool,
    /// The current partner agreement was accepted.
    pub agreement_accepted: bool,
    pub active: bool,
}

#[derive(Debug, Clone)]
pub struct Actor {
    pub principal: Principal,
    pub tenant: TenantId,
    pub tenant_kind: TenantKind,
    pub roles: BTreeSet<Role>,
    /// Present when the actor's tenant has an authorized partner account.
    pub partner: Option<PartnerFacts>,
}

impl Actor {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
    fn has_any(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.roles.contains(r))
    }
    pub fn user_id(&self) -> Option<UserId> {
        match self.principal {
            Principal::User(u) => Some(u),
            Principal::App(_) => None,
        }
    }
    pub fn is_operator(&self) -> bool {
        self.tenant_kind == TenantKind::Operator && self.has(Role::OperatorAdmin)
    }
}

/// What the actor wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Read the tenant's own profile and directory.
    ReadTenant,
    /// List and read users of a tenant.
    ReadUsers,
    /// Create, change, remove users and their roles.
    ManageUsers,
    /// Read the organisation's activity (audit) log: who changed what, including the
    /// organisation's partners acting in its directory.
    ReadActivityLog,
    /// Reset a user's password (helpdesk).
    ResetPassword,
    /// Register applications (OAuth clients) for a tenant.
    ManageApps,
    /// Read mail captured by the built-in mail capture.
    ReadCapturedMail,
    /// Import partner-network membership records.
    ImportMemberships,
    /// Apply to a partner program for the tenant and manage the application.
    ManageEnrollment,
    /// Review applications (operator).
    ReviewEnrollments,
    /// Accept the partner agreement for the organisation.
    AcceptAgreement,
    /// Read the partner's profiles (legal, organisation, support, partner-network id).
    ReadPartnerProfile,
    /// Change the partner's profiles.
    EditPartnerProfile,
    /// Invite partners or customers, or place orders: needs an active partner account that
    /// accepted the agreement.
    Transact,
    /// Search the provider directory.
    SearchProviders,
    /// Edit the provider's directory listing.
    ManageListing,
    /// Invite resellers to a partnership (provider).
    InviteResellers,
    /// Authorize a provider that invited the organisation (reseller).
    AuthorizeProvider,
    /// See the organisation's partnerships.
    ReadPartnerships,
    /// Read a provider's invoices (the provider itself, or the operator who bills them).
    ReadInvoices,
    /// End a partnership (either side).
    EndPartnership,
    /// Take back the provider's admin access to the reseller's directory (reseller).
    RevokeProviderAdmin,
    /// Invite customers or request reseller relationships (reseller).
    InviteCustomers,
    /// Create a customer tenant for a partnered reseller (provider).
    CreateCustomerForReseller,
    /// See a customer: record, profiles, partners, services.
    ReadCustomer,
    /// Change the customer's billing profile.
    UpdateCustomerBilling,
    /// End the caller's own reseller relationship with a customer.
    EndCustomerRelationship,
    /// Read the customer's users and directory roles.
    ReadCustomerUsers,
    /// Create, change, delete and restore the customer's users.
    ManageCustomerUsers,
    /// Reset a customer user's password.
    ResetCustomerPassword,
    /// Add and remove members of the customer's directory roles.
    ManageCustomerRoles,
    /// Add a verified domain to the customer's directory (its users may then sign in with
    /// names in that domain).
    AddCustomerDomain,
    /// Read the customer's licenses and seats.
    ReadLicenses,
    /// Assign and remove licenses of the customer's users.
    AssignLicenses,
    /// The customer sees and revokes its partners' relationships and grants.
    ManageOwnPartners,
    /// Place orders and change subscriptions for the customer.
    OrderForCustomer,
    /// Register, change and remove the organisation's webhook, rotate its secret, send a
    /// test event, redeliver.
    ManageWebhooks,
    /// See the webhook registration and its delivery log.
    ReadWebhooks,
    /// Choose which events mail oneself.
    ManageOwnNotifications,
    /// Record a referral (to oneself) or send one to another partner.
    SendReferral,
    /// See a referral the organisation sent or received.
    ReadReferral,
    /// Move a referral through its statuses, change its details.
    UpdateReferral,
    /// Support requests (`domain::support` holds the rules): list the organisation's cases.
    ReadServiceRequests,
    /// Raise a case for the organisation itself (on `Tenant`) or for a customer (`Customer`).
    RaiseServiceRequest,
    /// Read a case and its thread.
    ReadServiceRequest,
    /// Add a note or a file to a case's thread.
    NoteServiceRequest,
    /// Change a case's status (answer, ask for information, resolve, withdraw, reopen).
    UpdateServiceRequest,
    /// Hand a case to the next tier up.
    EscalateServiceRequest,
    /// See the support topics.
    ReadSupportTopics,
    /// See the organisation's service-level targets.
    ReadSupportTargets,
    /// Set the organisation's service-level targets.
    ManageSupportTargets,
    /// See breach rates per reseller and per topic (operator, providers).
    ReadSupportStats,
}

/// What the action is done to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// A directory tenant.
    Tenant(TenantId),
    /// The platform itself (operator functions, shared directories).
    Platform,
    /// A provider-reseller partnership.
    Partnership {
        provider: TenantId,
        reseller: TenantId,
    },
    /// A customer tenant, with the caller's relationship and grants on it.
    Customer(CustomerFacts),
    /// A referral from one organisation to another (the same one for a partner's own leads).
    /// `partnered`: the creator is a provider with an active partnership with the target.
    Referral {
        creator: TenantId,
        target: TenantId,
        partnered: bool,
    },
    /// A support request, with the organisations on its path.
    ServiceRequest(CaseFacts),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny,
}

impl Decision {
    pub fn allowed(self) -> bool {
        self == Decision::Allow
    }
}

fn allow_if(ok: bool) -> Decision {
    if ok {
        Decision::Allow
    } else {
        Decision::Deny
    }
}

/// Roles that administer a tenant's users: its global and user administrators, and in a
/// partner account the account admin and admin agents.
const USER_MANAGERS: &[Role] = &[
    Role::GlobalAdministrator,
    Role::UserAdministrator,
    Role::AccountAdmin,
    Role::AdminAgent,
];

/// Referrals: a partner records its own leads; a provider sends leads to resellers it is
/// partnered with; the operator sends leads to any partner. Both ends see and move them on.
fn referral(
    actor: &Actor,
    action: Action,
    creator: TenantId,
    target: TenantId,
    partnered: bool,
) -> Decision {
    let active = actor.partner.as_ref().filter(|p| p.active);
    let sellers = actor.has_any(&[
        Role::AccountAdmin,
        Role::AdminAgent,
        Role::SalesAgent,
        Role::ReferralsAdmin,
    ]);
    match action {
        Action::SendReferral => allow_if(
            actor.tenant == creator
                && ((actor.is_operator() && target != creator)
                    || (sellers
                        && active
                            .is_some_and(|p| target == creator || (p.is_provider && partnered)))),
        ),
        Action::ReadReferral | Action::UpdateReferral => allow_if(
            (actor.tenant == creator || actor.tenant == target)
                && (actor.is_operator() || (sellers && active.is_some())),
        ),
        _ => Decision::Deny,
    }
}

pub fn can(actor: &Actor, action: Action, resource: Resource) -> Decision {
    match resource {
        Resource::Platform => match action {
            Action::ReadCapturedMail | Action::ImportMemberships | Action::ReviewEnrollments => {
                allow_if(actor.is_operator())
            }
            Action::SearchProviders => allow_if(actor.partner.is_some() || actor.is_operator()),
            Action::ReadSupportTopics => Decision::Allow,
            _ => Decision::Deny,
        },
        // Support about a customer: the customer itself, or a partner serving it.
        Resource::Customer(f)
            if matches!(
                action,
                Action::RaiseServiceRequest | Action::ReadServiceRequests
            ) =>
        {
            support::on_customer(actor, f.customer, f.relationship)
        }
        Resource::Customer(f) => customer(actor, action, f),
        Resource::ServiceRequest(f) => match action {
            Action::ReadServiceRequest => support::on_case(actor, S::Read, &f),
            Action::NoteServiceRequest => support::on_case(actor, S::Note, &f),
            Action::UpdateServiceRequest => support::on_case(actor, S::Update, &f),
            Action::EscalateServiceRequest => support::on_case(actor, S::Escalate, &f),
            _ => Decision::Deny,
        },
        Resource::Referral {
            creator,
            target,
            partnered,
        } => referral(actor, action, creator, target, partnered),
        Resource::Partnership { provider, reseller } => {
            partnership(actor, action, provider, reseller)
        }
        Resource::Tenant(t) => on_tenant(actor, action, t),
    }
}

/// Acting on a provider-reseller partnership.
fn partnership(actor: &Actor, action: Action, provider: TenantId, reseller: TenantId) -> Decision {
    let admins = actor.has_any(&[Role::AccountAdmin, Role::AdminAgent]);
    match action {
        Action::EndPartnership => {
            allow_if((actor.tenant == provider || actor.tenant == reseller) && admins)
        }
        Action::RevokeProviderAdmin => allow_if(
            actor.tenant == reseller
                && actor.has_any(&[
                    Role::AccountAdmin,
                    Role::AdminAgent,
                    Role::GlobalAdministrator,
                ]),
        ),
        Action::ReadPartnerships => allow_if(actor.tenant == provider || actor.tenant == reseller),
        _ => Decision::Deny,
    }
}

/// Acting on a tenant's own directory, programme membership and support settings. Every
/// action is listed, so a new one must be decided here.
fn on_tenant(actor: &Actor, action: Action, t: TenantId) -> Decision {
    let own = t == actor.tenant;
    let is_user = matches!(actor.principal, Principal::User(_));
    match action {
        Action::ReadTenant
        | Action::ReadUsers
        | Action::ReadActivityLog
        | Action::ManageUsers
        | Action::ResetPassword
        | Action::ManageApps
        | Action::ManageEnrollment => directory(actor, action, own, is_user),
        Action::AcceptAgreement
        | Action::ReadPartnerProfile
        | Action::EditPartnerProfile
        | Action::Transact
        | Action::ManageListing
        | Action::InviteResellers
        | Action::AuthorizeProvider
        | Action::ReadPartnerships
        | Action::ReadInvoices
        | Action::InviteCustomers
        | Action::CreateCustomerForReseller
        | Action::ManageOwnPartners
        | Action::ManageWebhooks
        | Action::ReadWebhooks
        | Action::ManageOwnNotifications => programme(actor, action, own, is_user),
        Action::ReadServiceRequests if own => support::on_own_tenant(actor, S::List),
        Action::RaiseServiceRequest if own => support::on_own_tenant(actor, S::RaiseOwn),
        Action::ReadSupportTargets if own => support::on_own_tenant(actor, S::ReadTargets),
        Action::ManageSupportTargets if own => support::on_own_tenant(actor, S::SetTargets),
        Action::ReadSupportStats if own => support::on_own_tenant(actor, S::ReadStats),
        Action::ReadServiceRequests
        | Action::RaiseServiceRequest
        | Action::ReadSupportTargets
        | Action::ManageSupportTargets
        | Action::ReadSupportStats
        | Action::ReadServiceRequest
        | Action::NoteServiceRequest
        | Action::UpdateServiceRequest
        | Action::EscalateServiceRequest
        | Action::ReadSupportTopics => Decision::Deny,
        Action::ReadCapturedMail
        | Action::ImportMemberships
        | Action::ReviewEnrollments
        | Action::SearchProviders
        | Action::SendReferral
        | Action::ReadReferral
        | Action::UpdateReferral
        | Action::EndPartnership
        | Action::RevokeProviderAdmin
        | Action::ReadCustomer
        | Action::UpdateCustomerBilling
        | Action::EndCustomerRelationship
        | Action::ReadCustomerUsers
        | Action::ManageCustomerUsers
        | Action::ResetCustomerPassword
        | Action::ManageCustomerRoles
        | Action::AddCustomerDomain
        | Action::ReadLicenses
        | Action::AssignLicenses
        | Action::OrderForCustomer => Decision::Deny,
    }
}

/// The tenant's directory: its users, applications and enrollment.
fn directory(actor: &Actor, action: Action, own: bool, is_user: bool) -> Decision {
    match action {
        Action::ReadTenant => allow_if(own),
        // The activity log tells who changed which user: the same people read it.
        Action::ReadUsers | Action::ReadActivityLog => allow_if(
            own && actor.has_any(&[
                Role::GlobalAdministrator,
                Role::UserAdministrator,
                Role::HelpdeskAdministrator,
                Role::AccountAdmin,
                Role::AdminAgent,
                Role::HelpdeskAgent,
            ]),
        ),
        Action::ManageUsers => allow_if(own && actor.has_any(USER_MANAGERS)),
        Action::ResetPassword => allow_if(
            own && actor.has_any(&[
                Role::GlobalAdministrator,
                Role::UserAdministrator,
                Role::HelpdeskAdministrator,
                Role::AccountAdmin,
                Role::AdminAgent,
            ]),
        ),
        // Only people register applications; an app cannot mint more apps.
        Action::ManageApps => allow_if(
            own && is_user
                && actor.has_any(&[
                    Role::GlobalAdministrator,
                    Role::AccountAdmin,
                    Role::AdminAgent,
                ]),
        ),
        // The directory's global administrator applies for the organisation.
        Action::ManageEnrollment => allow_if(
            own && is_user
                && actor.tenant_kind == TenantKind::Partner
                && actor.has(Role::GlobalAdministrator),
        ),
        _ => Decision::Deny,
    }
}

/// The tenant's place in the partner programme: agreement, profile, selling, partners.
fn programme(actor: &Actor, action: Action, own: bool, is_user: bool) -> Decision {
    match action {
        Action::AcceptAgreement => allow_if(
            own && is_user
                && actor.partner.as_ref().is_some_and(|p| p.active)
                && actor.has_any(&[
                    Role::GlobalAdministrator,
                    Role::AccountAdmin,
                    Role::AdminAgent,
                ]),
        ),
        Action::ReadPartnerProfile => allow_if(own && actor.tenant_kind == TenantKind::Partner),
        Action::EditPartnerProfile => allow_if(
            own && actor.partner.is_some()
                && actor.has_any(&[
                    Role::GlobalAdministrator,
                    Role::AccountAdmin,
                    Role::AdminAgent,
                ]),
        ),
        Action::Transact => allow_if(
            own && actor
                .partner
                .as_ref()
                .is_some_and(|p| p.active && p.agreement_accepted)
                && actor.has_any(&[Role::AccountAdmin, Role::AdminAgent, Role::SalesAgent]),
        ),
        Action::ManageListing => allow_if(
            own && actor
                .partner
                .as_ref()
                .is_some_and(|p| p.is_provider && p.active)
                && actor.has_any(&[
                    Role::AccountAdmin,
                    Role::AdminAgent,
                    Role::GlobalAdministrator,
                ]),
        ),
        Action::InviteResellers => allow_if(
            own && actor
                .partner
                .as_ref()
                .is_some_and(|p| p.is_provider && p.active && p.agreement_accepted)
                && actor.has_any(&[Role::AccountAdmin, Role::AdminAgent]),
        ),
        Action::AuthorizeProvider => allow_if(
            own && is_user
                && actor
                    .partner
                    .as_ref()
                    .is_some_and(|p| p.is_reseller && p.active && p.agreement_accepted)
                && actor.has_any(&[Role::AccountAdmin, Role::AdminAgent]),
        ),
        Action::ReadPartnerships => allow_if(own && actor.partner.is_some()),
        Action::ReadInvoices => allow_if(actor.is_operator() || (own && actor.partner.is_some())),
        Action::InviteCustomers => allow_if(
            own && actor
                .partner
                .as_ref()
                .is_some_and(|p| p.is_reseller && p.active && p.agreement_accepted)
                && actor.has_any(&[Role::AccountAdmin, Role::AdminAgent, Role::SalesAgent]),
        ),
        Action::CreateCustomerForReseller => allow_if(
            own && actor
                .partner
                .as_ref()
                .is_some_and(|p| p.is_provider && p.active && p.agreement_accepted)
                && actor.has_any(&[Role::AccountAdmin, Role::AdminAgent, Role::SalesAgent]),
        ),
        Action::ManageOwnPartners => allow_if(
            own && actor.tenant_kind == TenantKind::Customer
                && actor.has(Role::GlobalAdministrator),
        ),
        Action::ManageWebhooks | Action::ReadWebhooks => allow_if(
            own && actor.partner.as_ref().is_some_and(|p| p.active)
                && actor.has_any(&[Role::AccountAdmin, Role::AdminAgent]),
        ),
        Action::ManageOwnNotifications => allow_if(own && is_user),
        _ => Decision::Deny,
    }
}

/// How much power a user holds, seen as the target of someone else's action, or a role
/// seen as something to grant. Ordered: `Top` outranks `Admin` outranks `Member`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Standing {
    Member,
    Admin,
    Top,
}

impl Role {
    /// Global administrators, account admins and operator admins can do anything in their
    /// organisation; every other administrative role is `Admin`; the rest are members.
    pub fn standing(self) -> Standing {
        match self {
            Role::GlobalAdministrator | Role::AccountAdmin | Role::OperatorAdmin => Standing::Top,
            Role::UserAdministrator
            | Role::HelpdeskAdministrator
            | Role::AdminAgent
            | Role::BillingAdmin => Standing::Admin,
            Role::SalesAgent | Role::HelpdeskAgent | Role::ReferralsAdmin => Standing::Member,
        }
    }
}

/// The standing of a user who holds `roles`: that of their highest role.
pub fn standing_of<'a>(roles: impl IntoIterator<Item = &'a Role>) -> Standing {
    roles
        .into_iter()
        .map(|r| r.standing())
        .max()
        .unwrap_or(Standing::Member)
}

/// How the actor reaches the target's directory: as a member of the same organisation, or
/// as a partner through the grants its organisation holds on the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    OwnTenant,
    Grant(super::customer::GrantSet),
}

/// What is done to another user. Profile edits (names, language) are not listed: they give
/// no power over the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserOp {
    ResetPassword,
    Disable,
    Delete,
    ChangeRoles,
}

/// The highest standing of user the actor may act on, or `None`. Helpdesk roles reach only
/// members; user administrators and admin agents reach administrators but not the top;
/// global administrators and account admins reach everyone in their own organisation. A
/// partner acting through a grant never reaches the customer's top: its reach is the lower
/// of what its partner role and what the grant give, and at most `Admin`.
pub fn reach(actor: &Actor, via: Via) -> Option<Standing> {
    use GrantRole as G;
    let own = if actor.has_any(&[
        Role::GlobalAdministrator,
        Role::AccountAdmin,
        Role::OperatorAdmin,
    ]) {
        Some(Standing::Top)
    } else if actor.has_any(&[Role::UserAdministrator, Role::AdminAgent]) {
        Some(Standing::Admin)
    } else if actor.has_any(&[Role::HelpdeskAdministrator, Role::HelpdeskAgent]) {
        Some(Standing::Member)
    } else {
        None
    };
    match via {
        Via::OwnTenant => own,
        Via::Grant(g) => {
            let partner = if actor.has_any(&[Role::AccountAdmin, Role::AdminAgent]) {
                Some(Standing::Admin)
            } else if actor.has(Role::HelpdeskAgent) {
                Some(Standing::Member)
            } else {
                None
            };
            let grant = if g.any(&[G::GlobalAdministrator, G::UserAdministrator]) {
                Some(Standing::Admin)
            } else if g.contains(G::HelpdeskAdministrator) {
                Some(Standing::Member)
            } else {
                None
            };
            partner.min(grant)
        }
    }
}

/// Who may act on whom: the one rule for password resets, disabling, deleting and role
/// changes of another user, in the API and the portal, in one's own organisation or a
/// customer's. Nobody acts on a user who stands higher than their reach; nobody disables or
/// deletes themselves (an organisation must not lose its last administrator by accident).
pub fn may_act_on(
    actor: &Actor,
    via: Via,
    op: UserOp,
    target: UserId,
    target_roles: &BTreeSet<Role>,
) -> Decision {
    if actor.user_id() == Some(target) {
        return allow_if(matches!(op, UserOp::ResetPassword | UserOp::ChangeRoles));
    }
    allow_if(reach(actor, via).is_some_and(|r| standing_of(target_roles) <= r))
}

/// Whether the actor may give `role` to someone (itself included). Only the top of an
/// organisation hands out top roles; an administrative role is handed out only by someone who
/// holds it (a user administrator cannot make anyone an admin agent); member roles by any
/// administrator. Through a grant, a partner never hands out the customer's top role.
pub fn may_grant(actor: &Actor, via: Via, role: Role) -> Decision {
    let Some(reach) = reach(actor, via) else {
        return Decision::Deny;
    };
    allow_if(match role.standing() {
        Standing::Top => reach == Standing::Top,
        Standing::Admin => {
            reach == Standing::Top
                || (reach == Standing::Admin && (via != Via::OwnTenant || actor.has(role)))
        }
        Standing::Member => reach >= Standing::Admin,
    })
}

/// A customer tenant: its own administrators act on it directly; a partner acts through an
/// active relationship (commerce and the record) and an unexpired grant (the directory),
/// and only with a partner role that fits the work.
fn customer(actor: &Actor, action: Action, f: CustomerFacts) -> Decision {
    use GrantRole as G;
    if actor.tenant == f.customer {
        let admin = actor.has(Role::GlobalAdministrator);
        let users = admin || actor.has(Role::UserAdministrator);
        let helpdesk = users || actor.has(Role::HelpdeskAdministrator);
        return allow_if(match action {
            Action::ReadCustomer | Action::ReadLicenses => true,
            Action::ReadCustomerUsers | Action::ResetCustomerPassword => helpdesk,
            Action::ManageCustomerUsers | Action::AssignLicenses => users,
            Action::ManageCustomerRoles
            | Action::AddCustomerDomain
            | Action::ManageOwnPartners
            | Action::UpdateCustomerBilling => admin,
            _ => false,
        });
    }
    if actor.tenant_kind != TenantKind::Partner || !actor.partner.as_ref().is_some_and(|p| p.active)
    {
        return Decision::Deny;
    }
    let agent = actor.has_any(&[Role::AccountAdmin, Role::AdminAgent]);
    let helpdesk = agent || actor.has(Role::HelpdeskAgent);
    let sales = agent || actor.has(Role::SalesAgent);
    let g = f.grants;
    allow_if(match action {
        Action::ReadCustomer => f.relationship || !g.is_empty(),
        Action::UpdateCustomerBilling => f.relationship && (sales || actor.has(Role::BillingAdmin)),
        Action::EndCustomerRelationship => f.relationship && agent,
        Action::OrderForCustomer => {
            f.relationship && sales && actor.partner.as_ref().is_some_and(|p| p.agreement_accepted)
        }
        Action::ReadCustomerUsers => helpdesk && !g.is_empty(),
        Action::ManageCustomerUsers => {
            agent && g.any(&[G::GlobalAdministrator, G::UserAdministrator])
        }
        Action::ResetCustomerPassword => {
            helpdesk
                && g.any(&[
                    G::GlobalAdministrator,
                    G::UserAdministrator,
                    G::HelpdeskAdministrator,
                ])
        }
        Action::ManageCustomerRoles => agent && g.contains(G::GlobalAdministrator),
        // A domain only widens the sign-in names the customer's users may take: the user
        // administration a grant gives, done by an admin agent (the reference's role).
        Action::AddCustomerDomain => {
            agent && g.any(&[G::GlobalAdministrator, G::UserAdministrator])
        }
        Action::ReadLicenses => helpdesk && !g.is_empty(),
        Action::AssignLicenses => {
            helpdesk
                && g.any(&[
                    G::GlobalAdministrator,
                    G::UserAdministrator,
                    G::LicenseAdministrator,
                ])
        }
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(kind: TenantKind, roles: &[Role]) -> Actor {
        Actor {
            principal: Principal::User(UserId::new()),
            tenant: TenantId::new(),
            tenant_kind: kind,
            roles: roles.iter().copied().collect(),
            partner: None,
        }
    }

    #[test]
    fn nobody_manages_users_of_another_tenant() {
        let admin = actor(TenantKind::Partner, &[Role::GlobalAdministrator]);
        let other = TenantId::new();
        assert_eq!(
            can(&admin, Action::ManageUsers, Resource::Tenant(other)),
            Decision::Deny
        );
        assert_eq!(
            can(&admin, Action::ManageUsers, Resource::Tenant(admin.tenant)),
            Decision::Allow
        );
    }

    #[test]
    fn sales_agent_cannot_manage_users() {
        let sales = actor(TenantKind::Partner, &[Role::SalesAgent]);
        assert_eq!(
            can(&sales, Action::ManageUsers, Resource::Tenant(sales.tenant)),
            Decision::Deny
        );
        assert_eq!(
            can(&sales, Action::ReadTenant, Resource::Tenant(sales.tenant)),
            Decision::Allow
        );
    }

    #[test]
    fn operator_functions_need_the_operator_role_in_the_operator_tenant() {
        let op = actor(TenantKind::Operator, &[Role::OperatorAdmin]);
        assert!(can(&op, Action::ImportMemberships, Resource::Platform).allowed());
        // The role alone, claimed in a partner tenant, is not enough.
        let fake = actor(TenantKind::Partner, &[Role::OperatorAdmin]);
        assert!(!can(&fake, Action::ImportMemberships, Resource::Platform).allowed());
    }

    #[test]
    fn transacting_needs_an_accepted_agreement() {
        let mut agent = actor(TenantKind::Partner, &[Role::AdminAgent]);
        let own = Resource::Tenant(agent.tenant);
        assert!(
            !can(&agent, Action::Transact, own).allowed(),
            "no partner account yet"
        );
        agent.partner = Some(PartnerFacts {
            is_reseller: true,
            active: true,
            ..Default::default()
        });
        assert!(
            !can(&agent, Action::Transact, own).allowed(),
            "agreement not accepted"
        );
        assert!(can(&agent, Action::AcceptAgreement, own).allowed());
        agent.partner.as_mut().unwrap().agreement_accepted = true;
        assert!(can(&agent, Action::Transact, own).allowed());
        let helpdesk = Actor {
            roles: [Role::HelpdeskAgent].into_iter().collect(),
            ..agent.clone()
        };
        assert!(!can(&helpdesk, Action::Transact, own).allowed());
    }

    #[test]
    fn only_global_administrators_apply_and_only_operators_review() {
        let ga = actor(TenantKind::Partner, &[Role::GlobalAdministrator]);
        assert!(can(&ga, Action::ManageEnrollment, Resource::Tenant(ga.tenant)).allowed());
        let agent = actor(TenantKind::Partner, &[Role::AdminAgent]);
        assert!(!can(
            &agent,
            Action::ManageEnrollment,
            Resource::Tenant(agent.tenant)
        )
        .allowed());
        let customer = actor(TenantKind::Customer, &[Role::GlobalAdministrator]);
        assert!(!can(
            &customer,
            Action::ManageEnrollment,
            Resource::Tenant(customer.tenant)
        )
        .allowed());
        assert!(!can(&ga, Action::ReviewEnrollments, Resource::Platform).allowed());
        let op = actor(TenantKind::Operator, &[Role::OperatorAdmin]);
        assert!(can(&op, Action::ReviewEnrollments, Resource::Platform).allowed());
    }

    #[test]
    fn sales_agents_cannot_authorize_providers_and_strangers_cannot_end_partnerships() {
        let facts = PartnerFacts {
            is_reseller: true,
            active: true,
            agreement_accepted: true,
            ..Default::default()
        };
        let mut agent = actor(TenantKind::Partner, &[Role::AdminAgent]);
        agent.partner = Some(facts.clone());
        let mut sales = actor(TenantKind::Partner, &[Role::SalesAgent]);
        sales.partner = Some(facts);
        assert!(can(
            &agent,
            Action::AuthorizeProvider,
            Resource::Tenant(agent.tenant)
        )
        .allowed());
        assert!(!can(
            &sales,
            Action::AuthorizeProvider,
            Resource::Tenant(sales.tenant)
        )
        .allowed());
        let p = Resource::Partnership {
            provider: TenantId::new(),
            reseller: agent.tenant,
        };
        assert!(can(&agent, Action::EndPartnership, p).allowed());
        assert!(can(&agent, Action::RevokeProviderAdmin, p).allowed());
        let stranger = Resource::Partnership {
            provider: TenantId::new(),
            reseller: TenantId::new(),
        };
        assert!(!can(&agent, Action::EndPartnership, stranger).allowed());
    }

    #[test]
    fn referrals_go_to_oneself_to_partnered_resellers_or_from_the_operator() {
        let facts = |provider: bool| PartnerFacts {
            is_reseller: !provider,
            is_provider: provider,
            active: true,
            agreement_accepted: true,
        };
        let mut provider = actor(TenantKind::Partner, &[Role::SalesAgent]);
        provider.partner = Some(facts(true));
        let mut reseller = actor(TenantKind::Partner, &[Role::ReferralsAdmin]);
        reseller.partner = Some(facts(false));
        let mut helpdesk = actor(TenantKind::Partner, &[Role::HelpdeskAgent]);
        helpdesk.partner = Some(facts(false));
        let op = actor(TenantKind::Operator, &[Role::OperatorAdmin]);
        let r = |creator, target, partnered| Resource::Referral {
            creator,
            target,
            partnered,
        };
        let (p, rs) = (provider.tenant, reseller.tenant);
        assert!(can(&provider, Action::SendReferral, r(p, rs, true)).allowed());
        assert!(!can(&provider, Action::SendReferral, r(p, rs, false)).allowed());
        assert!(can(&reseller, Action::SendReferral, r(rs, rs, false)).allowed());
        assert!(
            !can(&reseller, Action::SendReferral, r(rs, p, true)).allowed(),
            "resellers do not send leads upstream"
        );
        assert!(!can(&reseller, Action::SendReferral, r(p, rs, true)).allowed());
        assert!(!can(
            &helpdesk,
            Action::SendReferral,
            r(helpdesk.tenant, helpdesk.tenant, false)
        )
        .allowed());
        assert!(can(&op, Action::SendReferral, r(op.tenant, rs, false)).allowed());
        assert!(can(&reseller, Action::UpdateReferral, r(p, rs, true)).allowed());
        assert!(can(&provider, Action::ReadReferral, r(p, rs, true)).allowed());
        let other = TenantId::new();
        assert!(!can(&provider, Action::ReadReferral, r(other, rs, true)).allowed());
        assert!(!can(&reseller, Action::UpdateReferral, r(p, other, true)).allowed());
    }

    #[test]
    fn webhooks_belong_to_the_partner_admins() {
        let mut agent = partner_actor(&[Role::AdminAgent]);
        let own = Resource::Tenant(agent.tenant);
        assert!(can(&agent, Action::ManageWebhooks, own).allowed());
        assert!(!can(
            &agent,
            Action::ManageWebhooks,
            Resource::Tenant(TenantId::new())
        )
        .allowed());
        let sales = partner_actor(&[Role::SalesAgent]);
        assert!(!can(&sales, Action::ReadWebhooks, Resource::Tenant(sales.tenant)).allowed());
        assert!(can(
            &sales,
            Action::ManageOwnNotifications,
            Resource::Tenant(sales.tenant)
        )
        .allowed());
        agent.partner = None;
        assert!(!can(&agent, Action::ReadWebhooks, own).allowed());
    }

    fn partner_actor(roles: &[Role]) -> Actor {
        let mut a = actor(TenantKind::Partner, roles);
        a.partner = Some(PartnerFacts {
            is_reseller: true,
            active: true,
            agreement_accepted: true,
            ..Default::default()
        });
        a
    }

    #[test]
    fn customer_access_needs_a_relationship_for_commerce_and_a_grant_for_the_directory() {
        use crate::domain::customer::GrantSet;
        let agent = partner_actor(&[Role::AdminAgent]);
        let none = CustomerFacts {
            customer: TenantId::new(),
            relationship: false,
            grants: GrantSet::default(),
        };
        for a in [
            Action::ReadCustomer,
            Action::OrderForCustomer,
            Action::ReadCustomerUsers,
            Action::AssignLicenses,
        ] {
            assert!(
                !can(&agent, a, Resource::Customer(none)).allowed(),
                "{a:?} without relationship"
            );
        }
        let rel = CustomerFacts {
            relationship: true,
            ..none
        };
        assert!(can(&agent, Action::OrderForCustomer, Resource::Customer(rel)).allowed());
        assert!(
            !can(&agent, Action::ManageCustomerUsers, Resource::Customer(rel)).allowed(),
            "no grant, no directory"
        );
        let helpdesk_grant = CustomerFacts {
            grants: GrantSet::of([GrantRole::HelpdeskAdministrator]),
            ..rel
        };
        assert!(can(
            &agent,
            Action::ResetCustomerPassword,
            Resource::Customer(helpdesk_grant)
        )
        .allowed());
        assert!(!can(
            &agent,
            Action::AssignLicenses,
            Resource::Customer(helpdesk_grant)
        )
        .allowed());
        assert!(!can(
            &agent,
            Action::ManageCustomerUsers,
            Resource::Customer(helpdesk_grant)
        )
        .allowed());
        let sales = partner_actor(&[Role::SalesAgent]);
        let full = CustomerFacts {
            grants: GrantSet::of([GrantRole::GlobalAdministrator]),
            ..rel
        };
        assert!(
            !can(
                &sales,
                Action::ManageCustomerUsers,
                Resource::Customer(full)
            )
            .allowed(),
            "sales agents do not administer"
        );
        assert!(can(&sales, Action::OrderForCustomer, Resource::Customer(full)).allowed());
    }

    #[test]
    fn customers_administer_themselves() {
        use crate::domain::customer::GrantSet;
        let admin = actor(TenantKind::Customer, &[Role::GlobalAdministrator]);
        let own = CustomerFacts {
            customer: admin.tenant,
            relationship: false,
            grants: GrantSet::default(),
        };
        assert!(can(
            &admin,
            Action::ManageOwnPartners,
            Resource::Tenant(admin.tenant)
        )
        .allowed());
        assert!(can(&admin, Action::ManageCustomerUsers, Resource::Customer(own)).allowed());
        assert!(!can(&admin, Action::OrderForCustomer, Resource::Customer(own)).allowed());
        let other = CustomerFacts {
            customer: TenantId::new(),
            ..own
        };
        assert!(!can(&admin, Action::ReadCustomer, Resource::Customer(other)).allowed());
    }

    #[test]
    fn apps_cannot_register_apps() {
        let mut app = actor(TenantKind::Partner, &[Role::AdminAgent]);
        app.principal = Principal::App(AppId::new());
        assert!(!can(&app, Action::ManageApps, Resource::Tenant(app.tenant)).allowed());
        assert!(can(&app, Action::ManageUsers, Resource::Tenant(app.tenant)).allowed());
    }
}

#[cfg(test)]
mod activity_tests {
    use super::*;

    #[test]
    fn the_activity_log_is_for_administrators_and_helpdesk_not_every_member() {
        let mk = |kind, roles: &[Role]| Actor {
            principal: Principal::User(UserId::new()),
            tenant: TenantId::new(),
            tenant_kind: kind,
            roles: roles.iter().copied().collect(),
            partner: None,
        };
        let plain = mk(TenantKind::Customer, &[]);
        assert!(!can(
            &plain,
            Action::ReadActivityLog,
            Resource::Tenant(plain.tenant)
        )
        .allowed());
        let sales = mk(TenantKind::Partner, &[Role::SalesAgent]);
        assert!(!can(
            &sales,
            Action::ReadActivityLog,
            Resource::Tenant(sales.tenant)
        )
        .allowed());
        let agent = mk(TenantKind::Partner, &[Role::AdminAgent]);
        assert!(can(
            &agent,
            Action::ReadActivityLog,
            Resource::Tenant(agent.tenant)
        )
        .allowed());
        assert!(!can(
            &agent,
            Action::ReadActivityLog,
            Resource::Tenant(TenantId::new())
        )
        .allowed());
    }
}
