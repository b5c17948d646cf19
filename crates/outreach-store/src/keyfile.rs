//! The key file: the store's random data key, wrapped by a key derived from
//! the worker's passphrase.
//!
//! The database is encrypted with a random 256-bit data key. That key is
//! stored only wrapped (XChaCha20-Poly1305) under a key-encryption key
//! derived from the passphrase with Argon2id and a per-store salt. Changing
//! the passphrase rewraps the data key and never rewrites the database; a
//! wrong passphrase fails authentication before the database is touched.

use crate::error::{Result, StoreError};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, OsRng, rand_core::RngCore};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Write;
use std::path::Path;
use zeroize::Zeroizing;

/// Argon2id memory cost in KiB (19 MiB, the OWASP minimum for Argon2id).
pub const ARGON2_MEMORY_KIB: u32 = 19 * 1024;
/// Argon2id passes.
pub const ARGON2_PASSES: u32 = 2;
/// Shortest passphrase accepted for a new store or a change.
pub const MIN_PASSPHRASE_CHARS: usize = 10;

/// Associated data binding the wrapped key to this file format.
const AAD: &[u8] = b"outreach-keyfile-v1";

/// The on-disk form of the key file (JSON). Holds nothing secret in clear.
#[derive(Debug, Serialize, Deserialize)]
struct KeyFileV1 {
    format: u32,
    kdf: String,
    memory_kib: u32,
    passes: u32,
    lanes: u32,
    salt: String,
    nonce: String,
    wrapped_key: String,
}

/// A 256-bit data key, wiped from memory when dropped.
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(key.as_mut());
        Self(key)
    }

    /// The SQLCipher `PRAGMA key` value for a raw key: `x'HEX'`.
    pub fn sqlcipher_pragma_value(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("x'{}'", hex::encode_upper(self.0.as_ref())))
    }
}

fn derive_kek(passphrase: &str, salt: &[u8], memory_kib: u32, passes: u32, lanes: u32) -> Result<Zeroizing<[u8; 32]>> {
    let params = Params::new(memory_kib, passes, lanes, Some(32)).map_err(|e| StoreError::Unreadable {
        path: Default::default(),
        reason: format!("key file parameters: {e}"),
    })?;
    let mut kek = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, kek.as_mut())
        .map_err(|e| StoreError::Unreadable { path: Default::default(), reason: format!("key derivation: {e}") })?;
    Ok(kek)
}

/// Checks a new passphrase is long enough to protect personal data.
pub fn check_strength(passphrase: &str) -> Result<()> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(StoreError::WeakPassphrase { min: MIN_PASSPHRASE_CHARS });
    }
    Ok(())
}

/// Wraps `key` under `passphrase` and writes the key file atomically
/// (temporary file, fsync, rename, fsync of the folder), so a crash leaves
/// either the old file or the new one, never a torn one.
pub fn write(path: &Path, passphrase: &str, key: &DataKey) -> Result<()> {
    let mut salt = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    let mut nonce = [0u8; 24];
    OsRng.fill_bytes(&mut nonce);
    let kek = derive_kek(passphrase, &salt, ARGON2_MEMORY_KIB, ARGON2_PASSES, 1)?;
    let cipher = XChaCha20Poly1305::new(kek.as_ref().into());
    let wrapped = cipher
        .encrypt(XNonce::from_slice(&nonce), chacha20poly1305::aead::Payload { msg: key.0.as_ref(), aad: AAD })
        .map_err(|_| StoreError::Unreadable { path: path.to_path_buf(), reason: "could not wrap the key".into() })?;
    let file = KeyFileV1 {
        format: 1,
        kdf: "argon2id".into(),
        memory_kib: ARGON2_MEMORY_KIB,
        passes: ARGON2_PASSES,
        lanes: 1,
        salt: B64.encode(salt),
        nonce: B64.encode(nonce),
        wrapped_key: B64.encode(wrapped),
    };
    let text = serde_json::to_vec_pretty(&file).expect("key file serialises");
    let tmp = path.with_extension("tmp");
    let io = |action, source| StoreError::Io { action, path: path.to_path_buf(), source };
    {
        let mut f = fs::File::create(&tmp).map_err(|e| io("creating", e))?;
        f.write_all(&text).map_err(|e| io("writing", e))?;
        f.sync_all().map_err(|e| io("syncing", e))?;
    }
    fs::rename(&tmp, path).map_err(|e| io("replacing", e))?;
    if let Some(dir) = path.parent() {
        fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io("syncing folder of", e))?;
    }
    Ok(())
}

/// Reads the key file and unwraps the data key with `passphrase`.
pub fn read(path: &Path, passphrase: &str) -> Result<DataKey> {
    let unreadable = |reason: String| StoreError::Unreadable { path: path.to_path_buf(), reason };
    let text = fs::read(path).map_err(|e| StoreError::Io { action: "reading", path: path.to_path_buf(), source: e })?;
    let file: KeyFileV1 = serde_json::from_slice(&text).map_err(|e| unreadable(format!("key file: {e}")))?;
    if file.format != 1 || file.kdf != "argon2id" {
        return Err(unreadable(format!("key file format {} ({}) is not supported", file.format, file.kdf)));
    }
    let decode = |field: &str, value: &str| B64.decode(value).map_err(|e| unreadable(format!("key file {field}: {e}")));
    let salt = decode("salt", &file.salt)?;
    let nonce = decode("nonce", &file.nonce)?;
    let wrapped = decode("wrapped_key", &file.wrapped_key)?;
    if nonce.len() != 24 {
        return Err(unreadable("key file nonce has the wrong length".into()));
    }
    let kek = derive_kek(passphrase, &salt, file.memory_kib, file.passes, file.lanes)?;
    let cipher = XChaCha20Poly1305::new(kek.as_ref().into());
    let plain = Zeroizing::new(
        cipher
            .decrypt(XNonce::from_slice(&nonce), chacha20poly1305::aead::Payload { msg: &wrapped, aad: AAD })
            .map_err(|_| StoreError::WrongPassphrase)?,
    );
    let key: [u8; 32] =
        plain.as_slice().try_into().map_err(|_| unreadable("wrapped key has the wrong length".into()))?;
    Ok(DataKey(Zeroizing::new(key)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_and_unwraps_and_refuses_a_wrong_passphrase() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.json");
        let key = DataKey::generate();
        write(&path, "correct horse battery", &key).unwrap();
        let back = read(&path, "correct horse battery").unwrap();
        assert_eq!(back.0.as_ref(), key.0.as_ref());
        assert!(matches!(read(&path, "wrong horse battery"), Err(StoreError::WrongPassphrase)));
        let text = fs::read_to_string(&path).unwrap();
        assert!(!text.contains(&hex::encode(key.0.as_ref())));
        assert!(text.contains("argon2id") && text.contains("19456"));
    }

    #[test]
    fn weak_passphrases_are_refused() {
        assert!(check_strength("short").is_err());
        check_strength("long enough phrase").unwrap();
    }
}
