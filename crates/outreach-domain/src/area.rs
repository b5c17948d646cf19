//! Local authority areas a service covers.

use crate::DomainError;
use serde::{Deserialize, Serialize};

/// The local authority areas a deployment knows, used to validate a client's
/// area and to split reports. Configurable: the default is the six Liverpool
/// City Region authorities the core service specification names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AreaList(Vec<String>);

impl Default for AreaList {
    fn default() -> Self {
        Self(
            ["Liverpool", "Sefton", "Knowsley", "Halton", "Wirral", "St Helens"]
                .into_iter()
                .map(String::from)
                .collect(),
        )
    }
}

impl AreaList {
    /// A custom list (for a service in another region).
    pub fn new(areas: Vec<String>) -> Self {
        Self(areas)
    }

    /// The areas, in configured order.
    pub fn areas(&self) -> &[String] {
        &self.0
    }

    /// Returns the configured spelling of `area`, matched case-insensitively,
    /// or an error naming the valid choices.
    pub fn canonical(&self, area: &str) -> Result<String, DomainError> {
        let wanted = area.trim();
        self.0
            .iter()
            .find(|a| a.eq_ignore_ascii_case(wanted))
            .cloned()
            .ok_or_else(|| DomainError::UnknownArea { area: wanted.to_string(), known: self.0.join(", ") })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_case_insensitively_and_rejects_unknown() {
        let areas = AreaList::default();
        assert_eq!(areas.canonical("st helens").unwrap(), "St Helens");
        assert_eq!(areas.canonical(" WIRRAL ").unwrap(), "Wirral");
        let err = areas.canonical("Manchester").unwrap_err();
        assert!(err.to_string().contains("Liverpool"), "{err}");
    }
}
