//! Why a record was refused by a domain rule.

use thiserror::Error;

/// A record broke a domain rule; the message says which and how to fix it.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DomainError {
    /// A field's value is out of range or malformed.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field, as named in the record.
        field: &'static str,
        /// What is wrong and what is expected.
        reason: String,
    },
    /// A local authority area that is not in the configured list.
    #[error("unknown area '{area}': expected one of {known}")]
    UnknownArea {
        /// What was given.
        area: String,
        /// The configured areas, comma separated.
        known: String,
    },
}

impl DomainError {
    /// Shorthand for [`DomainError::Invalid`].
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid { field, reason: reason.into() }
    }
}
