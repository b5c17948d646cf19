//! PostgreSQL over TLS, with rustls: what a database URL's `sslmode` and
//! `sslrootcert` ask for.
//!
//! - no `sslmode`, `disable`, `allow` or `prefer`: plain TCP, as before
//!   (a database on the same host or a private network);
//! - `require`, `verify-ca` or `verify-full`: TLS, and the server's
//!   certificate is **always verified**, chain and host name, against
//!   `sslrootcert` (a PEM file of the CA that signed it) or else the
//!   operating system's trusted roots. This is stricter than libpq's
//!   `require` (which encrypts without checking whom it talks to): a
//!   council's database connection must not be open to a man in the middle.
//!
//! tokio-postgres reads only `disable`, `prefer` and `require`, and no
//! `sslrootcert`, so the URL is rewritten before it is parsed.

use crate::error::{DbError, Result};
use rustls::ClientConfig;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::path::PathBuf;

/// How to connect, from the URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Transport {
    /// Plain TCP.
    Plain,
    /// TLS with a verified certificate: against this CA file, or the
    /// system's roots when `None`.
    Verified(Option<PathBuf>),
}

/// Splits `url` into the URL tokio-postgres reads and how to connect.
pub(crate) fn transport(url: &str) -> Result<(String, Transport)> {
    let Some((base, query)) = url.split_once('?') else { return Ok((url.to_string(), Transport::Plain)) };
    let (mut mode, mut root, mut kept) = (None, None, Vec::new());
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("sslmode", value)) => mode = Some(value.to_string()),
            Some(("sslrootcert", value)) => root = Some(PathBuf::from(percent_decode(value))),
            _ => kept.push(pair.to_string()),
        }
    }
    let transport = match mode.as_deref() {
        None | Some("disable" | "allow" | "prefer") => Transport::Plain,
        Some("require" | "verify-ca" | "verify-full") => Transport::Verified(root),
        Some(other) => {
            return Err(DbError::BadUrl(format!(
                "sslmode={other} is not understood; use disable, require, verify-ca or verify-full"
            )));
        }
    };
    if matches!(transport, Transport::Verified(_)) {
        kept.push("sslmode=require".into());
    } else if let Some(mode) = mode {
        kept.push(format!("sslmode={}", if mode == "disable" { "disable" } else { "prefer" }));
    }
    let url = if kept.is_empty() { base.to_string() } else { format!("{base}?{}", kept.join("&")) };
    Ok((url, transport))
}

/// `%XX` escapes in a URL value (a path with spaces, say).
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The rustls client settings for a verified connection.
pub(crate) fn client_config(root: Option<&PathBuf>) -> Result<ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    match root {
        Some(path) => {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                .and_then(|certs| certs.collect::<std::result::Result<_, _>>())
                .map_err(|e| DbError::BadUrl(format!("sslrootcert {}: {e}", path.display())))?;
            if certs.is_empty() {
                return Err(DbError::BadUrl(format!("sslrootcert {} holds no certificate", path.display())));
            }
            for cert in certs {
                roots.add(cert).map_err(|e| DbError::BadUrl(format!("sslrootcert {}: {e}", path.display())))?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            for cert in found.certs {
                // A system root rustls cannot use is skipped, as browsers do.
                let _ = roots.add(cert);
            }
            if roots.is_empty() {
                return Err(DbError::BadUrl(
                    "sslmode asks for TLS but this machine has no trusted root certificates; give sslrootcert=FILE"
                        .into(),
                ));
            }
        }
    }
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| DbError::BadUrl(format!("TLS settings: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_and_sslrootcert_are_read_and_rewritten() {
        let plain = "postgres://app@db/outreach";
        assert_eq!(transport(plain).expect("plain"), (plain.to_string(), Transport::Plain));
        let (url, t) = transport("postgres://app@db/outreach?sslmode=verify-full&sslrootcert=/etc/ca%20files/ca.pem")
            .expect("tls");
        assert_eq!(url, "postgres://app@db/outreach?sslmode=require");
        assert_eq!(t, Transport::Verified(Some(PathBuf::from("/etc/ca files/ca.pem"))));
        let (url, t) = transport("postgres://app@db/outreach?connect_timeout=5&sslmode=require").expect("tls");
        assert_eq!(
            (url.as_str(), t),
            ("postgres://app@db/outreach?connect_timeout=5&sslmode=require", Transport::Verified(None))
        );
        let (url, t) = transport("postgres://app@db/outreach?sslmode=disable").expect("disable");
        assert_eq!((url.as_str(), t), ("postgres://app@db/outreach?sslmode=disable", Transport::Plain));
        assert!(matches!(transport("postgres://db/x?sslmode=sometimes"), Err(DbError::BadUrl(_))));
    }

    #[test]
    fn a_root_file_without_a_certificate_is_refused() {
        let dir = std::env::temp_dir().join(format!("outreach-pg-tls-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).expect("dir");
        let empty = dir.join("ca.pem");
        std::fs::write(&empty, "not a certificate").expect("write");
        assert!(matches!(client_config(Some(&empty)), Err(DbError::BadUrl(m)) if m.contains("no certificate")));
        assert!(matches!(client_config(Some(&dir.join("missing.pem"))), Err(DbError::BadUrl(_))));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
