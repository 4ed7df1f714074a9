//! The money path: catalog import, price lists, orders (idempotent under a request id,
//! creating subscriptions in the same transaction), subscription changes, renewals and
//! monthly invoices per provider.

use super::audit::{record, record_for_each_into, record_for_each_locked, Change};
use super::customers::authorized;
use super::orders::{LineView, OrderView};
use super::{events, App, Ctx};
use crate::app::store::batch::Batch;
pub use crate::app::store::commerce::InvoiceLine;
use crate::app::store::commerce::{
    self as repo, Availability, OrderLine, OrderRow, Product, Sku, SubscriptionRow,
};
use crate::app::store::identity::TenantRow;
use crate::app::store::{customers, identity as ids, partners, Tx};
use crate::domain::audit::Operation;
use crate::domain::authz::{Action, Resource};
use crate::domain::channel;
use crate::domain::commerce::{
    self as rules, CatalogItemId, OrderStatus, PriceKind, Segment, SubscriptionStatus,
    CANCELLATION_DAYS,
};
use crate::domain::error::{Checks, Code};
use crate::domain::ids::{OrderId, SubscriptionId, TenantId};
use crate::domain::webhook::EventName;
use crate::domain::{Error, Result};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::str::FromStr;

pub use crate::domain::catalog::{
    AvailabilityInput, CatalogFile, CatalogProduct, CatalogSku, SkuInput,
};

