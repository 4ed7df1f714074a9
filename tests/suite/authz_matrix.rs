//! The authorization matrix: every operation of the served OpenAPI document, called by every
//! actor position of a two-tier world, compared with the table [`EXPECTED`].
//!
//! A cell is "allow" when the answer is anything but 401, 403 or 404 (a 400 or 409 means the
//! request got past authorization and was refused on its content), and "deny" when it is one
//! of those three. A 5xx fails the test whatever the expectation. An operation without a row
//! in the table fails the test, so every new route forces a decision here.

use crate::commerce::load_catalog;
use crate::customers::{customer_via, link_token, partner_up};
use crate::support::{Partner, TestApp, PASSWORD};
use partnerhub::app::store::identity::{TenantRow, UserRow};
use partnerhub::domain::identity::{Role, TenantKind};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Who may do what, reviewed against the design (docs/security.md). One line per operation
/// and target: `METHOD path | target | actors allowed`. Targets name the resources the path
/// parameters point at (see [`scenes`]). Actor groups: `P*` is P's admin, sales and
/// helpdesk agents, `A*` the same for reseller A, `anyone` every caller including anonymous
/// and forged tokens, `-` nobody.
///
/// Actors: `op` operator admin; `p_admin`, `p_sales`, `p_help` agents of provider P; `q_admin`
/// admin of provider Q (no partnership with A); `a_admin`, `a_sales`, `a_help` agents of
/// reseller A (partnered with P); `a_app` an application of A (client credentials, admin
/// agent role); `b_admin` admin of reseller B (not partnered, serves Y); `d_admin` admin of
/// reseller D whose partnership with P was ended; `e_admin` global administrator of
/// applicant E (enrollment under way); `x_admin`, `x_user` global administrator and plain
/// user of customer X (served by A and P with user, helpdesk and license administrator
/// grants); `y_admin` of customer Y (served by B with a global administrator grant); `anon`
/// no token; `forged` a token for a_admin signed with a key the server never published.
/// Customer Z is served by A alone and A's global administrator grant on it has expired.
const EXPECTED: &str = r#"
GET /.well-known/jwks.json                    | -         | anyone
GET /.well-known/openid-configuration         | -         | anyone
GET /healthz                                  | -         | anyone
GET /readyz                                   | -         | anyone
GET /metrics                                  | -         | anyone
POST /oauth2/token                            | -         | anyone
POST /v1/tenants                              | -         | anyone
GET /v1/tenants/domainavailability            | -         | anyone
HEAD /v1/domains/{domain}                     | X.domain  | anyone
POST /v1/enrollments/verification             | -         | anyone

GET /v1/me                                    | -         | users a_app
POST /v1/me/mfa/setup                         | -         | users
POST /v1/me/mfa/confirm                       | -         | users
POST /v1/me/mfa/recoverycodes                 | -         | users
GET /v1/auditrecords                          | -         | op p_admin p_help a_admin a_help a_app b_admin d_admin e_admin q_admin x_admin y_admin
GET /v1/auditrecords/{auditRecordId}          | P.record  | p_admin p_help
GET /v1/users                                 | -         | op p_admin p_help a_admin a_help a_app b_admin d_admin e_admin q_admin x_admin y_admin
POST /v1/users                                | -         | op p_admin a_admin a_app b_admin d_admin e_admin q_admin x_admin y_admin
GET /v1/users/{userId}                        | A.user    | a_admin a_help a_app
GET /v1/users/{userId}                        | P.user    | p_admin p_help
PATCH /v1/users/{userId}                      | A.user    | a_admin a_app
PATCH /v1/users/{userId}                      | P.user    | p_admin
DELETE /v1/users/{userId}                     | A.user    | a_admin a_app
DELETE /v1/users/{userId}                     | P.user    | p_admin
GET /v1/applications                          | -         | op p_admin a_admin b_admin d_admin e_admin q_admin x_admin y_admin
POST /v1/applications                         | -         | op p_admin a_admin b_admin d_admin e_admin q_admin x_admin y_admin
GET /v1/applications/{applicationId}          | A.app     | a_admin
PATCH /v1/applications/{applicationId}        | A.app     | a_admin
DELETE /v1/applications/{applicationId}       | A.app     | a_admin
POST /v1/applications/{applicationId}/secret  | A.app     | a_admin
GET /v1/applications/{applicationId}/redirecturis | A.app  | a_admin
PUT /v1/applications/{applicationId}/redirecturis | A.app  | a_admin
GET /v1/consents                              | -         | users
DELETE /v1/consents/{consentId}               | A.consent | a_admin

GET /v1/enrollments                           | -         | users a_app
POST /v1/enrollments                          | -         | e_admin b_admin d_admin q_admin
GET /v1/enrollments/{enrollmentId}            | E         | e_admin op
PUT /v1/enrollments/{enrollmentId}/membership | E         | e_admin
POST /v1/enrollments/{enrollmentId}/membership| E         | e_admin
DELETE /v1/enrollments/{enrollmentId}/membership| E         | e_admin
PUT /v1/enrollments/{enrollmentId}/application| E         | e_admin
POST /v1/enrollments/{enrollmentId}/submit    | E         | e_admin
POST /v1/enrollments/{enrollmentId}/approve   | E         | op
POST /v1/enrollments/{enrollmentId}/reject    | E         | op
POST /v1/enrollments/{enrollmentId}/requestinfo| E         | op
GET /v1/agreements/current                    | -         | partners e_admin
POST /v1/agreements/current/acceptance        | -         | p_admin a_admin b_admin d_admin q_admin
POST /v1/memberships/import                   | -         | op
GET /v1/mail                                  | -         | op
POST /v1/catalog/import                       | -         | op
POST /v1/invoices/generate                    | -         | op

GET /v1/profiles/legalbusiness                | -         | partners e_admin
PUT /v1/profiles/legalbusiness                | -         | p_admin a_admin a_app b_admin d_admin q_admin
GET /v1/profiles/support                      | -         | partners e_admin
PUT /v1/profiles/support                      | -         | p_admin a_admin a_app b_admin d_admin q_admin
GET /v1/profiles/organization                 | -         | partners e_admin
PUT /v1/profiles/organization                 | -         | p_admin a_admin a_app b_admin d_admin q_admin
GET /v1/profiles/mpn                          | -         | partners
GET /v1/profiles/billing                      | -         | partners
PUT /v1/profiles/billing                      | -         | p_admin a_admin a_app b_admin d_admin q_admin

GET /v1/providers                             | -         | partners op
GET /v1/providers/{providerId}                | P         | partners op
GET /v1/providerlisting                       | -         | p_admin q_admin
PUT /v1/providerlisting                       | -         | p_admin q_admin
GET /v1/partnershipinvitations                | -         | partners
POST /v1/partnershipinvitations               | -         | p_admin q_admin
DELETE /v1/partnershipinvitations/{invitationId}| P.invitation| p_admin
POST /v1/partnershipinvitations/preview       | -         | partners
POST /v1/partnershipinvitations/accept        | -         | a_admin b_admin d_admin
GET /v1/relationships                         | -         | partners
GET /v1/relationships/{relationshipId}        | P-A       | P* A* a_app
GET /v1/relationships/{relationshipId}        | P-D ended | P* d_admin
GET /v1/relationships/{relationshipId}/customers| P-A       | P* A* a_app
GET /v1/relationships/{relationshipId}/customers| P-D ended | P* d_admin
PATCH /v1/relationships/{relationshipId}      | P-A       | a_admin a_app
PATCH /v1/relationships/{relationshipId}      | P-D ended | d_admin
DELETE /v1/relationships/{relationshipId}     | P-A       | p_admin a_admin a_app
DELETE /v1/relationships/{relationshipId}     | P-D ended | p_admin d_admin
POST /v1/partners/validateresellers           | -         | partners
GET /v1/compliance/csp/agreementstatus        | -         | partners

GET /v1/customers                             | -         | partners
POST /v1/customers                            | -         | p_admin p_sales q_admin
GET /v1/customers/relationshiprequests        | -         | a_admin a_sales a_app b_admin d_admin
POST /v1/customers/relationshiprequests       | -         | a_admin a_sales a_app b_admin d_admin
DELETE /v1/customers/relationshiprequests/{requestId}| A.request | a_admin a_sales a_app
POST /v1/customerinvitations/preview          | -         | users a_app
POST /v1/customerinvitations/accept           | -         | x_admin y_admin
POST /v1/customerinvitations/decline          | -         | x_admin y_admin
GET /v1/customer/partners                     | -         | x_admin y_admin
DELETE /v1/customer/partners/{partnerId}      | X.A       | x_admin
GET /v1/customer/grants                       | -         | x_admin y_admin
DELETE /v1/customer/grants/{grantId}          | X.A       | x_admin

GET /v1/customers/{customerId}                | X         | P* A* a_app x_admin x_user
GET /v1/customers/{customerId}                | Y         | b_admin y_admin
GET /v1/customers/{customerId}                | Z         | A* a_app
PATCH /v1/customers/{customerId}              | X         | p_admin a_admin a_app
PATCH /v1/customers/{customerId}              | Y         | b_admin
PATCH /v1/customers/{customerId}              | Z         | a_admin a_app
DELETE /v1/customers/{customerId}/relationships/partner| X | p_admin a_admin a_app
DELETE /v1/customers/{customerId}/relationships/partner| Y | b_admin
DELETE /v1/customers/{customerId}/relationships/partner| Z | a_admin a_app
DELETE /v1/customers/{customerId}             | X         | p_admin a_admin a_app
DELETE /v1/customers/{customerId}             | Y         | b_admin
DELETE /v1/customers/{customerId}             | Z         | a_admin a_app
GET /v1/customers/{customerId}/relationships  | X         | P* A* a_app x_admin x_user
GET /v1/customers/{customerId}/relationships  | Y         | b_admin y_admin
GET /v1/customers/{customerId}/relationships  | Z         | A* a_app
GET /v1/customers/{customerId}/profiles/company| X         | P* A* a_app x_admin x_user
GET /v1/customers/{customerId}/profiles/company| Y         | b_admin y_admin
GET /v1/customers/{customerId}/profiles/company| Z         | A* a_app
GET /v1/customers/{customerId}/profiles/billing| X         | P* A* a_app x_admin x_user
GET /v1/customers/{customerId}/profiles/billing| Y         | b_admin y_admin
GET /v1/customers/{customerId}/profiles/billing| Z         | A* a_app
PUT /v1/customers/{customerId}/profiles/billing| X         | p_admin p_sales a_admin a_sales a_app x_admin
PUT /v1/customers/{customerId}/profiles/billing| Y         | b_admin y_admin
PUT /v1/customers/{customerId}/profiles/billing| Z         | a_admin a_sales a_app

