//! Token signing keys: Ed25519, kept in the database so every node signs and verifies alike.

use crate::app::store::{tokens, Db};
use crate::clock::Clock;
use anyhow::Context;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use jsonwebtoken::{DecodingKey, EncodingKey};
use ring::signature::KeyPair;

pub struct Keys {
    pub kid: String,
    pub encoding: EncodingKey,
    /// Every published key, for verification (the newest first).
    pub decoding: Vec<(String, DecodingKey)>,
    /// Public keys as JWKs for `/.well-known/jwks.json`.
    pub jwks: serde_json::Value,
    /// Secret for continuation-token MACs, derived from the signing key.
    pub paging_secret: Vec<u8>,
    /// The RS256 key for id tokens, loaded on first use (see `app::oidc::rsa_key`).
    pub rsa: tokio::sync::OnceCell<crate::app::oidc::RsaKey>,
}

impl Keys {
    pub async fn load_or_create(db: &Db, clock: &Clock) -> anyhow::Result<Keys> {
        let mut stored = tokens::signing_keys(db).await?;
        if stored.is_empty() {
            let rng = ring::rand::SystemRandom::new();
            let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng)
                .map_err(|_| anyhow::anyhow!("key generation failed"))?;
            let pair = ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
                .map_err(|_| anyhow::anyhow!("key parse failed"))?;
            let key = tokens::SigningKey {
                kid: uuid::Uuid::now_v7().simple().to_string(),
                private_der: pkcs8.as_ref().to_vec(),
                public_raw: pair.public_key().as_ref().to_vec(),
            };
            let mut tx = db.begin().await?;
            tokens::insert_signing_key_if_none(&mut tx, &key, clock.now_ms()).await?;
            tx.commit().await?;
            stored = tokens::signing_keys(db).await?;
        }
        let newest = stored.first().context("a signing key exists")?;
        let mut jwks = Vec::new();
        let mut decoding = Vec::new();
        for k in &stored {
            let x = B64.encode(&k.public_raw);
            decoding.push((k.kid.clone(), DecodingKey::from_ed_components(&x)?));
            jwks.push(serde_json::json!({
                "kty": "OKP", "crv": "Ed25519", "x": x, "kid": k.kid, "alg": "EdDSA", "use": "sig"
            }));
        }
        let paging_secret =
            crate::crypto::sha256_hex(&[b"paging:".as_slice(), &newest.private_der].concat())
                .into_bytes();
        Ok(Keys {
            kid: newest.kid.clone(),
            encoding: EncodingKey::from_ed_der(&newest.private_der),
            decoding,
            jwks: serde_json::json!({ "keys": jwks }),
            paging_secret,
            rsa: tokio::sync::OnceCell::new(),
        })
    }
}