/// Validates the whole catalog file, then writes it in one transaction.
pub async fn import_catalog(app: &App, ctx: Option<&Ctx>, file: &CatalogFile) -> Result<usize> {
    if let Some(ctx) = ctx {
        ctx.require(Action::ImportMemberships, Resource::Platform)?;
    }
    crate::domain::catalog::validate(file)?;
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    let mut n = 0;
    for p in &file.products {
        repo::upsert_product(
            &mut tx,
            &Product {
                id: p.id.clone(),
                title: p.title.clone(),
                description: p.description.clone(),
                product_type: p.product_type.clone(),
            },
            now,
        )
        .await?;
        crate::app::store::subscription_links::set_base_product(
            &mut tx,
            &p.id,
            p.add_on_of.as_deref(),
        )
        .await?;
        for s in &p.skus {
            repo::upsert_sku(
                &mut tx,
                &Sku {
                    product_id: p.id.clone(),
                    id: s.sku.id.clone(),
                    title: s.sku.title.clone(),
                    description: s.sku.description.clone(),
                    minimum_quantity: s.sku.minimum_quantity,
                    maximum_quantity: s.sku.maximum_quantity,
                    is_trial: s.sku.is_trial,
                    unit_type: crate::domain::catalog::unit_type(&p.product_type).into(),
                },
            )
            .await?;
            for a in &s.availabilities {
                repo::upsert_availability(
                    &mut tx,
                    &Availability {
                        product_id: p.id.clone(),
                        sku_id: s.sku.id.clone(),
                        id: a.id.clone(),
                        country: a.country.to_ascii_uppercase(),
                        currency: a.currency.clone(),
                        segment: a.segment.clone(),
                        billing_cycle: a.billing_cycle.clone(),
                        term: a.term.clone(),
                        list_price: a.list_price.clone(),
                    },
                )
                .await?;
                n += 1;
            }
        }
    }
    let org = ctx
        .map(|c| c.actor.tenant.to_string())
        .unwrap_or_else(|| "system".into());
    record(
        &mut tx,
        ctx,
        &org,
        Change {
            operation: Operation::ImportCatalog,
            resource_type: "catalog",
            resource_id: format!("{} products", file.products.len()),
            old: None,
            new: Some(serde_json::json!({ "availabilities": n })),
            customer_id: None,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

#[derive(Debug, Clone)]
pub struct LineInput {
    pub catalog_item_id: String,
    pub quantity: i64,
    /// Partner-network id of the reseller of record (provider orders).
    pub partner_id_on_record: Option<String>,
    /// The subscription's name; the SKU's title when none is given.
    pub friendly_name: Option<String>,
}

#[derive(Debug, Clone)]
pub struct OrderInput {
    pub request_id: Option<String>,
    pub lines: Vec<LineInput>,
    /// A reseller ordering itself names the provider that is billed.
    pub provider_id: Option<TenantId>,
}

/// Places an order: validates every line first, then writes the order, its lines and the
/// subscriptions in one transaction. A repeated request id returns the first order.
pub async fn place_order(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    input: OrderInput,
) -> Result<(OrderView, bool)> {
    let (customer, _) = authorized(app, ctx, customer_id, Action::OrderForCustomer).await?;
    // The API layer just found the request id unused: an order placed under it since then
    // is caught by the order's unique key when this one is written.
    if !super::idempotency::found_unused() {
        if let Some(o) = prior_order(app, ctx, input.request_id.as_deref()).await? {
            return Ok((super::orders::placed(app, o).await?, false));
        }
    }
    if super::idempotency::replaying() {
        // The request id's claim says this order was placed; never place it a second time.
        return Err(Error::Conflict {
            code: Code::Conflict,
            message: "the order placed with this MS-RequestId is no longer available".into(),
        });
    }
    // The catalog and the partner rows are read before the transaction: the writer is held
    // for the channel facts and the writes only.
    let priced = price_lines(app, &input).await?;
    let known = KnownPartners::read(app, ctx, &input).await?;
    let mut tx = app.db.begin().await?;
    let mut batch = Batch::new();
    let draft = write_priced(
        app, ctx, &mut tx, &mut batch, &customer, &input, priced, &known,
    )
    .await?;
    // The API's MS-RequestId claim commits with the order (none outside the API).
    let claim = super::idempotency::claim_into(app, &mut batch)?;
    if !placed_unless_taken(batch.commit(tx).await, &input)? {
        let twin = taken_request(app, ctx, &input).await?;
        return Ok((super::orders::placed(app, twin).await?, false));
    }
    if let Some(c) = claim {
        c.taken();
    }
    metrics::counter!("partnerhub_orders_total").increment(1);
    // The view from what was just written: the lines and their subscriptions' names.
    Ok((draft.into_view(), true))
}

/// The outcome of running an order's batch: false when the order's request id turned out
/// to be taken (the transaction is then spoiled: drop it and read what holds the id with
/// `taken_request`).
fn placed_unless_taken(
    ran: std::result::Result<(), sqlx::Error>,
    input: &OrderInput,
) -> Result<bool> {
    match ran {
        Ok(()) => Ok(true),
        Err(e) if crate::app::store::is_unique_violation(&e) && input.request_id.is_some() => {
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// The order placed earlier under this request id by the caller's organisation.
pub(crate) async fn prior_order(
    app: &App,
    ctx: &Ctx,
    request_id: Option<&str>,
) -> Result<Option<OrderRow>> {
    match request_id {
        Some(rid) => Ok(repo::order_by_request(&app.db, ctx.actor.tenant, rid).await?),
        None => Ok(None),
    }
}

/// After an order's write found its request id taken: the order a concurrent twin placed
/// under it, or, when no order holds it, the refusal of an id another request used.
pub(crate) async fn taken_request(app: &App, ctx: &Ctx, input: &OrderInput) -> Result<OrderRow> {
    prior_order(app, ctx, input.request_id.as_deref())
        .await?
        .ok_or_else(super::idempotency::reused)
}

/// An order ready to write: the order, its lines and a subscription per line.
struct Draft {
    order: OrderRow,
    lines: Vec<OrderLine>,
    subs: Vec<SubscriptionRow>,
}

impl Draft {
    /// The order's view as written: its lines with their subscriptions' names.
    fn into_view(self) -> OrderView {
        let lines = self
            .lines
            .into_iter()
            .zip(self.subs)
            .map(|(line, s)| LineView {
                line,
                friendly_name: s.friendly_name,
            })
            .collect();
        OrderView {
            order: self.order,
            lines,
        }
    }
}

/// Inside `tx`: resolves the channel (read in `tx`, so it holds for what is written), prices
/// the lines and writes the order with its lines, subscriptions, history, audit records,
/// event and mail. `None` when the request id is taken by a concurrent twin: the transaction
/// is then spoiled; drop it and read the first order with `taken_request`.
pub(crate) async fn write_order(
    app: &App,
    ctx: &Ctx,
    tx: &mut Tx,
    customer: &TenantRow,
    input: &OrderInput,
) -> Result<Option<OrderRow>> {
    let priced = price_lines(app, input).await?;
    let known = KnownPartners::default();
    let mut batch = Batch::new();
    let draft = write_priced(app, ctx, tx, &mut batch, customer, input, priced, &known).await?;
    Ok(placed_unless_taken(batch.run(tx).await, input)?.then_some(draft.order))
}

/// Partner rows an order needs, read on the read pool before its transaction begins (so the
/// single writer is not held meanwhile): the reseller named as partner of record by a
/// provider, or the ordering reseller itself. Rows are looked up here first and read in the
/// usual way when missing; the channel facts that decide the order are still read in the
/// order's transaction.
#[derive(Default)]
pub(crate) struct KnownPartners {
    /// The partner-of-record text a provider's lines name, and the partner it names.
    named: Option<(String, Option<partners::PartnerRow>)>,
    /// The ordering reseller's own partner row.
    own: Option<partners::PartnerRow>,
    /// The language of the order mail to the contact of the row read here (lower-cased
    /// address, language).
    contact_language: Option<(String, String)>,
}

impl KnownPartners {
    async fn read(app: &App, ctx: &Ctx, input: &OrderInput) -> Result<KnownPartners> {
        let Some(me) = ctx.actor.partner.as_ref() else {
            return Ok(KnownPartners::default());
        };
        let mut known = if me.is_provider && input.provider_id.is_none() {
            let names = input
                .lines
                .iter()
                .map(|l| l.partner_id_on_record.as_deref());
            let Ok(Some(n)) = channel::named_reseller_of_record(names) else {
                return Ok(KnownPartners::default());
            };
            let found = super::partnerships::find_partner(app, n).await?;
            KnownPartners {
                named: Some((n.to_string(), found)),
                ..Default::default()
            }
        } else {
            KnownPartners {
                own: partners::get(&app.db, ctx.actor.tenant).await?,
                ..Default::default()
            }
        };
        let row = known
            .own
            .as_ref()
            .or(known.named.as_ref().and_then(|(_, p)| p.as_ref()));
        if let Some(to) = row.map(|p| p.legal.contact_email.to_ascii_lowercase()) {
            if !to.is_empty() {
                let lang = crate::app::mailing::language_for(app, &to, ORDER_MAIL_LANGUAGE).await?;
                known.contact_language = Some((to, lang));
            }
        }
        Ok(known)
    }

    /// The language of order mail to `to`, from here or read now.
    async fn language(&self, app: &App, to: &str) -> Result<String> {
        match &self.contact_language {
            Some((known, lang)) if known.eq_ignore_ascii_case(to) => Ok(lang.clone()),
            _ => Ok(crate::app::mailing::language_for(app, to, ORDER_MAIL_LANGUAGE).await?),
        }
    }

    /// The partner `named` as partner of record, from here or read now.
    async fn named(&self, app: &App, named: &str) -> Result<Option<partners::PartnerRow>> {
        match &self.named {
            Some((n, found)) if n == named => Ok(found.clone()),
            _ => super::partnerships::find_partner(app, named).await,
        }
    }

    /// The partner row of `tenant`, from here or read now.
    async fn row(&self, app: &App, tenant: TenantId) -> Result<Option<partners::PartnerRow>> {
        let here = self
            .own
            .iter()
            .chain(self.named.as_ref().and_then(|(_, p)| p.as_ref()))
            .find(|p| p.tenant_id == tenant);
        match here {
            Some(p) => Ok(Some(p.clone())),
            None => Ok(partners::get(&app.db, tenant).await?),
        }
    }
}

/// The language of order mail to a contact who is not a user here.
const ORDER_MAIL_LANGUAGE: &str = "en-US";

/// `write_order` with the lines already priced (`price_lines`): reads the channel facts
/// and locks the audit chains in `tx`, and adds every row of the order to `batch`, which
/// the caller runs in `tx` (one trip for the order's writes).
#[allow(clippy::too_many_arguments)]
async fn write_priced(
    app: &App,
    ctx: &Ctx,
    tx: &mut Tx,
    batch: &mut Batch<'_>,
    customer: &TenantRow,
    input: &OrderInput,
    priced: Vec<Priced>,
    known: &KnownPartners,
) -> Result<Draft> {
    // The actor's partner facts were read from the partner row for this request.
    let me = ctx
        .actor
        .partner
        .as_ref()
        .ok_or_else(|| Error::Forbidden("only partners place orders".into()))?;
    let (provider, reseller, heads) =
        billed_and_of_record(app, ctx, tx, me, (customer.id, input), known).await?;
    let reseller_row = match reseller {
        Some(r) => known.row(app, r).await?,
        None => None,
    };
    let mpn = reseller_row.as_ref().map(|p| p.mpn_id.to_string());
    let draft = draft_order(app, ctx, customer, input, priced, (provider, reseller), mpn)?;
    repo::insert_order(batch, &draft.order);
    let now = draft.order.created_at;
    for (l, s) in draft.lines.iter().zip(&draft.subs) {
        repo::insert_line(batch, draft.order.id, l);
        repo::insert_subscription(batch, s);
        repo::record_event(batch, s, now);
    }
    record_order(tx, batch, ctx, customer, &draft, heads).await?;
    let contact = reseller_row
        .map(|p| p.legal.contact_email)
        .filter(|e| !e.is_empty());
    if let Some(to) = contact {
        let lang = known.language(app, &to).await?;
        mail_order(app, batch, &to, &lang, customer, &draft)?;
    }
    Ok(draft)
}

/// One order line checked against the catalog: its item, availability and SKU.
pub(crate) struct Priced {
    item: CatalogItemId,
    availability: crate::app::store::commerce::Availability,
    sku: crate::app::store::commerce::Sku,
}

/// Checks the number of lines and reads their catalog entries (outside any transaction, in
/// one statement for all the lines).
pub(crate) async fn price_lines(app: &App, input: &OrderInput) -> Result<Vec<Priced>> {
    if input.lines.is_empty() || input.lines.len() > rules::MAX_LINES {
        return Err(Error::field("lineItems", "an order has 1 to 50 line items"));
    }
    let items = input
        .lines
        .iter()
        .map(|l| CatalogItemId::parse(&l.catalog_item_id))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let entries = repo::catalog_entries(&app.db, &items).await?;
    items
        .into_iter()
        .map(|item| {
            let (availability, sku) = entries.get(&item).ok_or_else(|| Error::Conflict {
                code: Code::NotFound,
                message: format!("the catalog item {item} does not exist"),
            })?;
            Ok(Priced {
                item,
                availability,
                sku,
            })
        })
        .collect()
}

/// Prices every line (`domain::commerce::price_line`) and builds the rows to write.
fn draft_order(
    app: &App,
    ctx: &Ctx,
    customer: &TenantRow,
    input: &OrderInput,
    priced: Vec<Priced>,
    (provider, reseller): (TenantId, Option<TenantId>),
    mpn: Option<String>,
) -> Result<Draft> {
    let now = app.clock.now_ms();
    let order_id = OrderId::new();
    let (mut lines, mut subs) = (Vec::new(), Vec::new());
    let mut total = rules::OrderTotal::default();
    for (i, (l, p)) in input.lines.iter().zip(priced).enumerate() {
        let Priced {
            item,
            availability: a,
            sku,
        } = p;
        let offer = rules::Offer {
            country: &a.country,
            currency: &a.currency,
            list_price: &a.list_price,
            minimum_quantity: sku.minimum_quantity,
            maximum_quantity: sku.maximum_quantity,
        };
        let price = rules::price_line(&item, offer, &customer.country, l.quantity)?;
        total.add(&a.currency, price, l.quantity)?;
        let days = rules::term_days(&a.term).unwrap_or(30);
        let sub = SubscriptionRow {
            id: SubscriptionId::new(),
            customer: customer.id,
            order_id,
            provider,
            reseller,
            product_id: item.product.clone(),
            sku_id: item.sku.clone(),
            availability_id: item.availability.clone(),
            friendly_name: rules::friendly_name(l.friendly_name.as_deref(), &sku.title),
            quantity: l.quantity,
            unit_price: a.list_price.clone(),
            currency: a.currency.clone(),
            billing_cycle: a.billing_cycle.clone(),
            term: a.term.clone(),
            status: SubscriptionStatus::Active,
            auto_renew: true,
            created_at: now,
            term_start: now,
            term_end: now + days * rules::DAY_MS,
            cancel_until: now + CANCELLATION_DAYS * rules::DAY_MS,
            updated_at: now,
            version: 1,
        };
        lines.push(OrderLine {
            line_number: i as i64,
            catalog_item_id: item.to_string(),
            quantity: l.quantity,
            unit_price: a.list_price.clone(),
            partner_id_on_record: mpn.clone(),
            subscription_id: sub.id,
        });
        subs.push(sub);
    }
    let order = OrderRow {
        id: order_id,
        customer: customer.id,
        placed_by: ctx.actor.tenant,
        provider,
        reseller,
        request_id: input.request_id.clone(),
        status: OrderStatus::Completed,
        total: total.amount(),
        currency: total.currency,
        created_at: now,
    };
    Ok(Draft { order, lines, subs })
}

/// The organisations whose audit logs show an order: its customer, who placed it, the
/// provider billed and the reseller of record.
fn order_orgs(
    customer: TenantId,
    placed_by: TenantId,
    provider: TenantId,
    reseller: Option<TenantId>,
) -> Vec<String> {
    let mut orgs = vec![customer, placed_by, provider];
    orgs.extend(reseller);
    orgs.sort();
    orgs.dedup();
    orgs.iter().map(|x| x.to_string()).collect()
}

/// The order's audit record in the log of every organisation involved, and its event.
/// `heads`: the chains of those organisations when they were locked with the channel's
/// facts; otherwise they are locked now.
async fn record_order(
    tx: &mut Tx,
    batch: &mut Batch<'_>,
    ctx: &Ctx,
    customer: &TenantRow,
    d: &Draft,
    heads: Option<crate::app::store::audit::Heads>,
) -> Result<()> {
    let o = &d.order;
    let logs = order_orgs(customer.id, ctx.actor.tenant, o.provider, o.reseller);
    let lines: Vec<_> = d
        .lines
        .iter()
        .map(|l| serde_json::json!({"catalogItemId": l.catalog_item_id, "quantity": l.quantity, "partnerIdOnRecord": l.partner_id_on_record}))
        .collect();
    let new = serde_json::json!({ "lines": lines, "total": o.total, "currency": o.currency });
    let change = Change {
        operation: Operation::CreateOrder,
        resource_type: "order",
        resource_id: o.id.to_string(),
        old: None,
        new: Some(new),
        customer_id: Some(customer.id.to_string()),
    };
    match heads {
        Some(h) => record_for_each_locked(batch, Some(ctx), &logs, change, o.created_at, h)?,
        None => record_for_each_into(tx, batch, Some(ctx), &logs, change, o.created_at).await?,
    }
    let me = customer.id.to_string();
    let audience: Vec<String> = logs.into_iter().filter(|x| *x != me).collect();
    events::emit_into(
        batch,
        o.created_at,
        EventName::OrderCreated,
        format!("/v1/customers/{}/orders/{}", customer.id, o.id),
        &customer.display_name,
        &audience,
    );
    Ok(())
}

/// Tells the reseller of record what was ordered for its customer, in `lang`.
fn mail_order(
    app: &App,
    batch: &mut Batch<'_>,
    to: &str,
    lang: &str,
    customer: &TenantRow,
    d: &Draft,
) -> Result<()> {
    let mut vars = BTreeMap::new();
    vars.insert("customer", customer.display_name.clone());
    vars.insert("total", format!("{} {}", d.order.total, d.order.currency));
    let lines: Vec<String> = d
        .lines
        .iter()
        .map(|l| format!("{} x {}", l.quantity, l.catalog_item_id))
        .collect();
    vars.insert("lines", lines.join(", "));
    vars.insert(
        "url",
        format!(
            "{}/portal/customers/{}",
            app.config.public_url(),
            customer.id
        ),
    );
    crate::app::mailing::queue(
        batch,
        d.order.created_at,
        to,
        crate::mail::Template::OrderCreated,
        lang,
        &vars,
    )?;
    Ok(())
}

/// Who is billed (the provider) and who is the reseller of record, under the channel rule of
/// `domain::channel`: a provider orders for a reseller it partners with that serves the
/// customer; a reseller orders itself through one of its active providers. The facts are
/// read in `tx`, the transaction that writes the order. When the reseller is known before
/// they are read (named, or the one ordering), the audit chains of every organisation the
/// order involves are locked in the same trip and returned.
async fn billed_and_of_record(
    app: &App,
    ctx: &Ctx,
    tx: &mut Tx,
    me: &crate::domain::authz::PartnerFacts,
    (customer, input): (TenantId, &OrderInput),
    known: &KnownPartners,
) -> Result<(
    TenantId,
    Option<TenantId>,
    Option<crate::app::store::audit::Heads>,
)> {
    let placed_by = ctx.actor.tenant;
    if me.is_provider && input.provider_id.is_none() {
        let named = channel::named_reseller_of_record(
            input
                .lines
                .iter()
                .map(|l| l.partner_id_on_record.as_deref()),
        )?;
        return match named {
            Some(n) => {
                let p = known
                    .named(app, n)
                    .await?
                    .ok_or_else(|| not_a_reseller(n))?;
                let (facts, heads) =
                    facts_and_chains(tx, (placed_by, customer, p.tenant_id), placed_by).await?;
                let reseller = channel::check_reseller_of_record(n, facts)?;
                Ok((placed_by, Some(reseller), Some(heads)))
            }
            None => {
                let qualified = customers::qualified_resellers_in(tx, placed_by, customer).await?;
                let reseller = channel::only_reseller_of_record(&qualified)?;
                Ok((placed_by, Some(reseller), None))
            }
        };
    }
    let provider = input.provider_id.ok_or_else(|| {
        Error::field(
            "providerId",
            "name the indirect provider this order is placed through",
        )
    })?;
    let (mine, heads) = facts_and_chains(tx, (provider, customer, placed_by), placed_by).await?;
    if !mine.partnered_with_provider {
        return Err(Error::field(
            "providerId",
            "this provider is not one of your active indirect providers",
        ));
    }
    let me_named = placed_by.to_string();
    let reseller = channel::check_reseller_of_record(&me_named, mine)?;
    Ok((provider, Some(reseller), Some(heads)))
}

/// In one trip on SQLite: the channel's facts about `reseller` as reseller of record of an
/// order billed to `provider` for `customer`, and the locked audit chains of every
/// organisation that order involves.
async fn facts_and_chains(
    tx: &mut Tx,
    (provider, customer, reseller): (TenantId, TenantId, TenantId),
    placed_by: TenantId,
) -> Result<(channel::RecordFacts, crate::app::store::audit::Heads)> {
    let orgs = order_orgs(customer, placed_by, provider, Some(reseller));
    let reads = [
        customers::record_facts_read(provider, customer, reseller),
        super::audit::lock_chains(&orgs),
    ];
    let mut rows = Batch::new().fetch(tx, &reads).await?.into_iter();
    let (Some(facts), Some(heads)) = (rows.next(), rows.next()) else {
        return Err(Error::Internal(anyhow::anyhow!("a trip lost a read")));
    };
    Ok((
        customers::record_facts_from(&facts, reseller)?,
        super::audit::locked_chains(&heads)?,
    ))
}

fn not_a_reseller(named: &str) -> Error {
    Error::Conflict {
        code: Code::InvalidPartnerOfRecord,
        message: format!(
            "{named} is not the tenant id or partner-network id of an indirect reseller"
        ),
    }
}

/// Finds the reseller named as reseller of record and checks it, reading its facts in `tx`.
pub(crate) async fn record_facts(
    app: &App,
    tx: &mut Tx,
    provider: TenantId,
    customer: TenantId,
    named: &str,
) -> Result<TenantId> {
    let found = super::partnerships::find_partner(app, named).await?;
    checked_record(tx, provider, customer, named, found).await
}

/// [`record_facts`] with the named partner already found (or not).
async fn checked_record(
    tx: &mut Tx,
    provider: TenantId,
    customer: TenantId,
    named: &str,
    found: Option<partners::PartnerRow>,
) -> Result<TenantId> {
    let p = found.ok_or_else(|| not_a_reseller(named))?;
    let facts = customers::record_facts(tx, provider, customer, p.tenant_id).await?;
    channel::check_reseller_of_record(named, facts)
}

#[derive(Debug, Clone, Default)]
pub struct SubscriptionPatch {
    pub quantity: Option<i64>,
    pub status: Option<String>,
    pub auto_renew: Option<bool>,
}

/// Changes quantity, status or auto-renewal. `expected_version` is the ETag read.
pub async fn update_subscription(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    sub_id: SubscriptionId,
    patch: SubscriptionPatch,
    expected_version: Option<i64>,
) -> Result<SubscriptionRow> {
    let (customer, _) = authorized(app, ctx, customer_id, Action::OrderForCustomer).await?;
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    let mut s = repo::subscription_for_update(&mut tx, customer.id, sub_id)
        .await?
        .ok_or(Error::NotFound("subscription"))?;
    if expected_version.is_some_and(|v| v != s.version) {
        return Err(Error::PreconditionFailed);
    }
    let version = s.version;
    let old = serde_json::json!({ "quantity": s.quantity, "status": s.status, "autoRenewEnabled": s.auto_renew });
    let current = s.status;
    if let Some(q) = patch.quantity {
        if q != s.quantity {
            if current != SubscriptionStatus::Active {
                return Err(Error::Conflict {
                    code: Code::InvalidSubscriptionChange,
                    message: format!(
                        "the quantity of a {} subscription cannot change",
                        current.as_str()
                    ),
                });
            }
            let sku = repo::sku(&app.db, &s.product_id, &s.sku_id)
                .await?
                .ok_or(Error::NotFound("sku"))?;
            if !(sku.minimum_quantity..=sku.maximum_quantity).contains(&q) {
                return Err(Error::Conflict {
                    code: Code::QuantityOutOfRange,
                    message: format!(
                        "the quantity must be between {} and {}",
                        sku.minimum_quantity, sku.maximum_quantity
                    ),
                });
            }
            s.quantity = q;
        }
    }
    if let Some(st) = &patch.status {
        let to = SubscriptionStatus::parse(st)
            .ok_or_else(|| Error::field("status", "active, suspended or deleted"))?;
        s.status = rules::change_status(current, to, now, s.cancel_until)?;
    }
    if let Some(a) = patch.auto_renew {
        s.auto_renew = a;
    }
    s.updated_at = now;
    if !repo::save_subscription(&mut tx, &s, version).await? {
        return Err(Error::PreconditionFailed);
    }
    // Seats never drop below what is assigned: checked inside the same transaction, for a
    // lower quantity (suspension keeps assignments; the licenses just stop working), holding
    // the customer's seats so no licence update counts them meanwhile.
    let lowered = patch
        .quantity
        .is_some_and(|q| q < old["quantity"].as_i64().unwrap_or(0));
    let seats = match lowered {
        true => {
            super::licenses::hold_seats(&mut tx, customer.id).await?;
            super::licenses::seats(tx.conn().await?, customer.id).await?
        }
        false => Vec::new(),
    };
    if let Some(k) = seats
        .iter()
        .find(|k| k.product_id == s.product_id && k.sku == s.sku_id)
    {
        if k.consumed_units > k.active_units {
            return Err(Error::Conflict {
                code: Code::QuantityCannotDecrease,
                message: format!(
                    "{} licenses are assigned; remove assignments before lowering seats to {}",
                    k.consumed_units, k.active_units
                ),
            });
        }
    }
    let mut batch = Batch::new();
    repo::record_event(&mut batch, &s, now);
    let mut orgs = vec![customer.id, ctx.actor.tenant, s.provider];
    orgs.extend(s.reseller);
    orgs.sort();
    orgs.dedup();
    let logs: Vec<String> = orgs.iter().map(|x| x.to_string()).collect();
    record_for_each_into(&mut tx, &mut batch, Some(ctx), &logs, Change {
        operation: Operation::UpdateSubscription,
        resource_type: "subscription",
        resource_id: s.id.to_string(),
        old: Some(old),
        new: Some(serde_json::json!({ "quantity": s.quantity, "status": s.status, "autoRenewEnabled": s.auto_renew })),
        customer_id: Some(customer.id.to_string()),
    }, now).await?;
    let audience: Vec<String> = orgs
        .iter()
        .filter(|o| **o != customer.id)
        .map(|o| o.to_string())
        .collect();
    events::emit_into(
        &mut batch,
        now,
        EventName::SubscriptionUpdated,
        format!("/v1/customers/{}/subscriptions/{}", customer.id, s.id),
        &s.friendly_name,
        &audience,
    );
    batch.commit(tx).await?;
    s.version = version + 1;
    Ok(s)
}

/// Renews auto-renewing subscriptions at term end and expires the others. Returns
/// (renewed, expired).
pub async fn run_renewals(app: &App) -> Result<(usize, usize)> {
    let now = app.clock.now_ms();
    let (mut renewed, mut expired) = (0, 0);
    for mut s in repo::subscriptions_due(&app.db, now).await? {
        let version = s.version;
        let mut tx = app.db.begin().await?;
        if s.auto_renew && s.status == SubscriptionStatus::Active {
            let days = rules::term_days(&s.term).unwrap_or(30);
            s.term_start = s.term_end;
            s.term_end += days * rules::DAY_MS;
            s.cancel_until = s.term_start + CANCELLATION_DAYS * rules::DAY_MS;
            renewed += 1;
        } else {
            s.status = SubscriptionStatus::Expired;
            expired += 1;
        }
        s.updated_at = now;
        if !repo::save_subscription(&mut tx, &s, version).await? {
            continue;
        }
        let at = if s.status == SubscriptionStatus::Expired {
            s.term_end
        } else {
            s.term_start
        };
        let mut batch = Batch::new();
        repo::record_event(&mut batch, &s, at.min(now));
        events::emit_into(
            &mut batch,
            now,
            EventName::SubscriptionUpdated,
            format!("/v1/customers/{}/subscriptions/{}", s.customer, s.id),
            &s.friendly_name,
            &[s.provider.to_string()],
        );
        batch.commit(tx).await?;
    }
    Ok((renewed, expired))
}

/// Invoices of one closed month for every provider with charges: one per provider and
/// currency, lines naming customer, reseller of record, SKU, quantity, price and span.
pub async fn generate_invoices(app: &App, month_start: i64) -> Result<usize> {
    let (start, end) = rules::month_of(month_start);
    if end > app.clock.now_ms() {
        return Err(Error::field(
            "period",
            "a month can be invoiced once it has ended",
        ));
    }
    let providers: Vec<String> =
        sqlx::query("SELECT DISTINCT provider_tenant_id FROM subscriptions")
            .fetch_all(&app.db.read)
            .await?
            .iter()
            .map(|r| sqlx::Row::get::<String, _>(r, 0))
            .collect();
    let mut made = 0;
    for p in providers {
        let provider: TenantId = p.parse().map_err(|_| Error::NotFound("provider"))?;
        let mut by_currency: BTreeMap<String, Vec<repo::InvoiceLine>> = BTreeMap::new();
        for s in repo::subscriptions_of_provider(&app.db, provider).await? {
            let history = segments(&app.db, s.id).await?;
            let customer_name = ids::tenant(&app.db, s.customer)
                .await?
                .map(|t| t.display_name)
                .unwrap_or_default();
            let mpn = match s.reseller {
                Some(r) => partners::get(&app.db, r)
                    .await?
                    .map(|x| x.mpn_id.to_string()),
                None => None,
            };
            for c in rules::charges(&history, start, end) {
                let lines = by_currency.entry(s.currency.clone()).or_default();
                lines.push(repo::InvoiceLine {
                    line_number: lines.len() as i64,
                    customer: s.customer,
                    customer_name: customer_name.clone(),
                    reseller: s.reseller,
                    reseller_mpn_id: mpn.clone(),
                    subscription_id: s.id.to_string(),
                    product_id: s.product_id.clone(),
                    sku_id: s.sku_id.clone(),
                    quantity: c.quantity,
                    unit_price: c.unit_price.to_string(),
                    charge_start: c.start,
                    charge_end: c.end,
                    amount: c.amount.to_string(),
                });
            }
        }
        for (currency, lines) in by_currency {
            let total: Decimal = lines
                .iter()
                .map(|l| Decimal::from_str(&l.amount).unwrap_or_default())
                .sum();
            let inv = repo::InvoiceRow {
                id: uuid::Uuid::now_v7().to_string(),
                provider,
                period_start: start,
                period_end: end,
                currency,
                total: total.to_string(),
                created_at: app.clock.now_ms(),
            };
            let mut tx = app.db.begin().await?;
            if repo::insert_invoice(&mut tx, &inv, &lines).await? {
                events::emit(
                    &mut tx,
                    app.clock.now_ms(),
                    EventName::InvoiceReady,
                    format!("/v1/invoices/{}", inv.id),
                    &inv.id,
                    &[provider.to_string()],
                )
                .await?;
                record(
                    &mut tx,
                    None,
                    &provider.to_string(),
                    Change {
                        operation: Operation::CreateInvoice,
                        resource_type: "invoice",
                        resource_id: inv.id.clone(),
                        old: None,
                        new: Some(
                            serde_json::json!({ "total": inv.total, "currency": inv.currency }),
                        ),
                        customer_id: None,
                    },
                    app.clock.now_ms(),
                )
                .await?;
                made += 1;
            }
            tx.commit().await?;
        }
    }
    Ok(made)
}

/// A subscription's history as charge segments.
pub async fn segments(
    db: &crate::app::store::Db,
    subscription: SubscriptionId,
) -> Result<Vec<Segment>> {
    Ok(repo::history(db, subscription).await?)
}

/// The provider's price to its resellers for an SKU in a country (list price when unset).
pub async fn price_to_reseller(
    app: &App,
    provider: TenantId,
    product: &str,
    sku: &str,
    country: &str,
    list: Decimal,
) -> Result<Decimal> {
    Ok(
        match repo::provider_price(&app.db, provider, product, sku, country).await? {
            Some(price) => price.apply(list),
            None => list,
        },
    )
}

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProviderPriceInput {
    pub product_id: String,
    pub sku_id: String,
    pub country: String,
    /// `markup` (percent on the operator's price) or `fixed`.
    pub kind: String,
    /// Decimal string.
    pub value: String,
}

pub async fn set_provider_prices(
    app: &App,
    ctx: &Ctx,
    prices: &[ProviderPriceInput],
) -> Result<()> {
    ctx.require(Action::ManageListing, Resource::Tenant(ctx.actor.tenant))?;
    let mut c = Checks::new();
    for (i, p) in prices.iter().enumerate() {
        c.check(
            PriceKind::parse(&p.kind).is_some(),
            &format!("prices[{i}].kind"),
            "markup or fixed",
        );
        if rules::parse_price(&format!("prices[{i}].value"), &p.value).is_err() {
            c.check(
                false,
                &format!("prices[{i}].value"),
                "a decimal of zero or more",
            );
        }
        c.check(
            repo::sku(&app.db, &p.product_id, &p.sku_id)
                .await?
                .is_some(),
            &format!("prices[{i}].skuId"),
            "no such SKU in the catalog",
        );
    }
    c.finish()?;
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    for p in prices {
        repo::set_provider_price(
            &mut tx,
            ctx.actor.tenant,
            &p.product_id,
            &p.sku_id,
            &p.country.to_ascii_uppercase(),
            PriceKind::parse(&p.kind).ok_or_else(|| Error::field("kind", "markup or fixed"))?,
            &p.value,
        )
        .await?;
    }
    record(
        &mut tx,
        Some(ctx),
        &ctx.actor.tenant.to_string(),
        Change {
            operation: Operation::UpdatePriceList,
            resource_type: "price_list",
            resource_id: ctx.actor.tenant.to_string(),
            old: None,
            new: Some(serde_json::to_value(prices).unwrap_or_default()),
            customer_id: None,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResellerPriceInput {
    pub product_id: String,
    pub sku_id: String,
    pub country: String,
    /// The reseller's price to its customers, decimal string.
    pub price: String,
}

pub async fn set_reseller_prices(
    app: &App,
    ctx: &Ctx,
    prices: &[ResellerPriceInput],
) -> Result<()> {
    ctx.require(Action::InviteCustomers, Resource::Tenant(ctx.actor.tenant))?;
    let mut c = Checks::new();
    for (i, p) in prices.iter().enumerate() {
        if rules::parse_price(&format!("prices[{i}].price"), &p.price).is_err() {
            c.check(
                false,
                &format!("prices[{i}].price"),
                "a decimal of zero or more",
            );
        }
        c.check(
            repo::sku(&app.db, &p.product_id, &p.sku_id)
                .await?
                .is_some(),
            &format!("prices[{i}].skuId"),
            "no such SKU in the catalog",
        );
    }
    c.finish()?;
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    for p in prices {
        repo::set_reseller_price(
            &mut tx,
            ctx.actor.tenant,
            &p.product_id,
            &p.sku_id,
            &p.country.to_ascii_uppercase(),
            &p.price,
        )
        .await?;
    }
    record(
        &mut tx,
        Some(ctx),
        &ctx.actor.tenant.to_string(),
        Change {
            operation: Operation::UpdateCustomerPrices,
            resource_type: "price_list",
            resource_id: ctx.actor.tenant.to_string(),
            old: None,
            new: Some(serde_json::to_value(prices).unwrap_or_default()),
            customer_id: None,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The resellers the caller (a provider) may name as reseller of record for a customer it
/// may order for: those with an active relationship with the customer and an active
/// partnership with the caller (`domain::channel`).
pub async fn resellers_of_record(app: &App, ctx: &Ctx, customer_id: &str) -> Result<Vec<TenantId>> {
    let (customer, _) = authorized(app, ctx, customer_id, Action::OrderForCustomer).await?;
    let mut conn = app.db.read.acquire().await?;
    Ok(customers::qualified_resellers(&mut conn, ctx.actor.tenant, customer.id).await?)
}

/// One invoice and all its lines (the CSV download), for the provider it bills or the
/// operator; anyone else is told it does not exist.
pub async fn invoice(
    app: &App,
    ctx: &Ctx,
    id: &str,
) -> Result<(
    crate::app::store::commerce::InvoiceRow,
    Vec<crate::app::store::commerce::InvoiceLine>,
)> {
    let invoice = super::invoices::get(app, ctx, id).await?;
    let lines = repo::invoice_lines(&app.db, &invoice.id).await?;
    Ok((invoice, lines))
}

/// A page of the invoices of the caller's organisation (a provider), newest period first
/// after `after` (the portal's list; the API pages through `invoices::page`), and how many
/// there are. Its position is that of `invoices::sort_key`.
pub async fn invoices(
    app: &App,
    ctx: &Ctx,
    after: super::paging::Position<'_>,
    limit: u32,
) -> Result<(Vec<crate::app::store::commerce::InvoiceRow>, i64)> {
    use crate::app::store::commerce_pages as pages;
    ctx.require(Action::ReadInvoices, Resource::Tenant(ctx.actor.tenant))?;
    let after = super::paging::timed(after)?;
    Ok(pages::invoices(&app.db, ctx.actor.tenant, after, limit).await?)
}
