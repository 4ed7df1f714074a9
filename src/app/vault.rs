//! Seals secrets the platform must read back later (webhook signing secrets) with AES-256-GCM.
//! The key comes from `--data-key` when the operator keeps it outside the database, else from
//! the `data_keys` table (created on first start, like the token signing key).

use crate::clock::Clock;
use crate::store::Db;
use anyhow::Context;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use sqlx::Row;

pub struct Vault {
    key: LessSafeKey,
}

impl Vault {
    pub fn from_bytes(bytes: &[u8]) -> anyhow::Result<Vault> {
        let unbound = UnboundKey::new(&AES_256_GCM, bytes)
            .map_err(|_| anyhow::anyhow!("the data key is 32 bytes"))?;
        Ok(Vault {
            key: LessSafeKey::new(unbound),
        })
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
        let mut fresh = [0u8; 32];
        SystemRandom::new()
            .fill(&mut fresh)
            .map_err(|_| anyhow::anyhow!("no randomness"))?;
        // Every node races to insert the same id; the first one wins and all read it back.
        sqlx::query(
            "INSERT INTO data_keys (id, key_bytes, created_at) VALUES ('primary', $1, $2) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(fresh.to_vec())
        .bind(clock.now_ms())
        .execute(&db.write)
        .await?;
        let row = sqlx::query("SELECT key_bytes FROM data_keys WHERE id = 'primary'")
            .fetch_one(&db.write)
            .await?;
        let bytes: Vec<u8> = row.get("key_bytes");
        Vault::from_bytes(&bytes)
    }

    /// `nonce || ciphertext || tag`. `context` binds the sealed value to where it is stored,
    /// so a sealed secret copied to another row does not open.
    pub fn seal(&self, context: &str, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .expect("system randomness");
        let mut buf = plain.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut buf,
            )
            .expect("sealing cannot fail for in-memory buffers");
        [nonce.as_slice(), &buf].concat()
    }

    pub fn open(&self, context: &str, sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buf = body.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut buf)
            .ok()?;
        Some(plain.to_vec())
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