GET /v1/customers/{customerId}/users          | X         | p_admin p_help a_admin a_help a_app x_admin
GET /v1/customers/{customerId}/users          | Y         | b_admin y_admin
GET /v1/customers/{customerId}/users          | Z         | -
POST /v1/customers/{customerId}/users         | X         | p_admin a_admin a_app x_admin
POST /v1/customers/{customerId}/users         | Y         | b_admin y_admin
POST /v1/customers/{customerId}/users         | Z         | -
POST /v1/customers/{customerId}/verifieddomain | X        | p_admin a_admin a_app x_admin
POST /v1/customers/{customerId}/verifieddomain | Y        | b_admin y_admin
POST /v1/customers/{customerId}/verifieddomain | Z        | -
GET /v1/customers/{customerId}/users/{userId} | X/x_user  | p_admin p_help a_admin a_help a_app x_admin
GET /v1/customers/{customerId}/users/{userId} | Y/y_user  | b_admin y_admin
GET /v1/customers/{customerId}/users/{userId} | X/y_user  | -
GET /v1/customers/{customerId}/users/{userId}/directoryroles| X/x_user| p_admin p_help a_admin a_help a_app x_admin
GET /v1/customers/{customerId}/users/{userId}/directoryroles| Y/y_user| b_admin y_admin
GET /v1/customers/{customerId}/users/{userId}/directoryroles| X/y_user| -
PATCH /v1/customers/{customerId}/users/{userId}| X/x_user  | p_admin a_admin a_app x_admin
PATCH /v1/customers/{customerId}/users/{userId}| Y/y_user  | b_admin y_admin
PATCH /v1/customers/{customerId}/users/{userId}| X/y_user  | -
DELETE /v1/customers/{customerId}/users/{userId}| X/x_user  | p_admin a_admin a_app x_admin
DELETE /v1/customers/{customerId}/users/{userId}| Y/y_user  | b_admin y_admin
DELETE /v1/customers/{customerId}/users/{userId}| X/y_user  | -
GET /v1/customers/{customerId}/users/{userId}/licenses| X/x_user  | p_admin p_help a_admin a_help a_app x_admin x_user
GET /v1/customers/{customerId}/users/{userId}/licenses| Y/y_user  | b_admin y_admin
GET /v1/customers/{customerId}/users/{userId}/licenses| X/y_user  | -
POST /v1/customers/{customerId}/users/{userId}/licenseupdates| X/x_user  | p_admin p_help a_admin a_help a_app x_admin
POST /v1/customers/{customerId}/users/{userId}/licenseupdates| Y/y_user  | b_admin y_admin
POST /v1/customers/{customerId}/users/{userId}/licenseupdates| X/y_user  | -
GET /v1/customers/{customerId}/directoryroles | X         | p_admin p_help a_admin a_help a_app x_admin
GET /v1/customers/{customerId}/directoryroles | Y         | b_admin y_admin
GET /v1/customers/{customerId}/directoryroles | Z         | -
GET /v1/customers/{customerId}/directoryroles/{roleId}/usermembers| X/GA      | p_admin p_help a_admin a_help a_app x_admin
GET /v1/customers/{customerId}/directoryroles/{roleId}/usermembers| Y/GA      | b_admin y_admin
POST /v1/customers/{customerId}/directoryroles/{roleId}/usermembers| X/GA      | x_admin
POST /v1/customers/{customerId}/directoryroles/{roleId}/usermembers| Y/GA      | y_admin
DELETE /v1/customers/{customerId}/directoryroles/{roleId}/usermembers/{userId}| X/GA/x_user| x_admin
DELETE /v1/customers/{customerId}/directoryroles/{roleId}/usermembers/{userId}| Y/GA/y_user| y_admin
GET /v1/customers/{customerId}/subscribedskus | X         | p_admin p_help a_admin a_help a_app x_admin x_user
GET /v1/customers/{customerId}/subscribedskus | Y         | b_admin y_admin
GET /v1/customers/{customerId}/subscribedskus | Z         | -

GET /v1/products                              | -         | partners op
GET /v1/products/{productId}                  | PH-SUITE  | partners op
GET /v1/products/{productId}/skus             | PH-SUITE  | partners op
GET /v1/products/{productId}/skus/{skuId}/availabilities| PH-SUITE/BASIC| partners op
GET /v1/products/{productId}/skus/{skuId}     | PH-SUITE/BASIC| partners op
GET /v1/products/{productId}/skus/{skuId}/availabilities/{availabilityId}| PH-SUITE/BASIC/US-M| partners op
GET /v1/offers                                | -         | partners op
GET /v1/offers/{offerId}                      | PH-SUITE:BASIC:US-M| partners op
GET /v1/offers/{offerId}/addons               | PH-SUITE:BASIC:US-M| partners op
GET /v1/offercategories                       | -         | partners op
GET /v1/customers/{customerId}/offers         | X         | P* A* a_app
GET /v1/customers/{customerId}/offers         | Y         | b_admin
GET /v1/customers/{customerId}/offers         | Z         | A* a_app
GET /v1/customers/{customerId}/offercategories| X         | P* A* a_app
GET /v1/customers/{customerId}/offercategories| Y         | b_admin
GET /v1/customers/{customerId}/offercategories| Z         | A* a_app
GET /v1/customers/{customerId}/offers/{offerId}/addons| X/offer | P* A* a_app
GET /v1/customers/{customerId}/offers/{offerId}/addons| Y/offer | b_admin
GET /v1/customers/{customerId}/orders         | X         | P* A* a_app x_admin x_user
GET /v1/customers/{customerId}/orders         | Y         | b_admin y_admin
POST /v1/customers/{customerId}/orders        | X         | p_admin p_sales a_admin a_sales a_app
POST /v1/customers/{customerId}/orders        | Y         | b_admin
POST /v1/customers/{customerId}/orders        | Z         | a_admin a_sales a_app
GET /v1/customers/{customerId}/orders         | Z         | A* a_app
GET /v1/customers/{customerId}/orders/{orderId}| X/order-X | P* A* a_app x_admin x_user
GET /v1/customers/{customerId}/orders/{orderId}| Y/order-X | -
GET /v1/customers/{customerId}/orders/{orderId}/provisioningstatus| X/order-X | P* A* a_app x_admin x_user
GET /v1/customers/{customerId}/orders/{orderId}/provisioningstatus| Y/order-X | -
PATCH /v1/customers/{customerId}/orders/{orderId}| X/order-X | p_admin p_sales a_admin a_sales a_app
PATCH /v1/customers/{customerId}/orders/{orderId}| Y/order-X | -
POST /v1/customers/{customerId}/carts         | X         | p_admin p_sales a_admin a_sales a_app
POST /v1/customers/{customerId}/carts         | Y         | b_admin
POST /v1/customers/{customerId}/carts         | Z         | a_admin a_sales a_app
GET /v1/customers/{customerId}/carts/{cartId} | X/cart-X  | p_admin p_sales
GET /v1/customers/{customerId}/carts/{cartId} | Y/cart-X  | -
PUT /v1/customers/{customerId}/carts/{cartId} | X/cart-X  | p_admin p_sales
PUT /v1/customers/{customerId}/carts/{cartId} | Y/cart-X  | -
POST /v1/customers/{customerId}/carts/{cartId}/checkout| X/cart-X  | p_admin p_sales
POST /v1/customers/{customerId}/carts/{cartId}/checkout| Y/cart-X  | -
GET /v1/customers/{customerId}/subscriptions  | X         | P* A* a_app x_admin x_user
GET /v1/customers/{customerId}/subscriptions  | Y         | b_admin y_admin
GET /v1/customers/{customerId}/subscriptions  | Z         | A* a_app
GET /v1/customers/{customerId}/subscriptions/{subscriptionId}| X/sub-X   | P* A* a_app x_admin x_user
GET /v1/customers/{customerId}/subscriptions/{subscriptionId}| Y/sub-X   | -
GET /v1/customers/{customerId}/subscriptions/{subscriptionId}/provisioningstatus| X/sub-X | P* A* a_app x_admin x_user
GET /v1/customers/{customerId}/subscriptions/{subscriptionId}/provisioningstatus| Y/sub-X | -
GET /v1/customers/{customerId}/subscriptions/{subscriptionId}/addons| X/sub-X | P* A* a_app x_admin x_user
GET /v1/customers/{customerId}/subscriptions/{subscriptionId}/addons| Y/sub-X | -
GET /v1/customers/{customerId}/subscriptions/{subscriptionId}/upgrades| X/sub-X | P* A* a_app x_admin x_user
GET /v1/customers/{customerId}/subscriptions/{subscriptionId}/upgrades| Y/sub-X | -
POST /v1/customers/{customerId}/subscriptions/{subscriptionId}/upgrades| X/sub-X | p_admin p_sales a_admin a_sales a_app
POST /v1/customers/{customerId}/subscriptions/{subscriptionId}/upgrades| Y/sub-X | -
GET /v1/customers/{customerId}/subscriptions/{subscriptionId}/supportcontact| X/sub-X | P* A* a_app x_admin x_user
GET /v1/customers/{customerId}/subscriptions/{subscriptionId}/supportcontact| Y/sub-X | -
PUT /v1/customers/{customerId}/subscriptions/{subscriptionId}/supportcontact| X/sub-X | p_admin p_sales a_admin a_sales a_app
PUT /v1/customers/{customerId}/subscriptions/{subscriptionId}/supportcontact| Y/sub-X | -
PATCH /v1/customers/{customerId}/subscriptions/{subscriptionId}| X/sub-X   | p_admin p_sales a_admin a_sales a_app
PATCH /v1/customers/{customerId}/subscriptions/{subscriptionId}| Y/sub-X   | -
GET /v1/invoices                              | -         | partners
GET /v1/invoices/{invoiceId}                  | P.invoice | P* op
GET /v1/invoices/{invoiceId}/lineitems        | P.invoice | P* op
GET /v1/invoices/{invoiceId}/csv              | P.invoice | P* op
GET /v1/invoices/{invoiceId}/statements       | P.invoice | P* op
GET /v1/pricelists/provider                   | -         | p_admin q_admin
PUT /v1/pricelists/provider                   | -         | p_admin q_admin
PUT /v1/pricelists/customer                   | -         | a_admin a_sales a_app b_admin d_admin

GET /webhooks/v1/registration/events          | -         | users a_app
POST /webhooks/v1/registration                | -         | p_admin q_admin a_admin a_app b_admin d_admin
GET /webhooks/v1/registration                 | -         | p_admin q_admin a_admin a_app b_admin d_admin
PUT /webhooks/v1/registration                 | -         | p_admin q_admin a_admin a_app b_admin d_admin
DELETE /webhooks/v1/registration              | -         | p_admin q_admin a_admin a_app b_admin d_admin
POST /webhooks/v1/registration/secret/rotate  | -         | p_admin q_admin a_admin a_app b_admin d_admin
POST /webhooks/v1/registration/validationEvents | -       | p_admin q_admin a_admin a_app b_admin d_admin
GET /webhooks/v1/registration/validationEvents/{correlationId} | P.test | p_admin
GET /webhooks/v1/registration/deliveries      | -         | p_admin q_admin a_admin a_app b_admin d_admin
GET /webhooks/v1/registration/deliveries/{deliveryId} | P.test | p_admin
POST /webhooks/v1/registration/deliveries/{deliveryId}/redeliver | P.test | p_admin
GET /v1/users/me/notifications                | -         | users
PUT /v1/users/me/notifications                | -         | users
GET /v1/referrals                             | -         | op p_admin p_sales q_admin a_admin a_sales a_app b_admin d_admin
POST /v1/referrals                            | -         | p_admin p_sales q_admin a_admin a_sales a_app b_admin d_admin
GET /v1/referrals/{referralId}                | P->A      | p_admin p_sales a_admin a_sales a_app
PATCH /v1/referrals/{referralId}              | P->A      | p_admin p_sales a_admin a_sales a_app

GET /v1/servicerequests                       | -         | op p_admin p_help q_admin a_admin a_help a_app b_admin d_admin x_admin y_admin
POST /v1/servicerequests                      | -         | p_admin p_help q_admin a_admin a_help a_app b_admin d_admin x_admin y_admin
GET /v1/servicerequests/supporttopics         | -         | users a_app
GET /v1/servicerequests/breachrates           | -         | op p_admin p_help q_admin
GET /v1/profiles/supporttargets               | -         | op p_admin p_help q_admin a_admin a_help a_app b_admin d_admin
PUT /v1/profiles/supporttargets               | -         | op p_admin q_admin a_admin a_app b_admin d_admin
GET /v1/customers/{customerId}/servicerequests| X         | p_admin p_help a_admin a_help a_app x_admin
GET /v1/customers/{customerId}/servicerequests| Y         | b_admin y_admin
GET /v1/customers/{customerId}/servicerequests| Z         | a_admin a_help a_app
POST /v1/customers/{customerId}/servicerequests| X        | p_admin p_help a_admin a_help a_app x_admin
POST /v1/customers/{customerId}/servicerequests| Y        | b_admin y_admin
POST /v1/customers/{customerId}/servicerequests| Z        | a_admin a_help a_app
GET /v1/servicerequests/{serviceRequestId}    | X->A      | x_admin a_admin a_help a_app
GET /v1/servicerequests/{serviceRequestId}    | X->op     | x_admin a_admin a_help a_app p_admin p_help op
PATCH /v1/servicerequests/{serviceRequestId}  | X->A      | x_admin a_admin a_help a_app
PATCH /v1/servicerequests/{serviceRequestId}  | X->op     | x_admin op
GET /v1/servicerequests/{serviceRequestId}/notes | X->A   | x_admin a_admin a_help a_app
GET /v1/servicerequests/{serviceRequestId}/notes | X->op  | x_admin a_admin a_help a_app p_admin p_help op
POST /v1/servicerequests/{serviceRequestId}/notes | X->A  | x_admin a_admin a_help a_app
POST /v1/servicerequests/{serviceRequestId}/notes | X->op | x_admin a_admin a_help a_app p_admin p_help op
GET /v1/servicerequests/{serviceRequestId}/attachments | X->A  | x_admin a_admin a_help a_app
GET /v1/servicerequests/{serviceRequestId}/attachments | X->op | x_admin a_admin a_help a_app p_admin p_help op
POST /v1/servicerequests/{serviceRequestId}/attachments | X->A  | x_admin a_admin a_help a_app
POST /v1/servicerequests/{serviceRequestId}/attachments | X->op | x_admin a_admin a_help a_app p_admin p_help op
GET /v1/servicerequests/{serviceRequestId}/attachments/{attachmentId} | X->A.file | x_admin a_admin a_help a_app
"#;

