//! Importing the partner-network registry (membership records with organisation profiles).
//!
//! CSV columns: `mpn_id,org_name,country,username,password,profile_id,profile_name,profile_country`.
//! A membership with several profiles takes one row per profile; the membership columns repeat.

use super::Ctx;
use crate::app::store::memberships::{self, Membership, Profile};
use crate::domain::audit::Operation;
use crate::domain::authz::{Action, Resource};
use crate::domain::error::{Checks, FieldError};
use crate::domain::identity::Country;
use crate::domain::{Error, Result};
use std::collections::BTreeMap;

#[derive(Debug, serde::Deserialize)]
struct CsvRow {
    mpn_id: String,
    org_name: String,
    country: String,
    username: String,
    password: String,
    profile_id: String,
    profile_name: String,
    profile_country: String,
}

pub struct Parsed {
    pub memberships: Vec<(Membership, String, Vec<Profile>)>,
}

/// Parses and validates the whole file before anything is written; errors name the line.
pub fn parse_csv(data: &[u8]) -> Result<Parsed> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(data);
    let mut checks = Checks::new();
    let mut by_id: BTreeMap<i64, (Membership, String, Vec<Profile>)> = BTreeMap::new();
    for (i, rec) in rdr.deserialize::<CsvRow>().enumerate() {
        let line = i + 2;
        let field = |name: &str| format!("line {line}: {name}");
        let row = match rec {
            Ok(r) => r,
            Err(e) => {
                checks.push(FieldError::new(format!("line {line}"), e.to_string()));
                continue;
            }
        };
        let mpn: Option<i64> = row.mpn_id.parse().ok().filter(|n| *n > 0);
        let pid: Option<i64> = row.profile_id.parse().ok().filter(|n| *n > 0);
        checks.check(mpn.is_some(), &field("mpn_id"), "must be a positive number");
        checks.check(
            pid.is_some(),
            &field("profile_id"),
            "must be a positive number",
        );
        checks.check(!row.org_name.is_empty(), &field("org_name"), "is required");
        checks.check(!row.username.is_empty(), &field("username"), "is required");
        checks.check(
            row.password.len() >= 8,
            &field("password"),
            "needs at least 8 characters",
        );
        let country = checks.parse(Country::parse(&field("country"), &row.country));
        let pcountry = checks.parse(Country::parse(
            &field("profile_country"),
            &row.profile_country,
        ));
        let (Some(mpn), Some(pid), Some(country), Some(pcountry)) = (mpn, pid, country, pcountry)
        else {
            continue;
        };
        let entry = by_id.entry(mpn).or_insert_with(|| {
            (
                Membership {
                    mpn_id: mpn,
                    org_name: row.org_name.clone(),
                    country: country.to_string(),
                    username: row.username.to_ascii_lowercase(),
                    password_hash: String::new(),
                },
                row.password.clone(),
                Vec::new(),
            )
        });
        entry.2.push(Profile {
            profile_id: pid,
            mpn_id: mpn,
            name: if row.profile_name.is_empty() {
                row.org_name.clone()
            } else {
                row.profile_name.clone()
            },
            country: pcountry.to_string(),
        });
    }
    checks.finish()?;
    if by_id.is_empty() {
        return Err(Error::field("file", "the file has no membership rows"));
    }
    Ok(Parsed {
        memberships: by_id.into_values().collect(),
    })
}

/// Imports memberships; `ctx` is None when run from the command line by the operator.
pub async fn import(app: &super::App, ctx: Option<&Ctx>, data: &[u8]) -> Result<usize> {
    if let Some(ctx) = ctx {
        ctx.require(Action::ImportMemberships, Resource::Platform)?;
    }
    let parsed = parse_csv(data)?;
    let mut hashed = Vec::new();
    for (mut m, password, profiles) in parsed.memberships {
        m.password_hash = crate::crypto::hash_password_blocking(password).await;
        hashed.push((m, profiles));
    }
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    for (m, profiles) in &hashed {
        memberships::upsert(&mut tx, m, profiles, now).await?;
    }
    let org = ctx
        .map(|c| c.actor.tenant.to_string())
        .unwrap_or_else(|| "system".into());
    super::audit::record(
        &mut tx,
        ctx,
        &org,
        super::audit::Change {
            operation: Operation::ImportMemberships,
            resource_type: "membership",
            resource_id: format!("{} records", hashed.len()),
            old: None,
            new: Some(serde_json::json!({ "count": hashed.len() })),
            customer_id: None,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(hashed.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_profiles_under_their_membership() {
        let csv =
            "mpn_id,org_name,country,username,password,profile_id,profile_name,profile_country\n\
                   100,Contoso,US,contoso-admin,secret-pass,1001,Contoso US,US\n\
                   100,Contoso,US,contoso-admin,secret-pass,1002,Contoso Korea,KR\n";
        let p = parse_csv(csv.as_bytes()).unwrap();
        assert_eq!(p.memberships.len(), 1);
        assert_eq!(p.memberships[0].2.len(), 2);
        assert_eq!(p.memberships[0].2[1].country, "KR");
    }

    #[test]
    fn reports_every_bad_field_with_its_line() {
        let csv =
            "mpn_id,org_name,country,username,password,profile_id,profile_name,profile_country\n\
                   x,Contoso,USA,u,short,1,,US\n";
        let Err(Error::Validation(errs)) = parse_csv(csv.as_bytes()) else {
            panic!("expected validation errors");
        };
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"line 2: mpn_id"));
        assert!(fields.contains(&"line 2: country"));
        assert!(fields.contains(&"line 2: password"));
    }
}
