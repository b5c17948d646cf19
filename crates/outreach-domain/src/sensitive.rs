//! A wrapper for personal data that never prints its contents.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Personal data (names, dates of birth, health, risk notes, contact details).
///
/// `Debug` and `Display` print `<redacted>`, so a value that reaches a log
/// line, a panic message or an error never reveals who it is about. Reading
/// the value is always explicit, through [`Sensitive::expose`]. It serialises
/// transparently because storage and sync must carry the real value.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    /// Wraps a personal value.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// Reads the value; call sites are where personal data is deliberately shown.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// Unwraps the value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Sensitive<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T> fmt::Display for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let name = Sensitive::new("Jane Planted".to_string());
        assert_eq!(format!("{name:?}"), "<redacted>");
        assert_eq!(format!("{name}"), "<redacted>");
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Holder {
            name: Sensitive<String>,
        }
        let shown = format!("{:?}", Holder { name: name.clone() });
        assert!(!shown.contains("Jane"), "{shown}");
        assert_eq!(name.expose(), "Jane Planted");
    }

    #[test]
    fn serialises_transparently() {
        let name = Sensitive::new("Sam".to_string());
        assert_eq!(serde_json::to_string(&name).unwrap(), "\"Sam\"");
        let back: Sensitive<String> = serde_json::from_str("\"Sam\"").unwrap();
        assert_eq!(back, name);
    }
}
