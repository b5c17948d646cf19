//! Where the passphrase comes from: `OUTREACH_PASSPHRASE` for scripts, or a
//! prompt that does not echo.

use anyhow::{Context, Result, bail};
use zeroize::Zeroizing;

/// The passphrase to unlock an existing store.
pub fn unlock() -> Result<Zeroizing<String>> {
    from_env_or_prompt("OUTREACH_PASSPHRASE", "Passphrase: ")
}

/// A new passphrase, asked twice when prompted.
pub fn new_passphrase(env: &str) -> Result<Zeroizing<String>> {
    if let Ok(value) = std::env::var(env) {
        return Ok(Zeroizing::new(value));
    }
    let first = prompt("New passphrase (at least 10 characters; a few unrelated words work well): ")?;
    let second = prompt("Repeat the new passphrase: ")?;
    if *first != *second {
        bail!("the two passphrases differ; nothing was changed");
    }
    Ok(first)
}

/// A secret from `env`, or asked for without echo.
pub fn from_env_or_prompt(env: &str, question: &str) -> Result<Zeroizing<String>> {
    match std::env::var(env) {
        Ok(value) => Ok(Zeroizing::new(value)),
        Err(_) => prompt(question),
    }
}

fn prompt(question: &str) -> Result<Zeroizing<String>> {
    rpassword::prompt_password(question).map(Zeroizing::new).with_context(
        || "could not read a passphrase from the terminal; set OUTREACH_PASSPHRASE when running without one",
    )
}
