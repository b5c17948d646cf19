//! Figures as a viewer sees them. Commissioners see aggregates only, and a
//! count from 1 to 4 could point at a person, so it is *suppressed*: shown as
//! `[c]` (the government statistical service's symbol for a confidential
//! figure). Zero is shown: it identifies no one. In a breakdown (by gender,
//! by age band...) whose total is shown, one suppressed cell could be worked
//! out from the others, so the smallest other non-zero cell is suppressed
//! too (secondary suppression).

use serde::{Serialize, Serializer};
use std::fmt;

/// The mark shown in place of a suppressed figure.
pub const SUPPRESSED: &str = "[c]";

/// Whether small counts are hidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Suppression {
    /// Every figure shown (team leads, the operator's command line).
    #[default]
    None,
    /// Counts from 1 up to, not including, this are suppressed (commissioners).
    Below(u64),
}

impl Suppression {
    /// Whether `count` is hidden under this policy.
    pub fn hides(self, count: u64) -> bool {
        match self {
            Self::None => false,
            Self::Below(n) => count > 0 && count < n,
        }
    }

    /// Whether any suppression applies.
    pub fn is_on(self) -> bool {
        matches!(self, Self::Below(_))
    }
}

/// One figure in a report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell {
    /// A count.
    Count(u64),
    /// An average or a median, to one decimal place when shown.
    Number(f64),
    /// Hidden: too few people.
    Suppressed,
    /// Nothing to show (no count night in the month, no one moved...).
    NotAvailable,
}

impl Cell {
    /// A count, suppressed if `policy` hides it.
    pub fn count(value: u64, policy: Suppression) -> Self {
        if policy.hides(value) { Self::Suppressed } else { Self::Count(value) }
    }

    /// An average over `people`, suppressed if `policy` would hide `people`;
    /// not available over no one.
    pub fn average(value: Option<f64>, people: u64, policy: Suppression) -> Self {
        match value {
            _ if people == 0 => Self::NotAvailable,
            None => Self::NotAvailable,
            Some(_) if policy.hides(people) => Self::Suppressed,
            Some(v) => Self::Number((v * 10.0).round() / 10.0),
        }
    }

    /// A breakdown whose parts add up to a total that is shown: primary
    /// suppression of each part, then, if exactly one part is hidden, the
    /// smallest other non-zero part too.
    pub fn group(values: &[u64], policy: Suppression) -> Vec<Cell> {
        let mut cells: Vec<Cell> = values.iter().map(|v| Cell::count(*v, policy)).collect();
        let hidden = cells.iter().filter(|c| matches!(c, Cell::Suppressed)).count();
        if hidden == 1 {
            let next = values
                .iter()
                .enumerate()
                .filter(|(i, v)| **v > 0 && !matches!(cells[*i], Cell::Suppressed))
                .min_by_key(|(_, v)| **v)
                .map(|(i, _)| i);
            if let Some(i) = next {
                cells[i] = Cell::Suppressed;
            }
        }
        cells
    }

    /// The count, if shown.
    pub fn as_count(self) -> Option<u64> {
        match self {
            Self::Count(v) => Some(v),
            _ => None,
        }
    }
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Count(v) => write!(f, "{v}"),
            Self::Number(v) => write!(f, "{v:.1}"),
            Self::Suppressed => f.write_str(SUPPRESSED),
            Self::NotAvailable => Ok(()),
        }
    }
}

/// JSON: a number, `"[c]"` when suppressed, `null` when not available.
impl Serialize for Cell {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Count(v) => s.serialize_u64(*v),
            Self::Number(v) => s.serialize_f64((v * 10.0).round() / 10.0),
            Self::Suppressed => s.serialize_str(SUPPRESSED),
            Self::NotAvailable => s.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_counts_are_hidden_but_zero_is_not() {
        let p = Suppression::Below(5);
        assert_eq!(Cell::count(0, p), Cell::Count(0));
        assert_eq!(Cell::count(1, p), Cell::Suppressed);
        assert_eq!(Cell::count(4, p), Cell::Suppressed);
        assert_eq!(Cell::count(5, p), Cell::Count(5));
        assert_eq!(Cell::count(3, Suppression::None), Cell::Count(3));
        assert_eq!(Cell::Suppressed.to_string(), "[c]");
        assert_eq!(
            serde_json::to_string(&vec![Cell::Count(7), Cell::Suppressed, Cell::NotAvailable]).expect("json"),
            "[7,\"[c]\",null]"
        );
    }

    #[test]
    fn one_hidden_cell_in_a_breakdown_hides_the_next_smallest() {
        let p = Suppression::Below(5);
        // total 30 shown: 3 alone would be 30 - 20 - 7
        let cells = Cell::group(&[20, 3, 7, 0], p);
        assert_eq!(cells, vec![Cell::Count(20), Cell::Suppressed, Cell::Suppressed, Cell::Count(0)]);
        // two hidden already: nothing more
        let cells = Cell::group(&[20, 3, 2, 9], p);
        assert_eq!(cells, vec![Cell::Count(20), Cell::Suppressed, Cell::Suppressed, Cell::Count(9)]);
        assert_eq!(Cell::group(&[3, 2], Suppression::None), vec![Cell::Count(3), Cell::Count(2)]);
    }

    #[test]
    fn averages_over_few_people_are_hidden() {
        let p = Suppression::Below(5);
        assert_eq!(Cell::average(Some(2.26), 3, p), Cell::Suppressed);
        assert_eq!(Cell::average(Some(2.26), 6, p), Cell::Number(2.3));
        assert_eq!(Cell::average(None, 0, p), Cell::NotAvailable);
    }
}
