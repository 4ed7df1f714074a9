//! Notification mail: each user picks the events that mail them, at once or in a daily
//! digest. Events reach users of the organisations in the event's audience.

use super::events::Event;
use super::{App, Ctx};
use crate::app::store::batch::Batch;
pub use crate::app::store::notifications::Settings;
use crate::app::store::notifications::{self as repo, DigestItem, Subscriber};
use crate::domain::authz::{Action, Resource};
use crate::domain::webhook::{unknown_events, EVENTS};
use crate::domain::{Error, Result};
use std::collections::BTreeMap;

pub async fn settings(app: &App, ctx: &Ctx) -> Result<Settings> {
    ctx.require(
        Action::ManageOwnNotifications,
        Resource::Tenant(ctx.actor.tenant),
    )?;
    let user = ctx.actor.user_id().ok_or(Error::NotFound("the user"))?;
    Ok(repo::get(&app.db, &user.to_string()).await?)
}

pub async fn save(app: &App, ctx: &Ctx, events: Vec<String>, digest: bool) -> Result<Settings> {
    ctx.require(
        Action::ManageOwnNotifications,
        Resource::Tenant(ctx.actor.tenant),
    )?;
    let user = ctx.actor.user_id().ok_or(Error::NotFound("the user"))?;
    let mut events: Vec<String> = events
        .into_iter()
        .map(|e| e.trim().to_string())
        .filter(|e| e != "test-created")
        .collect();
    events.sort();
    events.dedup();
    let unknown = unknown_events(&events);
    if !unknown.is_empty() {
        return Err(Error::field(
            "events",
            format!("unknown events: {}", unknown.join(", ")),
        ));
    }
    let s = Settings { events, digest };
    let mut tx = app.db.begin().await?;
    repo::put(&mut tx, &user.to_string(), &s, app.clock.now_ms()).await?;
    tx.commit().await?;
    Ok(s)
}

/// The events a user may choose (the test event only goes to webhooks).
pub fn choosable() -> impl Iterator<Item = &'static str> {
    EVENTS.iter().copied().filter(|e| *e != "test-created")
}

/// Adds to `b` what event `e` sends its audience's users: a mail now, or an item of their
/// digest, as each chose. `subscribers` are the users who chose notifications, with their
/// organisation (`store::notifications::subscribers_of_all` over the audience).
pub fn fan_out(
    app: &App,
    b: &mut Batch<'_>,
    subscribers: &[(String, Subscriber)],
    e: &Event,
    now: i64,
) -> Result<(), sqlx::Error> {
    let base = app.config.public_url();
    for tenant in &e.audience {
        let theirs = subscribers
            .iter()
            .filter(|(t, _)| t == tenant)
            .map(|(_, s)| s);
        for s in theirs {
            if !s.settings.events.iter().any(|x| x == &e.event_name) {
                continue;
            }
            if s.settings.digest {
                repo::add_digest_item(
                    b,
                    &DigestItem {
                        user_id: &s.user_id,
                        event_id: &e.event_id,
                        event_name: &e.event_name,
                        resource: &e.resource_name,
                        occurred_at: now,
                    },
                );
            } else {
                let mut vars = BTreeMap::new();
                vars.insert("name", s.display_name.clone());
                vars.insert("event", e.event_name.clone());
                vars.insert("resource", e.resource_name.clone());
                vars.insert("url", format!("{base}/portal/notifications"));
                vars.insert("when", e.resource_change_utc_date.clone());
                crate::app::mailing::queue(
                    b,
                    now,
                    &s.upn,
                    crate::mail::Template::Notification,
                    &s.language,
                    &vars,
                )?;
            }
        }
    }
    Ok(())
}

/// Sends each due digest: one mail listing what happened since the last one.
pub async fn send_digests(app: &App) -> anyhow::Result<usize> {
    let now = app.clock.now_ms();
    let base = app.config.public_url();
    let mut sent = 0;
    for user in repo::due_digests(&app.db, now).await? {
        let Some(u) = crate::app::store::identity::user(&app.db, user.parse()?).await? else {
            continue;
        };
        let mut tx = app.db.begin().await?;
        let items = repo::take_digest(&mut tx, &user, now).await?;
        if items.is_empty() {
            continue;
        }
        let lines: Vec<String> = items
            .iter()
            .map(|(name, resource, at)| {
                format!(
                    "- {} {name}: {resource}",
                    crate::clock::from_ms(*at).format("%Y-%m-%d %H:%M")
                )
            })
            .collect();
        let mut vars = BTreeMap::new();
        vars.insert("name", u.display_name.clone());
        vars.insert("count", items.len().to_string());
        vars.insert("items", lines.join("\n"));
        vars.insert("url", format!("{base}/portal/notifications"));
        crate::app::mailing::enqueue(
            &mut tx,
            now,
            &u.upn,
            crate::mail::Template::NotificationDigest,
            &u.language,
            &vars,
        )
        .await?;
        tx.commit().await?;
        sent += 1;
    }
    Ok(sent)
}
