//! The data key that seals what the platform must read back later (webhook signing secrets,
//! responses kept for `MS-RequestId` replays) with AES-256-GCM.
//! The key comes from `--data-key` when the operator keeps it outside the database, else from
//! the `data_keys` table (created on first start, like the token signing key).

use crate::app::store::Db;
use crate::clock::Clock;
use anyhow::Context;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use sqlx::Row;

pub struct Vault {
    key: [u8; 32],
}

impl Vault {
    pub fn from_bytes(bytes: &[u8]) -> anyhow::Result<Vault> {
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| anyhow::anyhow!("the data key is 32 bytes"))?;
        Ok(Vault { key })
    }

    pub async fn load_or_create(
        db: &Db,
        clock: &Clock,
        external: Option<&str>,
    ) -> anyhow::Result<Vault> {
        if let Some(text) = external {
            let bytes = B64
                .decode(text.trim())
                .context("--data-key is 32 bytes in base64")?;
            return Vault::from_bytes(&bytes);
        }
        let fresh = crate::crypto::random_bytes(32);
        // Every node races to insert the same id; the first one wins and all read it back.
        sqlx::query(
            "INSERT INTO data_keys (id, key_bytes, created_at) VALUES ('primary', $1, $2) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(fresh)
        .bind(clock.now_ms())
        .execute(&db.write)
        .await?;
        let row = sqlx::query("SELECT key_bytes FROM data_keys WHERE id = 'primary'")
            .fetch_one(&db.write)
            .await?;
        let bytes: Vec<u8> = row.get("key_bytes");
        Vault::from_bytes(&bytes)
    }

    /// Seals with [`crate::crypto::seal`]. `context` binds the value to where it is stored,
    /// so a sealed value copied to another row does not open.
    pub fn seal(&self, context: &str, plain: &[u8]) -> Vec<u8> {
        crate::crypto::seal(&self.key, context.as_bytes(), plain)
    }

    pub fn open(&self, context: &str, sealed: &[u8]) -> Option<Vec<u8>> {
        crate::crypto::open(&self.key, context.as_bytes(), sealed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_context() {
        let v = Vault::from_bytes(&[7u8; 32]).unwrap();
        let s = v.seal("webhook:a", b"top secret");
        assert!(!s.windows(10).any(|w| w == b"top secret"));
        assert_eq!(v.open("webhook:a", &s).as_deref(), Some(&b"top secret"[..]));
        assert_eq!(v.open("webhook:b", &s), None);
        let other = Vault::from_bytes(&[8u8; 32]).unwrap();
        assert_eq!(other.open("webhook:a", &s), None);
        let mut tampered = s.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(v.open("webhook:a", &tampered), None);
        // Two seals of one value differ (fresh nonces).
        assert_ne!(v.seal("webhook:a", b"x"), v.seal("webhook:a", b"x"));
    }
}