/// Every actor position, in the order the matrix prints them.
const ACTORS: &[&str] = &[
    "op", "p_admin", "p_sales", "p_help", "q_admin", "a_admin", "a_sales", "a_help", "a_app",
    "b_admin", "d_admin", "e_admin", "x_admin", "x_user", "y_admin", "anon", "forged",
];

fn expand(group: &str) -> Vec<&'static str> {
    let users = ACTORS
        .iter()
        .copied()
        .filter(|a| !matches!(*a, "anon" | "forged" | "a_app"))
        .collect();
    match group {
        "anyone" => ACTORS.to_vec(),
        "-" => vec![],
        "users" => users,
        "P*" => vec!["p_admin", "p_sales", "p_help"],
        "A*" => vec!["a_admin", "a_sales", "a_help"],
        "partners" => vec![
            "p_admin", "p_sales", "p_help", "q_admin", "a_admin", "a_sales", "a_help", "a_app",
            "b_admin", "d_admin",
        ],
        one => {
            let found = ACTORS.iter().copied().find(|a| *a == one);
            vec![found.unwrap_or_else(|| panic!("unknown actor {one} in the table"))]
        }
    }
}

type Key = (String, String, String);

/// (method, path, target) -> allowed actors.
fn expectations() -> BTreeMap<Key, BTreeSet<&'static str>> {
    let mut out = BTreeMap::new();
    for line in EXPECTED.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let parts: Vec<&str> = line.split('|').map(str::trim).collect();
        assert_eq!(parts.len(), 3, "table line: {line}");
        let (method, path) = parts[0].split_once(' ').expect("METHOD path");
        let allowed: BTreeSet<&str> = parts[2].split_whitespace().flat_map(expand).collect();
        let prev = out.insert(
            (method.to_string(), path.to_string(), parts[1].to_string()),
            allowed,
        );
        assert!(prev.is_none(), "duplicate table line: {line}");
    }
    out
}

/// The world every cell runs against.
struct World {
    tokens: BTreeMap<&'static str, String>,
    /// Each person's sign-in name, for the portal's half of the matrix.
    upns: BTreeMap<&'static str, String>,
    p: Partner,
    a: Partner,
    b: Partner,
    d: Partner,
    /// A reseller outside the matrix whose relationship requests customers answer.
    r: Partner,
    x: TenantRow,
    y: TenantRow,
    z: TenantRow,
    x_user: UserRow,
    y_user: UserRow,
    a_user: UserRow,
    p_user: UserRow,
    enrollment: String,
    rel_pa: String,
    rel_pd: String,
    order_x: String,
    sub_x: String,
    cart_x: String,
    invoice_p: String,
    audit_p: String,
    grant_x_a: String,
    agreement: String,
    /// A referral from P to A.
    referral_pa: String,
    /// P's test event to its webhook: (correlation id, delivery id).
    test_p: (String, String),
    /// An application of A registered by its admin agent (not the one that calls).
    app_a: String,
    /// Support requests raised by X: one held by A, one escalated to the operator; a file on
    /// the first.
    case_xa: String,
    case_xop: String,
    file_xa: String,
}

const GA_ROLE: &str = "62e90394-69f5-4237-9190-012177145e10";

async fn relationship_id(t: &TestApp, token: &str, other: &Partner) -> String {
    let (s, list) = t
        .get(
            "/v1/relationships?relationship_type=IsIndirectCloudSolutionProviderOf",
            token,
        )
        .await;
    assert_eq!(s, 200, "{list}");
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["mpnId"].as_str() == Some(other.mpn.to_string().as_str()))
        .unwrap_or_else(|| panic!("relationship with {} in {list}", other.mpn))["partnershipId"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn customer_user(t: &TestApp, token: &str, c: &TenantRow, local: &str) -> UserRow {
    let (s, u) = t
        .post(
            &format!("/v1/customers/{}/users", c.id),
            token,
            &json!({"userPrincipalName": format!("{local}@{}", c.domain), "displayName": local,
                    "passwordProfile": {"password": PASSWORD, "forceChangePassword": false}}),
        )
        .await;
    assert_eq!(s, 201, "{u}");
    partnerhub::app::store::identity::user_by_upn(&t.app.db, &format!("{local}@{}", c.domain))
        .await
        .unwrap()
        .unwrap()
}

/// A token for a_admin's identity, signed by a key the server does not know, with the
/// server's key id in its header.
fn forged_token(real: &str) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut parts = real.split('.');
    let header: Value =
        serde_json::from_slice(&b64.decode(parts.next().unwrap()).unwrap()).unwrap();
    let claims: Value =
        serde_json::from_slice(&b64.decode(parts.next().unwrap()).unwrap()).unwrap();
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let key = jsonwebtoken::EncodingKey::from_ed_der(pkcs8.as_ref());
    let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    h.kid = header["kid"].as_str().map(str::to_string);
    jsonwebtoken::encode(&h, &claims, &key).unwrap()
}

