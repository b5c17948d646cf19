//! The key file: the store's random data key, wrapped by a key derived from
//! the worker's passphrase.
//!
//! The database is encrypted with a random 256-bit data key. That key is
//! stored only wrapped (XChaCha20-Poly1305) under a key-encryption key
//! derived from the passphrase with Argon2id and a per-store salt. Changing
//! the passphrase rewraps the data key and never rewrites the database; a
//! wrong passphrase fails authentication before the database is touched.
//!
//! New key files use [`KdfParams::RECOMMENDED`] (64 MiB, 3 passes); a file
//! written with older parameters still unlocks and is rewritten with the
//! current ones at the next passphrase change. Parameters read from a file
//! are checked against [`KdfParams::check`]'s bounds before any derivation
//! runs, so a damaged or tampered file cannot make an unlock allocate
//! gigabytes or run for minutes. Every copy of the data key, including its
//! hex form and the `PRAGMA key` statement, lives in zeroized memory.

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

/// Argon2id memory cost in KiB of new key files (64 MiB, as RFC 9106
/// recommends where memory is not scarce; a laptop has plenty).
pub const ARGON2_MEMORY_KIB: u32 = 64 * 1024;
/// Argon2id passes of new key files.
pub const ARGON2_PASSES: u32 = 3;
/// Argon2id lanes of new key files.
pub const ARGON2_LANES: u32 = 1;
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

/// Argon2id cost parameters, as written in a key file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over the memory.
    pub passes: u32,
    /// Lanes (parallelism).
    pub lanes: u32,
}

impl KdfParams {
    /// What new key files are written with.
    pub const RECOMMENDED: Self = Self { memory_kib: ARGON2_MEMORY_KIB, passes: ARGON2_PASSES, lanes: ARGON2_LANES };
    /// What key files were written with before 64 MiB became the rule (the
    /// OWASP minimum); such files still unlock.
    pub const LEGACY: Self = Self { memory_kib: 19 * 1024, passes: 2, lanes: 1 };
    /// Least memory accepted from a file (the OWASP minimum, 19 MiB).
    pub const MIN_MEMORY_KIB: u32 = 19 * 1024;
    /// Most memory accepted from a file (1 GiB).
    pub const MAX_MEMORY_KIB: u32 = 1024 * 1024;
    /// Most passes accepted from a file.
    pub const MAX_PASSES: u32 = 10;
    /// Most lanes accepted from a file.
    pub const MAX_LANES: u32 = 8;

    /// Whether these parameters are ones Outreach could have written; if
    /// not, why (the file is damaged or was tampered with).
    pub fn check(&self) -> std::result::Result<(), String> {
        if !(Self::MIN_MEMORY_KIB..=Self::MAX_MEMORY_KIB).contains(&self.memory_kib) {
            return Err(format!(
                "memory {} KiB is outside {}..={} KiB",
                self.memory_kib,
                Self::MIN_MEMORY_KIB,
                Self::MAX_MEMORY_KIB
            ));
        }
        if !(1..=Self::MAX_PASSES).contains(&self.passes) {
            return Err(format!("{} passes is outside 1..={}", self.passes, Self::MAX_PASSES));
        }
        if !(1..=Self::MAX_LANES).contains(&self.lanes) {
            return Err(format!("{} lanes is outside 1..={}", self.lanes, Self::MAX_LANES));
        }
        Ok(())
    }

    /// What a new key file is written with: [`Self::RECOMMENDED`]. Test
    /// builds with the `fast-test-kdf` feature (debug builds only) use
    /// [`Self::LEGACY`] instead, which still unlocks in production, unless
    /// a test asks for the real cost with [`with_production_cost`].
    pub fn for_new_files() -> Self {
        #[cfg(feature = "fast-test-kdf")]
        if !PRODUCTION_COST.with(std::cell::Cell::get) {
            return Self::LEGACY;
        }
        Self::RECOMMENDED
    }
}

#[cfg(all(feature = "fast-test-kdf", not(debug_assertions)))]
compile_error!(
    "the fast-test-kdf feature makes new key files cheaper to attack; it is for tests only and never in a release build"
);

