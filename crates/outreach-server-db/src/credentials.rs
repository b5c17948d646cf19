//! Passwords and device tokens: only hashes are ever stored.
//!
//! Passwords are hashed with Argon2id into PHC strings (salt and parameters
//! travel inside the string, so parameters can be raised later). Device
//! tokens are 256 random bits; the server keeps their SHA-256, which is
//! enough for a secret with that much entropy and lets a token be looked up
//! by its hash.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::OnceLock;
use thiserror::Error;

/// The shortest password accepted for a new account.
pub const MIN_PASSWORD_LEN: usize = 10;

/// A password or token could not be made.
#[derive(Debug, Error)]
pub enum CredentialError {
    /// The password is too short.
    #[error("password too short: use at least {MIN_PASSWORD_LEN} characters (a few unrelated words work well)")]
    TooShort,
    /// The operating system gave no randomness, or hashing failed.
    #[error("could not make a credential: {0}")]
    Crypto(String),
}

/// Hashes `password` with Argon2id and a random salt into a PHC string.
/// CPU-heavy (tens of milliseconds): call it off the async runtime.
pub fn hash_password(password: &str) -> Result<String, CredentialError> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(CredentialError::TooShort);
    }
    let hash =
        Argon2::default().hash_password(password.as_bytes()).map_err(|e| CredentialError::Crypto(e.to_string()))?;
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string `phc`. A malformed hash never
/// matches. CPU-heavy: call it off the async runtime.
pub fn verify_password(password: &str, phc: &str) -> bool {
    Argon2::default().verify_password(password.as_bytes(), phc).is_ok()
}

/// Spends the same work as [`verify_password`] and always fails: used for
/// an unknown user name, so its answer takes as long as a wrong password.
pub fn verify_dummy(password: &str) -> bool {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    if let Some(phc) = DUMMY.get_or_init(|| hash_password("not a real password, never matches").ok()) {
        let _ = verify_password(password, phc);
    }
    false
}

/// A freshly minted device token: shown to the device once, stored by the
/// server only as [`DeviceToken::hash`].
pub struct DeviceToken(String);

impl DeviceToken {
    /// 256 bits from the operating system's random source, as hex.
    pub fn generate() -> Result<Self, CredentialError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| CredentialError::Crypto(e.to_string()))?;
        Ok(Self(hex::encode(bytes)))
    }

    /// The token, to send to the device.
    pub fn secret(&self) -> &str {
        &self.0
    }

    /// What the server stores and looks up.
    pub fn hash(&self) -> String {
        hash_token(&self.0)
    }
}

impl fmt::Debug for DeviceToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeviceToken(<redacted>)")
    }
}

/// SHA-256 of a token presented by a device, as lower-case hex.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_only_against_its_own_hash() {
        let phc = hash_password("correct horse battery").expect("hash");
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(verify_password("correct horse battery", &phc));
        assert!(!verify_password("correct horse batterx", &phc));
        assert!(!verify_password("correct horse battery", "not a phc string"));
        assert!(matches!(hash_password("short"), Err(CredentialError::TooShort)));
        assert!(!verify_dummy("anything"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = DeviceToken::generate().expect("token");
        let b = DeviceToken::generate().expect("token");
        assert_ne!(a.secret(), b.secret());
        assert_eq!(a.secret().len(), 64);
        assert_eq!(a.hash(), hash_token(a.secret()));
        assert_ne!(a.hash(), a.secret());
        assert!(!format!("{a:?}").contains(a.secret()));
    }
}