async fn build(t: &TestApp) -> World {
    load_catalog(t).await;
    let (_, op) = t.tenant(TenantKind::Operator, &[Role::OperatorAdmin]).await;
    let p = t.partner(true, false, "US").await;
    let q = t.partner(true, false, "US").await;
    let a = t.partner(false, true, "US").await;
    let b = t.partner(false, true, "US").await;
    let d = t.partner(false, true, "US").await;
    let inviter = t.partner(false, true, "US").await;
    let p_admin = t.user(&p.tenant, "agent", &[Role::AdminAgent]).await;
    let p_sales = t.user(&p.tenant, "sales", &[Role::SalesAgent]).await;
    let p_help = t.user(&p.tenant, "help", &[Role::HelpdeskAgent]).await;
    let a_admin = t.user(&a.tenant, "agent", &[Role::AdminAgent]).await;
    let a_sales = t.user(&a.tenant, "sales", &[Role::SalesAgent]).await;
    let a_help = t.user(&a.tenant, "help", &[Role::HelpdeskAgent]).await;
    let a_user = t.user(&a.tenant, "someone", &[]).await;
    let p_user = t.user(&p.tenant, "someone", &[]).await;
    partner_up(t, &p, &a).await;
    partner_up(t, &p, &d).await;
    let rel_pd = relationship_id(t, &p.token, &d).await;
    let r = t
        .http
        .delete(t.url(&format!("/v1/relationships/{rel_pd}")))
        .bearer_auth(&p.token)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "end P-D: {}", r.status());
    let rel_pa = relationship_id(t, &p.token, &a).await;
    let (x, x_admin, x_token) = customer_via(
        t,
        &a,
        Some(&p),
        &[
            "user_administrator",
            "helpdesk_administrator",
            "license_administrator",
        ],
        365,
    )
    .await;
    let (y, y_admin, y_token) = customer_via(t, &b, None, &["global_administrator"], 365).await;
    let x_user = customer_user(t, &x_token, &x, "plain").await;
    let y_user = customer_user(t, &y_token, &y, "plain").await;
    // An order, its subscription and a cart for X, placed by P for A.
    let line = json!({"lineItems": [{"lineItemNumber": 0, "catalogItemId": "PH-SUITE:BASIC:US-M",
        "quantity": 3, "partnerIdOnRecord": a.mpn.to_string()}]});
    let (s, o) = t
        .post(&format!("/v1/customers/{}/orders", x.id), &p.token, &line)
        .await;
    assert_eq!(s, 201, "{o}");
    let order_x = o["id"].as_str().unwrap().to_string();
    let sub_x = o["lineItems"][0]["subscriptionId"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, c) = t
        .post(
            &format!("/v1/customers/{}/carts", x.id),
            &p.token,
            &json!({"lineItems": [{"catalogItemId": "PH-SUITE:BASIC:US-M", "quantity": 1,
                "participants": [{"key": "transaction_reseller", "value": a.mpn.to_string()}]}]}),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    let cart_x = c["id"].as_str().unwrap().to_string();
    let (_, grants) = t.get("/v1/customer/grants", &x_token).await;
    let grant_x_a = grants["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["partnerId"] == a.tenant.id.to_string())
        .unwrap_or_else(|| panic!("A's grant in {grants}"))["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The month closes: P gets an invoice.
    let (_, end) = partnerhub::domain::commerce::month_of(t.clock.now_ms());
    let month = chrono::DateTime::from_timestamp_millis(end - 1)
        .unwrap()
        .format("%Y-%m")
        .to_string();
    t.clock.advance(chrono::Duration::milliseconds(
        end - t.clock.now_ms() + 1000,
    ));
    let op_token = t.token(&op.upn).await;
    let (s, run) = t
        .post(
            "/v1/invoices/generate",
            &op_token,
            &json!({"period": month}),
        )
        .await;
    assert_eq!(s, 201, "{run}");
    let (_, invs) = t.get("/v1/invoices", &t.token(&p.admin.upn).await).await;
    let invoice_p = invs["items"][0]["id"].as_str().unwrap().to_string();
    let (_, records) = t
        .get("/v1/auditrecords", &t.token(&p.admin.upn).await)
        .await;
    let audit_p = records["items"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("P has audit records: {records}"))
        .to_string();
    // Z: A's global administrator grant for one day, which then runs out.
    let a_fresh = Partner {
        token: t.token(&a.admin.upn).await,
        ..a
    };
    let (z, _, _) = customer_via(t, &a_fresh, None, &["global_administrator"], 1).await;
    let a = a_fresh;
    t.clock.advance(chrono::Duration::days(2));
    // Applicant E: a partner tenant with an application under way.
    let (_, e_admin) = t.tenant(TenantKind::Partner, &[]).await;
    let e_token = t.token(&e_admin.upn).await;
    let (s, en) = t
        .post(
            "/v1/enrollments",
            &e_token,
            &json!({"program": "indirect_reseller"}),
        )
        .await;
    assert!(s == 201 || s == 200, "{en}");
    let enrollment = en["id"].as_str().unwrap().to_string();
    // Tokens are minted now, after the clock moved.
    let mut tokens = BTreeMap::new();
    let mut upns = BTreeMap::new();
    for (name, upn) in [
        ("op", &op.upn),
        ("p_admin", &p_admin.upn),
        ("p_sales", &p_sales.upn),
        ("p_help", &p_help.upn),
        ("q_admin", &q.admin.upn),
        ("a_admin", &a_admin.upn),
        ("a_sales", &a_sales.upn),
        ("a_help", &a_help.upn),
        ("b_admin", &b.admin.upn),
        ("d_admin", &d.admin.upn),
        ("e_admin", &e_admin.upn),
        ("x_admin", &x_admin.upn),
        ("x_user", &x_user.upn),
        ("y_admin", &y_admin.upn),
    ] {
        tokens.insert(name, t.token(upn).await);
        upns.insert(name, upn.to_string());
    }
    let a_token = t.token(&a.admin.upn).await;
    let (s, reg) = t
        .post(
            "/v1/applications",
            &a_token,
            &json!({"displayName": "A automation", "roles": ["admin_agent"]}),
        )
        .await;
    assert_eq!(s, 201, "{reg}");
    let r = t
        .http
        .post(t.url("/oauth2/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", reg["id"].as_str().unwrap()),
            ("client_secret", reg["clientSecret"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let app_token: Value = r.json().await.unwrap();
    tokens.insert("a_app", app_token["access_token"].as_str().unwrap().into());
    tokens.insert("anon", String::new());
    tokens.insert("forged", forged_token(&tokens["a_admin"]));
    let (_, ag) = t.get("/v1/agreements/current", &tokens["a_admin"]).await;
    let agreement = ag["version"].as_str().unwrap_or("").to_string();
    let mut w = World {
        tokens,
        upns,
        p,
        a,
        b,
        d,
        r: inviter,
        x,
        y,
        z,
        x_user,
        y_user,
        a_user,
        p_user,
        enrollment,
        rel_pa,
        rel_pd,
        order_x,
        sub_x,
        cart_x,
        invoice_p,
        audit_p,
        grant_x_a,
        agreement,
        referral_pa: String::new(),
        test_p: (String::new(), String::new()),
        app_a: String::new(),
        case_xa: String::new(),
        case_xop: String::new(),
        file_xa: String::new(),
    };
    w.app_a = new_app(t, &w.tokens["a_admin"]).await;
    // Partner tokens of the helpers expired when the clock moved.
    w.p.token = t.token(&w.p.admin.upn).await;
    let (s, r) = t
        .post(
            "/v1/referrals",
            &w.p.token,
            &referral_body(Some(&w.a.tenant.id.to_string())),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    w.referral_pa = r["id"].as_str().unwrap().to_string();
    register_webhook(t, &w.p.token).await;
    let (s, v) = t
        .post(
            "/webhooks/v1/registration/validationEvents",
            &w.p.token,
            &json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let corr = v["correlationId"].as_str().unwrap().to_string();
    let (s, d) = t
        .get(
            &format!("/webhooks/v1/registration/validationEvents/{corr}"),
            &w.p.token,
        )
        .await;
    assert_eq!(s, 200, "{d}");
    w.test_p = (corr, d["id"].as_str().unwrap().to_string());
    w.b.token = t.token(&w.b.admin.upn).await;
    w.d.token = t.token(&w.d.admin.upn).await;
    w.r.token = t.token(&w.r.admin.upn).await;
    support_cases(t, &mut w).await;
    w
}

/// An application registered by the holder of `token`, with no roles.
async fn new_app(t: &TestApp, token: &str) -> String {
    let (s, reg) = t
        .post(
            "/v1/applications",
            token,
            &json!({"displayName": "Matrix target"}),
        )
        .await;
    assert_eq!(s, 201, "{reg}");
    reg["id"].as_str().unwrap().to_string()
}

/// X raises two support requests: one stays with A (with a file), one climbs to the operator.
async fn support_cases(t: &TestApp, w: &mut World) {
    crate::support_requests::load_topics(t).await;
    let body = json!({"title": "Matrix case", "description": "d", "severity": "normal",
        "supportTopicId": "licenses-seats"});
    let raise = |token: String| {
        let body = body.clone();
        async move {
            let (s, c) = t.post("/v1/servicerequests", &token, &body).await;
            assert_eq!(s, 201, "{c}");
            c["id"].as_str().unwrap().to_string()
        }
    };
    w.case_xa = raise(w.tokens["x_admin"].clone()).await;
    w.case_xop = raise(w.tokens["x_admin"].clone()).await;
    let path = format!("/v1/servicerequests/{}", w.case_xop);
    for token in [&w.tokens["a_admin"], &w.p.token] {
        let (s, c) = t.patch(&path, token, &json!({"escalate": true})).await;
        assert_eq!(s, 200, "{c}");
    }
    let r = t
        .http
        .post(t.url(&format!(
            "/v1/servicerequests/{}/attachments?fileName=trace.txt",
            w.case_xa
        )))
        .bearer_auth(&w.tokens["x_admin"])
        .header("content-type", "text/plain")
        .body("trace")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let a: Value = r.json().await.unwrap();
    w.file_xa = a["id"].as_str().unwrap().to_string();
}

/// A webhook on a closed local port: registrations pass (the test allows 127.0.0.1) and
/// deliveries fail quietly.
async fn register_webhook(t: &TestApp, token: &str) -> u16 {
    t.post(
        "/webhooks/v1/registration",
        token,
        &json!({"webhookUrl": "http://127.0.0.1:9/hook", "webhookEvents": ["test-created", "order-created"]}),
    )
    .await
    .0
}

fn referral_body(target: Option<&str>) -> Value {
    let mut v = json!({"name": "Matrix lead", "dealValue": "100.00", "currency": "USD", "consent": true,
        "customerProfile": {"name": "Lead Co", "country": "US",
            "contact": {"name": "Lee", "email": "lee@lead.example"}}});
    if let Some(t) = target {
        v["targetPartnerId"] = json!(t);
    }
    v
}

/// The targets an operation is tried on, from the names of its path parameters.
fn scenes(w: &World, params: &[String]) -> Vec<(&'static str, BTreeMap<String, String>)> {
    let names: Vec<&str> = params.iter().map(String::as_str).collect();
    let m = |pairs: &[(&str, String)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    };
    let (x, y, z) = (w.x.id.to_string(), w.y.id.to_string(), w.z.id.to_string());
    match names.as_slice() {
        [] => vec![("-", m(&[]))],
        ["customerId"] => vec![
            ("X", m(&[("customerId", x)])),
            ("Y", m(&[("customerId", y)])),
            ("Z", m(&[("customerId", z)])),
        ],
        ["customerId", "userId"] => vec![
            (
                "X/x_user",
                m(&[
                    ("customerId", x.clone()),
                    ("userId", w.x_user.id.to_string()),
                ]),
            ),
            (
                "Y/y_user",
                m(&[("customerId", y), ("userId", w.y_user.id.to_string())]),
            ),
            (
                "X/y_user",
                m(&[("customerId", x), ("userId", w.y_user.id.to_string())]),
            ),
        ],
        ["customerId", "roleId"] => vec![
            ("X/GA", m(&[("customerId", x), ("roleId", GA_ROLE.into())])),
            ("Y/GA", m(&[("customerId", y), ("roleId", GA_ROLE.into())])),
        ],
        ["customerId", "roleId", "userId"] => vec![
            (
                "X/GA/x_user",
                m(&[
                    ("customerId", x),
                    ("roleId", GA_ROLE.into()),
                    ("userId", w.x_user.id.to_string()),
                ]),
            ),
            (
                "Y/GA/y_user",
                m(&[
                    ("customerId", y),
                    ("roleId", GA_ROLE.into()),
                    ("userId", w.y_user.id.to_string()),
                ]),
            ),
        ],
        ["customerId", "orderId"] => vec![
            (
                "X/order-X",
                m(&[("customerId", x), ("orderId", w.order_x.clone())]),
            ),
            (
                "Y/order-X",
                m(&[("customerId", y), ("orderId", w.order_x.clone())]),
            ),
        ],
        ["customerId", "subscriptionId"] => vec![
            (
                "X/sub-X",
                m(&[("customerId", x), ("subscriptionId", w.sub_x.clone())]),
            ),
            (
                "Y/sub-X",
                m(&[("customerId", y), ("subscriptionId", w.sub_x.clone())]),
            ),
        ],
        ["customerId", "offerId"] => vec![
            (
                "X/offer",
                m(&[("customerId", x), ("offerId", "PH-SUITE:BASIC:US-M".into())]),
            ),
            (
                "Y/offer",
                m(&[("customerId", y), ("offerId", "PH-SUITE:BASIC:US-M".into())]),
            ),
        ],
        ["customerId", "cartId"] => vec![
            (
                "X/cart-X",
                m(&[("customerId", x), ("cartId", w.cart_x.clone())]),
            ),
            (
                "Y/cart-X",
                m(&[("customerId", y), ("cartId", w.cart_x.clone())]),
            ),
        ],
        ["userId"] => vec![
            ("A.user", m(&[("userId", w.a_user.id.to_string())])),
            ("P.user", m(&[("userId", w.p_user.id.to_string())])),
        ],
        ["enrollmentId"] => vec![("E", m(&[("enrollmentId", w.enrollment.clone())]))],
        ["invoiceId"] => vec![("P.invoice", m(&[("invoiceId", w.invoice_p.clone())]))],
        ["invitationId"] => vec![("P.invitation", m(&[("invitationId", String::new())]))],
        ["requestId"] => vec![("A.request", m(&[("requestId", String::new())]))],
        ["productId"] => vec![("PH-SUITE", m(&[("productId", "PH-SUITE".into())]))],
        ["productId", "skuId"] => vec![(
            "PH-SUITE/BASIC",
            m(&[("productId", "PH-SUITE".into()), ("skuId", "BASIC".into())]),
        )],
        ["productId", "skuId", "availabilityId"] => vec![(
            "PH-SUITE/BASIC/US-M",
            m(&[
                ("productId", "PH-SUITE".into()),
                ("skuId", "BASIC".into()),
                ("availabilityId", "US-M".into()),
            ]),
        )],
        ["auditRecordId"] => vec![("P.record", m(&[("auditRecordId", w.audit_p.clone())]))],
        ["domain"] => vec![("X.domain", m(&[("domain", w.x.domain.clone())]))],
        ["offerId"] => vec![(
            "PH-SUITE:BASIC:US-M",
            m(&[("offerId", "PH-SUITE:BASIC:US-M".into())]),
        )],
        ["providerId"] => vec![("P", m(&[("providerId", w.p.tenant.id.to_string())]))],
        ["relationshipId"] => vec![
            ("P-A", m(&[("relationshipId", w.rel_pa.clone())])),
            ("P-D ended", m(&[("relationshipId", w.rel_pd.clone())])),
        ],
        ["applicationId"] => vec![("A.app", m(&[("applicationId", w.app_a.clone())]))],
        ["consentId"] => vec![("A.consent", m(&[("consentId", String::new())]))],
        ["grantId"] => vec![("X.A", m(&[("grantId", w.grant_x_a.clone())]))],
        ["partnerId"] => vec![("X.A", m(&[("partnerId", w.a.tenant.id.to_string())]))],
        ["referralId"] => vec![("P->A", m(&[("referralId", w.referral_pa.clone())]))],
        ["correlationId"] => vec![("P.test", m(&[("correlationId", w.test_p.0.clone())]))],
        ["deliveryId"] => vec![("P.test", m(&[("deliveryId", w.test_p.1.clone())]))],
        ["serviceRequestId"] => vec![
            ("X->A", m(&[("serviceRequestId", w.case_xa.clone())])),
            ("X->op", m(&[("serviceRequestId", w.case_xop.clone())])),
        ],
        ["serviceRequestId", "attachmentId"] => vec![(
            "X->A.file",
            m(&[
                ("serviceRequestId", w.case_xa.clone()),
                ("attachmentId", w.file_xa.clone()),
            ]),
        )],
        other => panic!("no targets for path parameters {other:?}: add them to scenes()"),
    }
}

enum Payload {
    None,
    Json(Value),
    Form(Vec<(&'static str, String)>),
    Csv(&'static str),
}

/// A request body that would succeed for an allowed caller, so a refusal is about who asks.
fn payload(w: &World, method: &str, path: &str, fresh: &str) -> Payload {
    let uniq = uuid::Uuid::new_v4().simple().to_string()[..10].to_string();
    let line = json!([{"lineItemNumber": 0, "catalogItemId": "PH-SUITE:BASIC:US-M", "quantity": 1,
        "partnerIdOnRecord": w.a.mpn.to_string(),
        "participants": [{"key": "transaction_reseller", "value": w.a.mpn.to_string()}]}]);
    let user = |domain: &str| {
        json!({"userPrincipalName": format!("u{uniq}@{domain}"), "displayName": "New User",
               "passwordProfile": {"password": PASSWORD, "forceChangePassword": false}})
    };
    Payload::Json(match (method, path) {
        ("POST", "/oauth2/token") => {
            return Payload::Form(vec![
                ("grant_type", "password".into()),
                ("username", w.x_user.upn.clone()),
                ("password", PASSWORD.into()),
            ])
        }
        ("POST", "/v1/memberships/import") => return Payload::Csv(
            "mpn_id,org_name,country,username,password,profile_id,profile_name,profile_country\n\
                 4900001,Matrix Org,US,matrix,Membership-1,5900001,Matrix Org,US\n",
        ),
        ("POST", "/v1/tenants") => {
            json!({"domain": format!("n{uniq}.example"), "displayName": "New Org",
            "country": "US", "admin": {"userPrincipalName": format!("admin@n{uniq}.example"),
            "displayName": "New Admin", "password": PASSWORD}})
        }
        ("POST", "/v1/enrollments/verification") => json!({"token": "not-a-real-token"}),
        ("POST", "/v1/me/mfa/setup") => json!({}),
        ("POST", "/v1/me/mfa/confirm") => json!({"secret": "JBSWY3DPEHPK3PXP", "code": "000000"}),
        ("POST", "/v1/users") => json!({"userPrincipalName": format!("u{uniq}@example.invalid"),
            "displayName": "New User", "password": PASSWORD}),
        ("PATCH", "/v1/users/{userId}") => json!({"displayName": "Renamed"}),
        ("POST", "/webhooks/v1/registration") | ("PUT", "/webhooks/v1/registration") => {
            json!({"webhookUrl": "http://127.0.0.1:9/hook", "webhookEvents": ["order-created"]})
        }
        ("PUT", "/v1/users/me/notifications") => {
            json!({"events": ["order-created"], "dailyDigest": false})
        }
        ("POST", "/v1/referrals") => referral_body(None),
        ("PATCH", "/v1/referrals/{referralId}") => json!({"notes": format!("note {uniq}")}),
        ("POST", "/v1/applications") => json!({"displayName": "Matrix app"}),
        ("PATCH", "/v1/applications/{applicationId}") => json!({"enabled": false}),
        ("PUT", "/v1/applications/{applicationId}/redirecturis") => {
            json!({"redirectUris": ["https://matrix.example/callback"]})
        }
        ("POST", "/v1/me/mfa/recoverycodes") => json!({"code": "000000"}),
        ("POST", "/v1/enrollments") => json!({"program": "indirect_reseller"}),
        ("PUT", "/v1/enrollments/{enrollmentId}/membership") => json!({"profileId": 5100001}),
        ("POST", "/v1/enrollments/{enrollmentId}/membership") => {
            json!({"username": "blueyonder", "password": "Membership-1"})
        }
        ("PUT", "/v1/enrollments/{enrollmentId}/application") => json!({"legalName": "E Org"}),
        ("POST", "/v1/enrollments/{enrollmentId}/submit") => json!({}),
        ("POST", "/v1/enrollments/{enrollmentId}/approve") => json!({}),
        ("POST", "/v1/enrollments/{enrollmentId}/reject") => json!({"note": "no"}),
        ("POST", "/v1/enrollments/{enrollmentId}/requestinfo") => json!({"note": "more"}),
        ("POST", "/v1/agreements/current/acceptance") => json!({"version": w.agreement}),
        ("POST", "/v1/catalog/import") => {
            serde_json::from_str(partnerhub::cli::demo::CATALOG_JSON).unwrap()
        }
        ("POST", "/v1/invoices/generate") => json!({"period": "2001-01"}),
        ("PUT", "/v1/profiles/legalbusiness") => json!({"companyName": "Renamed Ltd",
            "address": {"addressLine1": "1 Main St", "city": "Seattle", "postalCode": "98101", "country": "US"},
            "primaryContact": {"firstName": "Pat", "lastName": "Lee", "email": "pat@contoso.example", "phoneNumber": "+1 206 555 0100"}}),
        ("PUT", "/v1/profiles/support") => {
            json!({"email": "help@contoso.example", "telephone": "+1 206 555 0100"})
        }
        ("PUT", "/v1/profiles/organization") => json!({"companyName": "Renamed Org"}),
        ("PUT", "/v1/providerlisting") => json!({"countries": ["US"], "services": ["billing"]}),
        ("POST", "/v1/partnershipinvitations") => json!({}),
        ("POST", "/v1/partnershipinvitations/preview") => json!({"token": fresh}),
        ("POST", "/v1/partnershipinvitations/accept") => json!({"token": fresh, "consent": true}),
        ("POST", "/v1/partners/validateresellers") => {
            json!({"partnerIds": [w.a.mpn.to_string()]})
        }
        ("POST", "/v1/customers") => json!({
            "companyProfile": {"domain": format!("c{uniq}.example"), "companyName": "NewCo"},
            "billingProfile": {"firstName": "Nia", "lastName": "Co", "email": format!("nia@c{uniq}.example"),
                "defaultAddress": {"country": "US", "city": "Austin"}},
            "associatedPartnerId": w.a.tenant.id.to_string()}),
        ("POST", "/v1/customers/relationshiprequests") => json!({}),
        ("POST", "/v1/customerinvitations/preview")
        | ("POST", "/v1/customerinvitations/accept")
        | ("POST", "/v1/customerinvitations/decline") => json!({"token": fresh}),
        ("PATCH", "/v1/customers/{customerId}") => json!({"relationshipToPartner": "none"}),
        ("PUT", "/v1/customers/{customerId}/profiles/billing") => {
            json!({"firstName": "Bo", "lastName": "Bill", "email": "bo@billing.example",
                   "defaultAddress": {"country": "US", "city": "Austin"}})
        }
        ("POST", "/v1/customers/{customerId}/users") => user(fresh),
        ("POST", "/v1/customers/{customerId}/verifieddomain") => json!({
            "verifiedDomainName": format!("d{uniq}.example"),
            "domain": {"name": format!("d{uniq}.example"), "capability": "email",
                "authenticationType": "managed", "status": "verified", "verificationMethod": "dns_record"}}),
        ("PATCH", "/v1/customers/{customerId}/users/{userId}") => {
            json!({"displayName": "Renamed"})
        }
        ("POST", "/v1/customers/{customerId}/users/{userId}/licenseupdates") => {
            json!({"licensesToAssign": [{"skuId": "PH-SUITE:BASIC"}]})
        }
        ("POST", "/v1/customers/{customerId}/directoryroles/{roleId}/usermembers") => {
            json!({"id": fresh})
        }
        ("POST", "/v1/customers/{customerId}/orders")
        | ("POST", "/v1/customers/{customerId}/carts")
        | ("PUT", "/v1/customers/{customerId}/carts/{cartId}") => {
            let mut b = json!({"lineItems": line});
            if (path.ends_with("orders") || path.ends_with("carts")) && fresh == "reseller" {
                b["providerId"] = json!(w.p.tenant.id.to_string());
            }
            b
        }
        ("POST", "/v1/customers/{customerId}/carts/{cartId}/checkout") => json!({}),
        ("PATCH", "/v1/customers/{customerId}/subscriptions/{subscriptionId}") => {
            json!({"autoRenewEnabled": true})
        }
        ("PATCH", "/v1/relationships/{relationshipId}") => json!({"adminAccess": false}),
        ("PATCH", "/v1/customers/{customerId}/orders/{orderId}") => {
            json!({"billingCycle": "monthly"})
        }
        ("POST", "/v1/customers/{customerId}/subscriptions/{subscriptionId}/upgrades") => {
            json!({"targetOffer": {"id": "PH-SUITE:STANDARD:US-M"}, "upgradeType": "upgrade_only"})
        }
        ("PUT", "/v1/customers/{customerId}/subscriptions/{subscriptionId}/supportcontact") => {
            json!({"supportTenantId": w.a.tenant.id.to_string()})
        }
        ("PUT", "/v1/profiles/billing") => json!({"billingCurrency": "USD", "taxId": "T-1",
            "address": {"addressLine1": "1 Main St", "city": "Redmond", "postalCode": "98052", "country": "US"},
            "primaryContact": {"firstName": "Bo", "lastName": "Bill", "email": "bo@billing.example",
                "phoneNumber": "4255550100"}}),
        ("PUT", "/v1/pricelists/provider") => json!([{"productId": "PH-SUITE", "skuId": "BASIC",
            "country": "US", "kind": "markup", "value": "5"}]),
        ("PUT", "/v1/pricelists/customer") => json!([]),
        ("POST", "/v1/servicerequests")
        | ("POST", "/v1/customers/{customerId}/servicerequests") => {
            json!({"title": "Matrix", "description": "d", "severity": "high",
                "supportTopicId": "sign-in-access"})
        }
        ("PATCH", "/v1/servicerequests/{serviceRequestId}") => json!({"status": "open"}),
        ("POST", "/v1/servicerequests/{serviceRequestId}/notes") => json!({"text": "matrix note"}),
        ("POST", "/v1/servicerequests/{serviceRequestId}/attachments") => {
            json!({"note": "a JSON file"})
        }
        ("PUT", "/v1/profiles/supporttargets") => json!([]),
        ("GET", _) | ("DELETE", _) => return Payload::None,
        _ => json!({}),
    })
}

/// Operations that take something away from the world run last, and get a new resource for
/// every caller where one is needed.
fn rank(method: &str, path: &str) -> u8 {
    match (method, path) {
        ("GET", _) => 0,
        // Upgrading suspends the subscription: after everything else that uses it.
        ("POST", "/v1/customers/{customerId}/subscriptions/{subscriptionId}/upgrades") => 2,
        ("PATCH", "/v1/relationships/{relationshipId}") => 3,
        ("DELETE", "/v1/relationships/{relationshipId}") => 4,
        ("PATCH", "/v1/customers/{customerId}") => 5,
        // Ends the caller's relationship and grants, as the PATCH above does.
        ("DELETE", "/v1/customers/{customerId}/relationships/partner") => 5,
        ("DELETE", "/v1/customer/partners/{partnerId}") => 6,
        ("DELETE", "/v1/customer/grants/{grantId}") => 7,
        ("DELETE", _) => 2,
        _ => 1,
    }
}

/// Puts back the partnership and relationships that the last operations end, so every caller
/// of those operations meets the same world.
async fn restore(t: &TestApp, w: &World) {
    use partnerhub::app::store::{customers, partnerships};
    let now = t.clock.now_ms();
    let mut tx = t.app.db.begin().await.unwrap();
    partnerships::activate(
        &mut tx,
        partnerhub::domain::ids::PartnershipId::new(),
        w.p.tenant.id,
        w.a.tenant.id,
        now,
    )
    .await
    .unwrap();
    for (c, partner, via) in [
        (&w.x, w.a.tenant.id, None),
        (&w.x, w.p.tenant.id, Some(w.a.tenant.id)),
        (&w.z, w.a.tenant.id, None),
        (&w.y, w.b.tenant.id, None),
    ] {
        customers::upsert_relationship(
            &mut tx,
            &customers::NewRelationship {
                customer: c,
                partner,
                indirect_reseller: via,
            },
            now,
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// Per request: a new resource for operations that consume theirs.
async fn prepare(
    t: &TestApp,
    w: &World,
    method: &str,
    path: &str,
    actor: &str,
    params: &mut BTreeMap<String, String>,
) -> String {
    let x_token = &w.tokens["x_admin"];
    match (method, path) {
        ("DELETE", "/v1/consents/{consentId}") => {
            // A fresh consent of A's admin agent to A's application.
            let (_, me) = t.get("/v1/me", &w.tokens["a_admin"]).await;
            let consent = partnerhub::app::store::oidc::ConsentRow {
                id: uuid::Uuid::now_v7().to_string(),
                user_id: me["user"]["id"].as_str().unwrap().parse().unwrap(),
                app_id: w.app_a.parse().unwrap(),
                scopes: "openid".into(),
                granted_at: t.clock.now_ms(),
                expires_at: t.clock.now_ms() + 86_400_000,
                revoked_at: None,
            };
            let mut tx = t.app.db.begin().await.unwrap();
            partnerhub::app::store::oidc::insert_consent(&mut tx, &consent)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            params.insert("consentId".into(), consent.id);
            String::new()
        }
        ("DELETE", "/v1/partnershipinvitations/{invitationId}") => {
            let (_, inv) = t
                .post("/v1/partnershipinvitations", &w.p.token, &json!({}))
                .await;
            params.insert("invitationId".into(), inv["id"].as_str().unwrap().into());
            String::new()
        }
        ("DELETE", "/v1/customers/relationshiprequests/{requestId}") => {
            let (s, req) = t
                .post(
                    "/v1/customers/relationshiprequests",
                    &w.tokens["a_admin"],
                    &json!({}),
                )
                .await;
            assert_eq!(s, 201, "{req}");
            params.insert("requestId".into(), req["id"].as_str().unwrap().into());
            String::new()
        }
        ("POST", "/v1/partnershipinvitations/preview")
        | ("POST", "/v1/partnershipinvitations/accept") => {
            let (_, inv) = t
                .post("/v1/partnershipinvitations", &w.p.token, &json!({}))
                .await;
            link_token(inv["url"].as_str().unwrap())
        }
        ("POST", "/v1/customerinvitations/preview")
        | ("POST", "/v1/customerinvitations/accept")
        | ("POST", "/v1/customerinvitations/decline") => {
            // A request of reseller R, which plays no other part in the matrix.
            let (s, req) = t
                .post("/v1/customers/relationshiprequests", &w.r.token, &json!({}))
                .await;
            assert_eq!(s, 201, "{req}");
            link_token(req["url"].as_str().unwrap())
        }
        ("DELETE", "/v1/users/{userId}") | ("PATCH", "/v1/users/{userId}") => {
            let tenant = if params["userId"] == w.a_user.id.to_string() {
                &w.a.tenant
            } else {
                &w.p.tenant
            };
            let u = t
                .user(
                    tenant,
                    &format!("gone{}", uuid::Uuid::new_v4().simple()),
                    &[],
                )
                .await;
            params.insert("userId".into(), u.id.to_string());
            String::new()
        }
        ("DELETE", "/v1/applications/{applicationId}")
        | ("PATCH", "/v1/applications/{applicationId}")
        | ("POST", "/v1/applications/{applicationId}/secret") => {
            params.insert(
                "applicationId".into(),
                new_app(t, &w.tokens["a_admin"]).await,
            );
            String::new()
        }
        ("DELETE", "/v1/customers/{customerId}/users/{userId}") => {
            // A new user of the tenant the original user belongs to.
            let (c, token) = if params["userId"] == w.y_user.id.to_string() {
                (&w.y, &w.tokens["y_admin"])
            } else {
                (&w.x, x_token)
            };
            let local = format!("gone{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
            let u = customer_user(t, token, c, &local).await;
            params.insert("userId".into(), u.id.to_string());
            String::new()
        }
        ("POST", "/v1/customers/{customerId}/directoryroles/{roleId}/usermembers")
        | ("DELETE", "/v1/customers/{customerId}/directoryroles/{roleId}/usermembers/{userId}") => {
            let (c, token) = if params["customerId"] == w.y.id.to_string() {
                (&w.y, &w.tokens["y_admin"])
            } else {
                (&w.x, x_token)
            };
            let u = customer_user(
                t,
                token,
                c,
                &format!("m{}", &uuid::Uuid::new_v4().simple().to_string()[..8]),
            )
            .await;
            if method == "DELETE" {
                let (s, b) = t
                    .post(
                        &format!(
                            "/v1/customers/{}/directoryroles/{GA_ROLE}/usermembers",
                            c.id
                        ),
                        token,
                        &json!({"id": u.id.to_string()}),
                    )
                    .await;
                assert_eq!(s, 201, "{b}");
                params.insert("userId".into(), u.id.to_string());
            }
            u.id.to_string()
        }
        ("POST", "/v1/customers/{customerId}/users") => {
            let c = [&w.x, &w.y, &w.z]
                .into_iter()
                .find(|c| c.id.to_string() == params["customerId"])
                .unwrap();
            c.domain.clone()
        }
        ("POST", "/v1/customers/{customerId}/orders")
        | ("POST", "/v1/customers/{customerId}/carts")
            if actor.starts_with("a_") || actor.starts_with("b_") =>
        {
            "reseller".into()
        }
        // Each caller meets its organisation without a webhook when registering, and with one
        // for everything else about it.
        ("POST", "/webhooks/v1/registration") => {
            let r = t
                .http
                .delete(t.url("/webhooks/v1/registration"))
                .bearer_auth(&w.tokens[actor])
                .send()
                .await
                .unwrap();
            assert!(r.status().as_u16() < 500);
            String::new()
        }
        (_, p)
            if p.starts_with("/webhooks/v1/registration")
                && !p.contains('{')
                && p != "/webhooks/v1/registration/events" =>
        {
            assert!(register_webhook(t, &w.tokens[actor]).await < 500);
            String::new()
        }
        _ => String::new(),
    }
}

/// The customers an actor has no relationship or grant with, whose ids must appear in none of
/// its lists: Y is B's alone, Z is A's alone, X is served by A and P. The operator is left
/// out (invoices and reviews span the platform).
fn foreign_customers(w: &World, actor: &str) -> Vec<(&'static str, String)> {
    let sees_x = actor.starts_with("p_") || actor.starts_with("a_") || actor.starts_with("x_");
    let sees_y = matches!(actor, "b_admin" | "y_admin");
    let sees_z = actor.starts_with("a_");
    if actor == "op" {
        return vec![];
    }
    [
        ("X", sees_x, w.x.id.to_string()),
        ("Y", sees_y, w.y.id.to_string()),
        ("Z", sees_z, w.z.id.to_string()),
    ]
    .into_iter()
    .filter(|(_, sees, _)| !sees)
    .map(|(n, _, id)| (n, id))
    .collect()
}

fn fill(path: &str, params: &BTreeMap<String, String>) -> String {
    let mut out = path.to_string();
    for (k, v) in params {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

fn path_params(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(str::to_string)
        .collect()
}

/// Required query parameters, with values that pass validation.
fn query(path: &str) -> &'static str {
    match path {
        "/v1/relationships" => "?relationship_type=IsIndirectResellerOf",
        "/v1/tenants/domainavailability" => "?domain=free-domain.example",
        "/v1/servicerequests/{serviceRequestId}/attachments" => "?fileName=matrix.json",
        _ => "",
    }
}

#[tokio::test]
async fn every_operation_answers_every_actor_as_the_table_says() {
    let t = TestApp::spawn_with(|c| {
        c.rate_limit_per_minute = 1_000_000;
        c.webhook_test_per_minute = 1_000_000;
        c.webhook_allow = vec!["127.0.0.1".into()];
    })
    .await;
    let w = build(&t).await;
    let table = expectations();
    let (s, doc) = t.get("/v1/openapi.json", "").await;
    assert_eq!(s, 200);
    let mut ops: Vec<(String, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            ops.push((method.to_uppercase(), path.clone()));
        }
    }
    ops.sort_by_key(|(m, p)| (rank(m, p), p.clone(), m.clone()));
    let mut missing = Vec::new();
    let mut used = BTreeSet::new();
    let mut unexpected_allow = Vec::new();
    let mut unexpected_deny = Vec::new();
    let mut server_errors = Vec::new();
    let mut foreign_items = Vec::new();
    // Lists that name a customer at all: the foreign-item check is not vacuous.
    let mut lists_with_customers = 0usize;
    let mut cells = 0usize;
    for (method, path) in &ops {
        for (label, base) in scenes(&w, &path_params(path)) {
            let key = (method.clone(), path.clone(), label.to_string());
            let Some(allowed) = table.get(&key) else {
                missing.push(format!("{method} {path} | {label} | ?"));
                continue;
            };
            used.insert(key.clone());
            // Denied callers first: a wrongly allowed destructive call shows up as such.
            let mut order: Vec<&str> = ACTORS.to_vec();
            order.sort_by_key(|a| allowed.contains(a));
            for actor in order {
                let mut params = base.clone();
                if rank(method, path) >= 3 {
                    restore(&t, &w).await;
                }
                let fresh = prepare(&t, &w, method, path, actor, &mut params).await;
                let url = t.url(&format!("{}{}", fill(path, &params), query(path)));
                let mut req = t
                    .http
                    .request(Method::from_bytes(method.as_bytes()).unwrap(), url);
                let token = &w.tokens[actor];
                if !token.is_empty() {
                    req = req.bearer_auth(token);
                }
                if matches!(method.as_str(), "PUT" | "PATCH") {
                    req = req.header("If-Match", "*");
                }
                req = match payload(&w, method, path, &fresh) {
                    Payload::None => req,
                    Payload::Json(v) => req.json(&v),
                    Payload::Form(f) => req.form(&f),
                    Payload::Csv(c) => req.header("content-type", "text/csv").body(c),
                };
                let r = req.send().await.unwrap();
                let status = r.status().as_u16();
                let body = r.text().await.unwrap_or_default();
                let denied = matches!(status, 401 | 403 | 404);
                let want = allowed.contains(actor);
                let cell = format!(
                    "{method} {path} [{label}] {actor}: {status} {}",
                    body.chars().take(160).collect::<String>()
                );
                cells += 1;
                if status >= 500 {
                    server_errors.push(cell);
                } else if want && denied {
                    unexpected_deny.push(cell);
                } else if !want && !denied {
                    unexpected_allow.push(cell);
                } else if method == "GET" && !denied {
                    // List contents: no customer the caller has no business with, anywhere
                    // in any list it reads.
                    let list = serde_json::from_str::<Value>(&body)
                        .ok()
                        .filter(|v| v.get("items").is_some_and(Value::is_array));
                    if let Some(list) = list {
                        let text = list["items"].to_string();
                        lists_with_customers += usize::from(
                            [&w.x, &w.y, &w.z]
                                .iter()
                                .any(|c| text.contains(&c.id.to_string())),
                        );
                        for (name, id) in foreign_customers(&w, actor) {
                            if text.contains(&id) {
                                foreign_items.push(format!("{cell} lists customer {name}"));
                            }
                        }
                    }
                }
            }
        }
    }
    let stale: Vec<_> = table.keys().filter(|k| !used.contains(*k)).collect();
    println!(
        "authorization matrix: {} operations x targets, {} actors, {cells} cells; \
         {} unexpected allows, {} unexpected denies, {} server errors, {} foreign list items",
        used.len(),
        ACTORS.len(),
        unexpected_allow.len(),
        unexpected_deny.len(),
        server_errors.len(),
        foreign_items.len()
    );
    let report = [
        ("operations without a row in EXPECTED", &missing),
        ("UNEXPECTED ALLOWS", &unexpected_allow),
        ("server errors", &server_errors),
        ("unexpected denies", &unexpected_deny),
        ("FOREIGN ITEMS IN LISTS", &foreign_items),
    ]
    .iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(t, v)| format!("{t}:\n{}", v.join("\n")))
    .collect::<Vec<_>>();
    assert!(report.is_empty(), "{}", report.join("\n\n"));
    assert!(
        stale.is_empty(),
        "rows for operations that do not exist: {stale:?}"
    );
    assert!(cells > 1000, "the matrix ran {cells} cells");
    assert!(
        lists_with_customers >= 20,
        "only {lists_with_customers} lists named a customer"
    );
    println!("{lists_with_customers} list reads named a customer, none a foreign one");
}

/// Who may act on whom (docs/security.md, "Privileged targets"): every actor, on every kind
/// of target, with the payloads that carry power (a new password, `state`, roles). One line
/// per actor and operation: the targets it may act on. Targets: `self`, `plain` (no role),
/// `help` (a helpdesk role), `admin` (an administrative role), `ga` (global administrator).
///
/// Customer C is served by reseller R with a global administrator grant. Customer actors:
/// `c_ga`, `c_ua` (user administrator), `c_hd` (helpdesk administrator), `c_plain`. R's
/// actors: `r_account` (account admin), `r_agent` (admin agent), `r_useradmin` (a user
/// administrator of R's own directory), `r_billing`, `r_help` (helpdesk agent), `r_sales`,
/// `r_app` (R's application with the admin agent role), `r_suspended` (r_agent while R is
/// suspended), `r_noagreement` (r_agent while R has not accepted the current agreement).
/// Partner P's own directory: `p_account`, `p_agent`, `p_useradmin`, `p_billing`,
/// `p_help`, `p_sales`, `p_plain` and `p_app` (P's application with the admin agent role).
/// `role` adds a role the target lacks (customer: user or helpdesk administrator; partner:
/// sales agent or referrals admin); `escalate` adds admin agent, or account admin to someone
/// who is already an admin agent (only the top, or a holder of the role, may).
const TARGETS_EXPECTED: &str = r#"
c_ga          | reset   | self plain help admin ga
c_ga          | disable | plain help admin ga
c_ga          | delete  | plain help admin ga
c_ga          | role    | self plain help admin ga
c_ua          | reset   | self plain help admin
c_ua          | disable | plain help admin
c_ua          | delete  | plain help admin
c_ua          | role    | -
c_hd          | reset   | self plain
c_hd          | disable | -
c_hd          | delete  | -
c_hd          | role    | -
c_plain       | reset   | -
c_plain       | disable | -
c_plain       | delete  | -
c_plain       | role    | -
r_account     | reset   | plain help admin
r_account     | disable | plain help admin
r_account     | delete  | plain help admin
r_account     | role    | plain help admin
r_agent       | reset   | plain help admin
r_agent       | disable | plain help admin
r_agent       | delete  | plain help admin
r_agent       | role    | plain help admin
r_app         | reset   | plain help admin
r_app         | disable | plain help admin
r_app         | delete  | plain help admin
r_app         | role    | plain help admin
r_noagreement | reset   | plain help admin
r_noagreement | disable | plain help admin
r_noagreement | delete  | plain help admin
r_noagreement | role    | plain help admin
r_help        | reset   | plain
r_help        | disable | -
r_help        | delete  | -
r_help        | role    | -
r_useradmin   | reset   | -
r_useradmin   | disable | -
r_useradmin   | delete  | -
r_useradmin   | role    | -
r_billing     | reset   | -
r_billing     | disable | -
r_billing     | delete  | -
r_billing     | role    | -
r_sales       | reset   | -
r_sales       | disable | -
r_sales       | delete  | -
r_sales       | role    | -
r_suspended   | reset   | -
r_suspended   | disable | -
r_suspended   | delete  | -
r_suspended   | role    | -
p_account     | disable | plain help admin ga
p_account     | delete  | plain help admin ga
p_account     | role    | self plain help admin ga
p_account     | escalate| self plain help admin ga
p_agent       | disable | plain help admin
p_agent       | delete  | plain help admin
p_agent       | role    | self plain help admin
p_agent       | escalate| plain help
p_app         | disable | plain help admin
p_app         | delete  | plain help admin
p_app         | role    | plain help admin
p_app         | escalate| plain help
p_useradmin   | disable | plain help admin
p_useradmin   | delete  | plain help admin
p_useradmin   | role    | self plain help admin
p_useradmin   | escalate| -
p_billing     | disable | -
p_billing     | delete  | -
p_billing     | role    | -
p_billing     | escalate| -
p_help        | disable | -
p_help        | delete  | -
p_help        | role    | -
p_help        | escalate| -
p_sales       | disable | -
p_sales       | delete  | -
p_sales       | role    | -
p_sales       | escalate| -
p_plain       | disable | -
p_plain       | delete  | -
p_plain       | role    | -
p_plain       | escalate| -
"#;

const UA_ROLE: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";
const HA_ROLE: &str = "729827e3-9c14-49f7-bb1b-9608f156bbb8";

struct Acting {
    token: String,
    /// The actor's own user, when it is one (for the `self` target).
    user: Option<UserRow>,
}

/// What a user looks like before and after a cell, to tell whether the call had its effect.
#[derive(Debug, PartialEq, Eq, Clone)]
struct Seen {
    hash: String,
    state: String,
    roles: BTreeSet<String>,
}

async fn seen(t: &TestApp, u: &UserRow) -> Seen {
    let row = sqlx::query("SELECT password_hash, state FROM users WHERE id = $1")
        .bind(u.id.to_string())
        .fetch_one(&t.app.db.read)
        .await
        .unwrap();
    use sqlx::Row;
    let roles = sqlx::query("SELECT role FROM user_roles WHERE user_id = $1")
        .bind(u.id.to_string())
        .fetch_all(&t.app.db.read)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>("role"))
        .collect();
    Seen {
        hash: row.get("password_hash"),
        state: row.get("state"),
        roles,
    }
}

/// Whether `after` shows the operation's effect on `before`.
fn took_effect(op: &str, before: &Seen, after: &Seen) -> bool {
    match op {
        "reset" => before.hash != after.hash,
        "disable" | "delete" => after.state == "inactive",
        "role" | "escalate" => {
            after.roles.is_superset(&before.roles) && after.roles != before.roles
        }
        _ => unreachable!(),
    }
}

/// The first of `roles` the target does not hold yet: each role operation really adds one.
fn missing<'a>(held: &BTreeSet<String>, roles: &[&'a str]) -> &'a str {
    roles
        .iter()
        .copied()
        .find(|r| !held.contains(*r))
        .expect("a role to add")
}

async fn act(
    t: &TestApp,
    token: &str,
    customer: Option<&TenantRow>,
    op: &str,
    target: &UserRow,
    held: &BTreeSet<String>,
) -> u16 {
    let with = |extra: &str| {
        let mut r: Vec<String> = held.iter().cloned().collect();
        r.push(extra.to_string());
        r.sort();
        r.dedup();
        json!({ "roles": r })
    };
    let (method, path, body) = match (customer, op) {
        (Some(c), "reset") => (
            Method::PATCH,
            format!("/v1/customers/{}/users/{}", c.id, target.id),
            Some(json!({"passwordProfile": {"password": PASSWORD, "forceChangePassword": false}})),
        ),
        (Some(c), "disable") => (
            Method::PATCH,
            format!("/v1/customers/{}/users/{}", c.id, target.id),
            Some(json!({"state": "inactive"})),
        ),
        (Some(c), "delete") => (
            Method::DELETE,
            format!("/v1/customers/{}/users/{}", c.id, target.id),
            None,
        ),
        (Some(c), "role") => {
            let role = match missing(held, &["user_administrator", "helpdesk_administrator"]) {
                "user_administrator" => UA_ROLE,
                _ => HA_ROLE,
            };
            (
                Method::POST,
                format!("/v1/customers/{}/directoryroles/{role}/usermembers", c.id),
                Some(json!({"id": target.id.to_string()})),
            )
        }
        (None, "disable") => (
            Method::PATCH,
            format!("/v1/users/{}", target.id),
            Some(json!({"state": "inactive"})),
        ),
        (None, "delete") => (Method::DELETE, format!("/v1/users/{}", target.id), None),
        (None, "role") => (
            Method::PATCH,
            format!("/v1/users/{}", target.id),
            Some(with(missing(held, &["sales_agent", "referrals_admin"]))),
        ),
        (None, "escalate") => (
            Method::PATCH,
            format!("/v1/users/{}", target.id),
            Some(with(missing(held, &["admin_agent", "account_admin"]))),
        ),
        other => panic!("no operation {other:?}"),
    };
    let mut req = t.http.request(method, t.url(&path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap().status().as_u16()
}

async fn app_token(t: &TestApp, registrar_token: &str) -> String {
    let (s, reg) = t
        .post(
            "/v1/applications",
            registrar_token,
            &json!({"displayName": "Target matrix", "roles": ["admin_agent"]}),
        )
        .await;
    assert_eq!(s, 201, "{reg}");
    let r = t
        .http
        .post(t.url("/oauth2/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", reg["id"].as_str().unwrap()),
            ("client_secret", reg["clientSecret"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    let b: Value = r.json().await.unwrap();
    b["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn every_actor_acts_on_every_kind_of_target_as_the_rule_says() {
    let t = TestApp::spawn_with(|c| c.rate_limit_per_minute = 1_000_000).await;
    let r = t.partner(false, true, "US").await;
    let (c, c_admin, _) = customer_via(&t, &r, None, &["global_administrator"], 365).await;
    let p = t.partner(true, false, "US").await;
    let mut actors: BTreeMap<&str, Acting> = BTreeMap::new();
    let add = |name: &'static str, user: UserRow| {
        let t = &t;
        async move {
            let token = t.token(&user.upn).await;
            (
                name,
                Acting {
                    token,
                    user: Some(user),
                },
            )
        }
    };
    for (name, tenant, roles) in [
        ("c_ua", &c, vec![Role::UserAdministrator]),
        ("c_hd", &c, vec![Role::HelpdeskAdministrator]),
        ("c_plain", &c, vec![]),
        ("r_account", &r.tenant, vec![Role::AccountAdmin]),
        ("r_agent", &r.tenant, vec![Role::AdminAgent]),
        ("r_useradmin", &r.tenant, vec![Role::UserAdministrator]),
        ("r_billing", &r.tenant, vec![Role::BillingAdmin]),
        ("r_help", &r.tenant, vec![Role::HelpdeskAgent]),
        ("r_sales", &r.tenant, vec![Role::SalesAgent]),
        ("p_account", &p.tenant, vec![Role::AccountAdmin]),
        ("p_agent", &p.tenant, vec![Role::AdminAgent]),
        ("p_useradmin", &p.tenant, vec![Role::UserAdministrator]),
        ("p_billing", &p.tenant, vec![Role::BillingAdmin]),
        ("p_help", &p.tenant, vec![Role::HelpdeskAgent]),
        ("p_sales", &p.tenant, vec![Role::SalesAgent]),
        ("p_plain", &p.tenant, vec![]),
    ] {
        let u = t.user(tenant, name, &roles).await;
        let (n, a) = add(name, u).await;
        actors.insert(n, a);
    }
    let (n, a) = add("c_ga", c_admin.clone()).await;
    actors.insert(n, a);
    let r_app = app_token(&t, &actors["r_agent"].token).await;
    let p_app = app_token(&t, &actors["p_agent"].token).await;
    for (name, token) in [("r_app", r_app), ("p_app", p_app)] {
        actors.insert(name, Acting { token, user: None });
    }
    for name in ["r_suspended", "r_noagreement"] {
        let token = actors["r_agent"].token.clone();
        let user = actors["r_agent"].user.clone();
        actors.insert(name, Acting { token, user });
    }

    let mut table: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for line in TARGETS_EXPECTED
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        let parts: Vec<&str> = line.split('|').map(str::trim).collect();
        let allowed = parts[2]
            .split_whitespace()
            .filter(|s| *s != "-")
            .map(str::to_string)
            .collect();
        assert!(table
            .insert((parts[0].to_string(), parts[1].to_string()), allowed)
            .is_none());
    }
    let kinds: [(&str, Vec<Role>, Vec<Role>); 4] = [
        ("plain", vec![], vec![]),
        (
            "help",
            vec![Role::HelpdeskAdministrator],
            vec![Role::HelpdeskAgent],
        ),
        (
            "admin",
            vec![Role::UserAdministrator],
            vec![Role::AdminAgent],
        ),
        (
            "ga",
            vec![Role::GlobalAdministrator],
            vec![Role::GlobalAdministrator],
        ),
    ];
    // R's acceptance of the agreement, put back after the position that goes without it.
    let accepted: Vec<(String, String, String, i64)> = {
        use sqlx::Row;
        sqlx::query(
            "SELECT version, user_id, user_upn, accepted_at FROM agreement_acceptances WHERE tenant_id = $1",
        )
        .bind(r.tenant.id.to_string())
        .fetch_all(&t.app.db.read)
        .await
        .unwrap()
        .iter()
        .map(|row| {
            (
                row.get("version"),
                row.get("user_id"),
                row.get("user_upn"),
                row.get("accepted_at"),
            )
        })
        .collect()
    };
    assert!(!accepted.is_empty(), "R accepted the agreement");
    let mut wrong = Vec::new();
    let mut cells = 0usize;
    let (mut actor_names, mut target_names, mut op_names) =
        (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for ((actor, op), allowed) in &table {
        let acting = &actors[actor.as_str()];
        let customer_side = actor.starts_with("c_") || actor.starts_with("r_");
        let home = if customer_side { &c } else { &p.tenant };
        // R's standing changes for the two positions that test it, and is put back after.
        let r_id = r.tenant.id.to_string();
        match actor.as_str() {
            "r_suspended" => {
                sqlx::query("UPDATE partners SET status = 'suspended' WHERE tenant_id = $1")
                    .bind(&r_id)
                    .execute(&t.app.db.write)
                    .await
                    .unwrap();
            }
            "r_noagreement" => {
                sqlx::query("DELETE FROM agreement_acceptances WHERE tenant_id = $1")
                    .bind(&r_id)
                    .execute(&t.app.db.write)
                    .await
                    .unwrap();
            }
            _ => {}
        }
        let mut targets: Vec<(String, UserRow)> = Vec::new();
        if let Some(u) = acting.user.as_ref().filter(|u| u.tenant_id == home.id) {
            targets.push(("self".into(), u.clone()));
        }
        for (kind, in_customer, in_partner) in &kinds {
            let roles = if customer_side {
                in_customer
            } else {
                in_partner
            };
            let local = format!("{kind}{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
            targets.push((kind.to_string(), t.user(home, &local, roles).await));
        }
        for (kind, target) in targets {
            let before = seen(&t, &target).await;
            let status = act(
                &t,
                &acting.token,
                customer_side.then_some(&c),
                op,
                &target,
                &before.roles,
            )
            .await;
            let after = seen(&t, &target).await;
            let want = allowed.contains(&kind);
            let effect = took_effect(op, &before, &after);
            let ok_status = (200..300).contains(&status);
            cells += 1;
            actor_names.insert(actor.clone());
            target_names.insert(kind.clone());
            op_names.insert(op.clone());
            if status >= 500 || want != ok_status || want != effect {
                wrong.push(format!(
                    "{actor} {op} {kind}: {status}, effect {effect}, expected {}",
                    if want { "allow" } else { "deny" }
                ));
            }
        }
        sqlx::query("UPDATE partners SET status = 'active' WHERE tenant_id = $1")
            .bind(&r_id)
            .execute(&t.app.db.write)
            .await
            .unwrap();
        if actor == "r_noagreement" {
            for (version, user, upn, at) in &accepted {
                sqlx::query(
                    "INSERT INTO agreement_acceptances (tenant_id, version, user_id, user_upn, accepted_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&r_id)
                .bind(version)
                .bind(user)
                .bind(upn)
                .bind(at)
                .execute(&t.app.db.write)
                .await
                .unwrap();
            }
        }
    }
    println!(
        "target matrix: {} actors x {} targets x {} operations, {cells} cells; {} wrong",
        actor_names.len(),
        target_names.len(),
        op_names.len(),
        wrong.len()
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(cells > 300, "{cells} cells");
}

/// The portal is the second door to the same records: each page that shows one record opens
/// for exactly the people the table lets read it through the API, and shows the others
/// nothing (no 200, no record data).
#[tokio::test]
async fn every_portal_record_page_opens_for_whom_the_api_table_allows() {
    let t = TestApp::spawn_with(|c| {
        c.rate_limit_per_minute = 1_000_000;
        c.webhook_allow = vec!["127.0.0.1".into()];
    })
    .await;
    let w = build(&t).await;
    let table = expectations();
    let (x, y) = (w.x.id.to_string(), w.y.id.to_string());
    // (portal page, the API row that reads the same record, text only the record's page shows).
    // A user's page is where administrators change the user, so it follows the change row.
    let pages: Vec<(String, Key, String)> = vec![
        (
            format!("/portal/customers/{x}"),
            key("GET /v1/customers/{customerId}", "X"),
            w.x.domain.clone(),
        ),
        (
            format!("/portal/customers/{y}"),
            key("GET /v1/customers/{customerId}", "Y"),
            w.y.domain.clone(),
        ),
        (
            format!("/portal/customers/{x}/admin/users/{}", w.x_user.id),
            key("GET /v1/customers/{customerId}/users/{userId}", "X/x_user"),
            w.x_user.upn.clone(),
        ),
        (
            format!("/portal/support/{}", w.case_xa),
            key("GET /v1/servicerequests/{serviceRequestId}", "X->A"),
            "Matrix case".into(),
        ),
        (
            format!("/portal/referrals/{}", w.referral_pa),
            key("GET /v1/referrals/{referralId}", "P->A"),
            "Matrix lead".into(),
        ),
        (
            format!("/portal/users/{}", w.a_user.id),
            key("PATCH /v1/users/{userId}", "A.user"),
            w.a_user.upn.clone(),
        ),
        (
            format!("/portal/users/{}", w.p_user.id),
            key("PATCH /v1/users/{userId}", "P.user"),
            w.p_user.upn.clone(),
        ),
        (
            format!("/portal/invoices/{}/csv", w.invoice_p),
            key("GET /v1/invoices/{invoiceId}/csv", "P.invoice"),
            // A download: any 200 is the record.
            String::new(),
        ),
        (
            format!("/portal/enrollment/{}", w.enrollment),
            key("GET /v1/enrollments/{enrollmentId}", "E"),
            w.enrollment.clone(),
        ),
    ];
    let mut mismatches = Vec::new();
    let mut cells = 0;
    for (actor, upn) in &w.upns {
        let (cookie, _) = crate::portal_http::portal_session(&t, upn).await;
        for (page, row, marker) in &pages {
            let allowed = table
                .get(row)
                .unwrap_or_else(|| panic!("no table row {row:?}"))
                .contains(actor);
            let r = t
                .http
                .get(t.url(page))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let html = r.text().await.unwrap();
            assert!(status < 500, "{actor} {page}: {status}");
            cells += 1;
            let opened = status == 200 && html.contains(marker.as_str());
            if status == 200 && !opened && !allowed {
                // A 200 that is not the record (an error or empty state) is still a refusal,
                // as long as nothing of the record shows.
                continue;
            }
            if opened != allowed {
                mismatches.push(format!(
                    "{actor} {page}: {status}, expected {}",
                    if allowed { "the record" } else { "a refusal" }
                ));
            }
        }
    }
    assert_eq!(cells, w.upns.len() * pages.len());
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

fn key(op: &str, target: &str) -> Key {
    let (method, path) = op.split_once(' ').unwrap();
    (method.into(), path.into(), target.into())
}

/// A portal form that changes state, and how to check it against the API table.
struct PortalForm {
    path: String,
    /// Fields besides `csrf` (payloads that matter: roles, quantities, decisions).
    fields: Vec<(&'static str, String)>,
    /// The API row whose allowed people may send this form.
    row: Key,
    /// The allowed person who finally sends it (and must change something).
    finally: &'static str,
    /// Read through the API: (path, reader, field or `*` for the whole body).
    read: (String, &'static str, &'static str),
    /// People allowed besides the row's, where the portal form is a narrower use of the
    /// operation than the row's request (a password-only PATCH is the helpdesk's too).
    also: &'static [&'static str],
}

/// The portal's state-changing forms reach the same use cases as the API: everyone the table
/// does not allow gets nothing done (checked through the API after each attempt), and then
/// one allowed person's form takes effect. Forms run in an order that keeps the world usable
/// (the ones that end access come last).
#[tokio::test]
async fn every_portal_destructive_form_acts_only_for_whom_the_api_table_allows() {
    let t = TestApp::spawn_with(|c| {
        c.rate_limit_per_minute = 1_000_000;
        c.webhook_allow = vec!["127.0.0.1".into()];
    })
    .await;
    let w = build(&t).await;
    let table = expectations();
    let mut sessions = BTreeMap::new();
    for (actor, upn) in &w.upns {
        sessions.insert(*actor, crate::portal_http::portal_session(&t, upn).await);
    }
    let relationship = format!("/v1/relationships/{}", w.rel_pa);
    let user = format!("/v1/users/{}", w.a_user.id);
    let (x, sub) = (w.x.id.to_string(), w.sub_x.clone());
    // The riskiest forms also need the other organisation's name typed: everyone sends the
    // right one, so a refusal below is the table's, not a missing confirmation.
    let (p_name, a_name) = (
        w.p.tenant.display_name.clone(),
        w.a.tenant.display_name.clone(),
    );
    let form = |path: String,
                fields: &[(&'static str, &str)],
                row: Key,
                finally: &'static str,
                read: (String, &'static str, &'static str)| PortalForm {
        path,
        fields: fields.iter().map(|(k, v)| (*k, v.to_string())).collect(),
        row,
        finally,
        read,
        also: &[],
    };
    // Customer administration (`portal::customer_admin`) on X's plain user.
    let cadmin = format!("/portal/customers/{x}/admin");
    let x_user_page = format!("{cadmin}/users/{}", w.x_user.id);
    let x_user_api = format!("/v1/customers/{x}/users/{}", w.x_user.id);
    let new_upn = format!("matrix.new@{}", w.x.domain);
    let forms = [
        form(
            format!("/portal/users/{}", w.a_user.id),
            &[
                ("display_name", "Renamed in the portal"),
                ("role", "admin_agent"),
            ],
            key("PATCH /v1/users/{userId}", "A.user"),
            "a_admin",
            (user.clone(), "a_admin", "*"),
        ),
        form(
            format!("/portal/applications/{}", w.app_a),
            &[("change", "disable")],
            key("PATCH /v1/applications/{applicationId}", "A.app"),
            "a_admin",
            (format!("/v1/applications/{}", w.app_a), "a_admin", "*"),
        ),
        form(
            format!("/portal/referrals/{}", w.referral_pa),
            &[("substatus", "accepted")],
            key("PATCH /v1/referrals/{referralId}", "P->A"),
            "a_admin",
            (format!("/v1/referrals/{}", w.referral_pa), "p_admin", "*"),
        ),
        form(
            format!("/portal/customers/{x}/subscriptions/{sub}"),
            &[("quantity", "17")],
            key(
                "PATCH /v1/customers/{customerId}/subscriptions/{subscriptionId}",
                "X/sub-X",
            ),
            "p_admin",
            (
                format!("/v1/customers/{x}/subscriptions/{sub}"),
                "p_admin",
                "quantity",
            ),
        ),
        form(
            format!("{cadmin}/subscriptions/{sub}"),
            &[("do", "quantity"), ("quantity", "19")],
            key(
                "PATCH /v1/customers/{customerId}/subscriptions/{subscriptionId}",
                "X/sub-X",
            ),
            "a_admin",
            (
                format!("/v1/customers/{x}/subscriptions/{sub}"),
                "p_admin",
                "quantity",
            ),
        ),
        form(
            format!("{cadmin}/users"),
            &[("upn", &new_upn), ("display_name", "Matrix New")],
            key("POST /v1/customers/{customerId}/users", "X"),
            "a_admin",
            (format!("/v1/customers/{x}/users"), "a_admin", "totalCount"),
        ),
        form(
            format!("{x_user_page}/profile"),
            &[("display_name", "Renamed by the reseller")],
            key(
                "PATCH /v1/customers/{customerId}/users/{userId}",
                "X/x_user",
            ),
            "a_admin",
            (x_user_api.clone(), "a_admin", "displayName"),
        ),
        PortalForm {
            also: &["p_help", "a_help"],
            ..form(
                format!("{x_user_page}/password"),
                &[],
                key(
                    "PATCH /v1/customers/{customerId}/users/{userId}",
                    "X/x_user",
                ),
                "a_help",
                (x_user_api.clone(), "a_admin", "*"),
            )
        },
        form(
            format!("{x_user_page}/licenses"),
            &[("sku", "PH-SUITE:BASIC")],
            key(
                "POST /v1/customers/{customerId}/users/{userId}/licenseupdates",
                "X/x_user",
            ),
            "a_help",
            (format!("{x_user_api}/licenses"), "a_admin", "totalCount"),
        ),
        form(
            format!("{x_user_page}/roles"),
            &[("role", "helpdesk_administrator")],
            key(
                "POST /v1/customers/{customerId}/directoryroles/{roleId}/usermembers",
                "X/GA",
            ),
            "x_admin",
            (
                format!("{x_user_api}/directoryroles"),
                "x_admin",
                "totalCount",
            ),
        ),
        form(
            format!("{x_user_page}/delete"),
            &[("confirm", "yes")],
            key(
                "DELETE /v1/customers/{customerId}/users/{userId}",
                "X/x_user",
            ),
            "a_admin",
            (x_user_api.clone(), "a_admin", "state"),
        ),
        form(
            format!("{x_user_page}/restore"),
            &[],
            key(
                "PATCH /v1/customers/{customerId}/users/{userId}",
                "X/x_user",
            ),
            "a_admin",
            (x_user_api.clone(), "a_admin", "state"),
        ),
        form(
            format!("{cadmin}/subscriptions/{sub}"),
            &[("do", "suspend")],
            key(
                "PATCH /v1/customers/{customerId}/subscriptions/{subscriptionId}",
                "X/sub-X",
            ),
            "p_admin",
            (
                format!("/v1/customers/{x}/subscriptions/{sub}"),
                "p_admin",
                "status",
            ),
        ),
        form(
            format!("/portal/support/{}", w.case_xa),
            &[("do", "resolve"), ("note", "Done"), ("confirm", "yes")],
            key("PATCH /v1/servicerequests/{serviceRequestId}", "X->A"),
            "a_admin",
            (
                format!("/v1/servicerequests/{}", w.case_xa),
                "x_admin",
                "status",
            ),
        ),
        form(
            format!("/portal/partnerships/{}/revoke-admin", w.rel_pa),
            &[("confirm", "yes"), ("confirm_name", &p_name)],
            key("PATCH /v1/relationships/{relationshipId}", "P-A"),
            "a_admin",
            (relationship.clone(), "a_admin", "*"),
        ),
        form(
            format!("/portal/users/{}/remove", w.a_user.id),
            &[("confirm", "yes")],
            key("DELETE /v1/users/{userId}", "A.user"),
            "a_admin",
            (user.clone(), "a_admin", "*"),
        ),
        form(
            format!("/portal/customer/grants/{}/revoke", w.grant_x_a),
            &[("confirm", "yes")],
            key("DELETE /v1/customer/grants/{grantId}", "X.A"),
            "x_admin",
            ("/v1/customer/grants".to_string(), "x_admin", "items"),
        ),
        form(
            format!("/portal/partnerships/{}/end", w.rel_pa),
            &[("confirm", "yes"), ("confirm_name", &a_name)],
            key("DELETE /v1/relationships/{relationshipId}", "P-A"),
            "p_admin",
            (relationship.clone(), "p_admin", "state"),
        ),
        form(
            format!("/portal/customer/partners/{}/revoke", w.a.tenant.id),
            &[("confirm", "yes"), ("confirm_name", &a_name)],
            key("DELETE /v1/customer/partners/{partnerId}", "X.A"),
            "x_admin",
            ("/v1/customer/partners".to_string(), "x_admin", "items"),
        ),
    ];
    let state = |(path, reader, field): &(String, &'static str, &'static str)| {
        let (path, token, field) = (path.clone(), w.tokens[reader].clone(), *field);
        let t = &t;
        async move {
            let (status, body) = t.get(&path, &token).await;
            let shown = if field == "*" { &body } else { &body[field] };
            format!("{status} {shown}")
        }
    };
    let send = |f: &PortalForm, who: &'static str| {
        let (cookie, csrf) = sessions[who].clone();
        let mut fields = vec![("csrf", csrf)];
        fields.extend(f.fields.iter().cloned());
        let req = t
            .http
            .post(t.url(&f.path))
            .header("cookie", cookie)
            .form(&fields);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    let mut refused = 0;
    for f in &forms {
        let mut allowed = table[&f.row].clone();
        allowed.extend(f.also.iter().copied());
        let before = state(&f.read).await;
        for actor in sessions.keys() {
            if allowed.contains(actor) {
                continue;
            }
            let status = send(f, actor).await;
            assert!(status < 500, "{actor} {}: {status}", f.path);
            assert_eq!(
                state(&f.read).await,
                before,
                "{actor} changed something with {}",
                f.path
            );
            refused += 1;
        }
        assert!(
            allowed.contains(f.finally),
            "{} may send {}",
            f.finally,
            f.path
        );
        let status = send(f, f.finally).await;
        assert_eq!(
            status, 303,
            "{} {}: a done form redirects",
            f.finally, f.path
        );
        assert_ne!(
            state(&f.read).await,
            before,
            "{}'s {} took effect",
            f.finally,
            f.path
        );
    }
    assert!(
        refused >= forms.len() * 10,
        "most people were refused: {refused}"
    );
}