#[cfg(feature = "fast-test-kdf")]
thread_local! {
    static PRODUCTION_COST: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with key files written at the real cost on this thread: for the
/// tests that check the production parameters in a `fast-test-kdf` build.
#[cfg(feature = "fast-test-kdf")]
#[doc(hidden)]
pub fn with_production_cost<T>(f: impl FnOnce() -> T) -> T {
    let before = PRODUCTION_COST.with(|cost| cost.replace(true));
    let result = f();
    PRODUCTION_COST.with(|cost| cost.set(before));
    result
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

    /// The SQLCipher `PRAGMA key` value for a raw key: `x'HEX'`. Written
    /// into memory reserved at its full size, so no reallocation leaves an
    /// unzeroized copy behind.
    pub fn sqlcipher_pragma_value(&self) -> Zeroizing<String> {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let mut value = Zeroizing::new(String::with_capacity(3 + 64));
        value.push_str("x'");
        for byte in self.0.iter() {
            value.push(char::from(HEX[usize::from(byte >> 4)]));
            value.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        value.push('\'');
        value
    }

    /// The whole `PRAGMA key = "x'HEX'";` statement, in zeroized memory
    /// reserved at its full size (a `format!` would leave a plain copy).
    pub fn sqlcipher_key_statement(&self) -> Zeroizing<String> {
        const START: &str = "PRAGMA key = \"";
        const END: &str = "\";";
        let value = self.sqlcipher_pragma_value();
        let mut statement = Zeroizing::new(String::with_capacity(START.len() + value.len() + END.len()));
        statement.push_str(START);
        statement.push_str(&value);
        statement.push_str(END);
        statement
    }
}

fn derive_kek(passphrase: &str, salt: &[u8], kdf: KdfParams) -> Result<Zeroizing<[u8; 32]>> {
    let params = Params::new(kdf.memory_kib, kdf.passes, kdf.lanes, Some(32)).map_err(|e| StoreError::Unreadable {
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

/// Wraps `key` under `passphrase` with [`KdfParams::for_new_files`] and
/// writes the key file atomically (temporary file, fsync, rename, fsync of
/// the folder), so a crash leaves either the old file or the new one,
/// never a torn one.
pub fn write(path: &Path, passphrase: &str, key: &DataKey) -> Result<()> {
    write_with(path, passphrase, key, KdfParams::for_new_files())
}

/// [`write`] with other parameters: for tests that need a key file as an
/// older version wrote it.
#[doc(hidden)]
pub fn write_with(path: &Path, passphrase: &str, key: &DataKey, kdf: KdfParams) -> Result<()> {
    let mut salt = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    let mut nonce = [0u8; 24];
    OsRng.fill_bytes(&mut nonce);
    let kek = derive_kek(passphrase, &salt, kdf)?;
    let cipher = XChaCha20Poly1305::new(kek.as_ref().into());
    let wrapped = cipher
        .encrypt(XNonce::from_slice(&nonce), chacha20poly1305::aead::Payload { msg: key.0.as_ref(), aad: AAD })
        .map_err(|_| StoreError::Unreadable { path: path.to_path_buf(), reason: "could not wrap the key".into() })?;
    let file = KeyFileV1 {
        format: 1,
        kdf: "argon2id".into(),
        memory_kib: kdf.memory_kib,
        passes: kdf.passes,
        lanes: kdf.lanes,
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

/// The Argon2id parameters a key file was written with (e.g. to see
/// whether the next passphrase change will upgrade it).
pub fn params(path: &Path) -> Result<KdfParams> {
    let text = fs::read(path).map_err(|e| StoreError::Io { action: "reading", path: path.to_path_buf(), source: e })?;
    let file: KeyFileV1 = serde_json::from_slice(&text)
        .map_err(|e| StoreError::Unreadable { path: path.to_path_buf(), reason: format!("key file: {e}") })?;
    Ok(KdfParams { memory_kib: file.memory_kib, passes: file.passes, lanes: file.lanes })
}

/// Reads the key file and unwraps the data key with `passphrase`. Cost
/// parameters outside [`KdfParams::check`]'s bounds are refused as
/// [`StoreError::KeyFileTampered`] before any key derivation runs.
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
    let kdf = KdfParams { memory_kib: file.memory_kib, passes: file.passes, lanes: file.lanes };
    kdf.check().map_err(|reason| StoreError::KeyFileTampered { path: path.to_path_buf(), reason })?;
    let kek = derive_kek(passphrase, &salt, kdf)?;
    let cipher = XChaCha20Poly1305::new(kek.as_ref().into());
    let plain = Zeroizing::new(
        cipher
            .decrypt(XNonce::from_slice(&nonce), chacha20poly1305::aead::Payload { msg: &wrapped, aad: AAD })
            .map_err(|_| StoreError::WrongPassphrase)?,
    );
    if plain.len() != 32 {
        return Err(unreadable("wrapped key has the wrong length".into()));
    }
    let mut key = Zeroizing::new([0u8; 32]);
    key.copy_from_slice(&plain);
    Ok(DataKey(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_and_unwraps_and_refuses_a_wrong_passphrase() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.json");
        let key = DataKey::generate();
        production_cost(|| write(&path, "correct horse battery", &key)).unwrap();
        let back = read(&path, "correct horse battery").unwrap();
        assert_eq!(back.0.as_ref(), key.0.as_ref());
        assert!(matches!(read(&path, "wrong horse battery"), Err(StoreError::WrongPassphrase)));
        let text = fs::read_to_string(&path).unwrap();
        assert!(!text.contains(&hex::encode(key.0.as_ref())));
        assert!(text.contains("argon2id") && text.contains("65536"));
    }

    /// Runs `f` writing key files at the production cost, in a build with
    /// the `fast-test-kdf` feature or without.
    fn production_cost<T>(f: impl FnOnce() -> T) -> T {
        #[cfg(feature = "fast-test-kdf")]
        return with_production_cost(f);
        #[cfg(not(feature = "fast-test-kdf"))]
        f()
    }

    /// Rewrites one field of the key file at `path`.
    fn tamper(path: &Path, field: &str, value: u64) {
        let mut file: serde_json::Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
        file[field] = value.into();
        fs::write(path, serde_json::to_vec(&file).unwrap()).unwrap();
    }

    #[test]
    fn tampered_cost_parameters_are_refused_before_any_derivation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.json");
        let key = DataKey::generate();
        for (field, value) in [
            ("memory_kib", 4_000_000),
            ("memory_kib", 1024),
            ("passes", 50),
            ("passes", 0),
            ("lanes", 64),
            ("lanes", 0),
        ] {
            write_with(&path, "correct horse battery", &key, KdfParams::LEGACY).unwrap();
            tamper(&path, field, value);
            let started = std::time::Instant::now();
            let result = read(&path, "correct horse battery");
            let took = started.elapsed();
            match result {
                Err(StoreError::KeyFileTampered { reason, .. }) => {
                    assert!(reason.contains(&value.to_string()), "{reason}")
                }
                Err(other) => panic!("{field} = {value}: expected KeyFileTampered, got {other:?}"),
                Ok(_) => panic!("{field} = {value}: accepted"),
            }
            // The legacy derivation alone takes tens of milliseconds; a refusal takes none.
            assert!(took < std::time::Duration::from_millis(20), "{field} = {value}: a derivation ran ({took:?})");
        }
        let message = StoreError::KeyFileTampered { path: path.clone(), reason: "x".into() }.to_string();
        assert!(message.contains("damaged or was tampered with"), "{message}");
    }

    #[test]
    fn new_key_files_use_64_mib_and_3_passes() {
        let dir = tempfile::tempdir().unwrap();
        production_cost(|| drop(crate::Store::init(dir.path(), "correct horse battery", "amy.w").unwrap()));
        let written = params(&dir.path().join(crate::store::KEY_FILE)).unwrap();
        assert_eq!(written, KdfParams { memory_kib: 65_536, passes: 3, lanes: 1 });
        assert_eq!(KdfParams::RECOMMENDED.check(), Ok(()));
    }

    #[test]
    fn an_old_key_file_unlocks_and_is_upgraded_at_the_next_passphrase_change() {
        let dir = tempfile::tempdir().unwrap();
        let key_path = dir.path().join(crate::store::KEY_FILE);
        drop(crate::Store::init(dir.path(), "correct horse battery", "amy.w").unwrap());
        // Rewrap the same data key as an older version did (19 MiB, 2 passes).
        let key = read(&key_path, "correct horse battery").unwrap();
        write_with(&key_path, "correct horse battery", &key, KdfParams::LEGACY).unwrap();
        assert_eq!(params(&key_path).unwrap(), KdfParams { memory_kib: 19_456, passes: 2, lanes: 1 });
        drop(crate::Store::open(dir.path(), "correct horse battery").unwrap());

        production_cost(|| {
            crate::Store::change_passphrase(dir.path(), "correct horse battery", "new horse battery staple").unwrap();
        });
        assert_eq!(params(&key_path).unwrap(), KdfParams { memory_kib: 65_536, passes: 3, lanes: 1 });
        drop(crate::Store::open(dir.path(), "new horse battery staple").unwrap());
    }

    #[test]
    fn the_key_statement_holds_the_key_in_hex() {
        let key = DataKey::generate();
        let hex = hex::encode_upper(key.0.as_ref());
        assert_eq!(key.sqlcipher_pragma_value().as_str(), format!("x'{hex}'"));
        assert_eq!(key.sqlcipher_key_statement().as_str(), format!("PRAGMA key = \"x'{hex}'\";"));
    }

    #[test]
    fn weak_passphrases_are_refused() {
        assert!(check_strength("short").is_err());
        check_strength("long enough phrase").unwrap();
    }
}
