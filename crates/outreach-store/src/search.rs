//! Fuzzy client search over names and aliases, held in memory.
//!
//! People give different names and spellings, and workers type on a kerb at
//! night, so search must find 'Jon Smyth' for 'John Smith', 'Bill' for
//! 'William' and 'kow' inside 'Kowalski'. Names are normalised (case,
//! accents, punctuation), split into trigrams (padded like PostgreSQL's
//! pg_trgm so word starts weigh more) and kept in an inverted index built
//! from `client_index` on first use. Candidates are the clients sharing the
//! most trigrams with the query; each is then scored by Jaro–Winkler
//! similarity per word, with prefixes and known nicknames counting as
//! near-exact. SQLite FTS5's trigram tokenizer matches substrings only, so
//! typo tolerance would need OR-queries ranked over every match; an
//! in-memory index of a caseload (tens of thousands of names) is small and
//! answers in well under a millisecond.

use crate::summary::{ClientFilter, ClientSummary};
use chrono::NaiveDate;
/// Re-exported: the store and its callers normalise names the same way the
/// duplicate check in `outreach_domain::names` does.
pub use outreach_domain::names::normalise;
use outreach_domain::names::{NICKNAMES, name_score, nickname_groups};
use std::collections::HashMap;
use uuid::Uuid;

type Gram = [char; 3];

fn grams_of_word(word: &str, out: &mut Vec<Gram>) {
    let chars: Vec<char> = [' ', ' '].into_iter().chain(word.chars()).chain([' ']).collect();
    for w in chars.windows(3) {
        out.push([w[0], w[1], w[2]]);
    }
}

fn grams_of(text: &str) -> Vec<Gram> {
    let mut out = Vec::new();
    for word in text.split([' ', '\n']).filter(|w| !w.is_empty()) {
        grams_of_word(word, &mut out);
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Results below this score are not shown.
pub const MIN_SCORE: f64 = 0.78;
/// How many trigram candidates are scored in full.
const CANDIDATES: usize = 400;

struct Slot {
    summary: ClientSummary,
    names: Vec<String>,
    /// Lower-cased display name, the sort key of lists.
    sort_key: String,
}

/// The in-memory search index over every client summary on the device.
#[derive(Default)]
pub struct SearchIndex {
    slots: Vec<Option<Slot>>,
    by_id: HashMap<Uuid, usize>,
    grams: HashMap<Gram, Vec<u32>>,
}

impl SearchIndex {
    /// Adds or replaces one client. Replaced slots are emptied, and their
    /// postings skipped at query time.
    pub fn upsert(&mut self, summary: ClientSummary, names: &str) {
        self.remove(summary.id);
        let slot = self.slots.len() as u32;
        for gram in grams_of(names) {
            self.grams.entry(gram).or_default().push(slot);
        }
        self.by_id.insert(summary.id, slot as usize);
        let names = names.split('\n').filter(|n| !n.is_empty()).map(String::from).collect();
        let sort_key = summary.display_name.expose().to_lowercase();
        self.slots.push(Some(Slot { summary, names, sort_key }));
    }

    /// Removes a client (deleted, or left this device).
    pub fn remove(&mut self, id: Uuid) {
        if let Some(slot) = self.by_id.remove(&id) {
            self.slots[slot] = None;
        }
    }

    /// Moves a client's last-contact time forward without re-indexing its
    /// names; false if the client is not in the index.
    pub fn note_contact(&mut self, id: Uuid, at: &str) -> bool {
        let Some(slot) = self.by_id.get(&id).and_then(|&i| self.slots[i].as_mut()) else {
            return false;
        };
        if let Ok(at) = chrono::DateTime::parse_from_rfc3339(at) {
            let at = at.with_timezone(&chrono::Utc);
            if slot.summary.last_contact_at.is_none_or(|t| t < at) {
                slot.summary.last_contact_at = Some(at);
            }
        }
        true
    }

    /// Number of clients indexed.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    fn live(&self) -> impl Iterator<Item = &Slot> {
        self.slots.iter().flatten()
    }

    /// Clients passing `filter`, ordered by name, for caseload lists.
    pub fn list(&self, filter: &ClientFilter, today: NaiveDate, offset: usize, limit: usize) -> Vec<ClientSummary> {
        let mut hits: Vec<&Slot> = self.live().filter(|s| filter.matches(&s.summary, today)).collect();
        let order = |a: &&Slot, b: &&Slot| a.sort_key.cmp(&b.sort_key).then(a.summary.id.cmp(&b.summary.id));
        let wanted = offset.saturating_add(limit);
        if wanted < hits.len() {
            // Only the first `offset + limit` need sorting.
            hits.select_nth_unstable_by(wanted, order);
            hits.truncate(wanted);
        }
        hits.sort_unstable_by(order);
        hits.into_iter().skip(offset).take(limit).map(|s| s.summary.clone()).collect()
    }

    /// The ids of every client in the index.
    pub fn ids(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.by_id.keys().copied()
    }

    /// Up to `k` other clients sharing the most name trigrams (nicknames
    /// counted) with client `id`: the candidates the duplicate check
    /// compares it with, found without comparing every pair.
    pub fn neighbours(&self, id: Uuid, k: usize) -> Vec<Uuid> {
        let Some(&own) = self.by_id.get(&id) else {
            return vec![];
        };
        let Some(slot) = self.slots[own].as_ref() else {
            return vec![];
        };
        let mut grams = Vec::new();
        for name in &slot.names {
            for word in name.split(' ').filter(|w| !w.is_empty()) {
                grams_of_word(word, &mut grams);
                for group in nickname_groups(word) {
                    for alt in NICKNAMES[group] {
                        grams_of_word(alt, &mut grams);
                    }
                }
            }
        }
        grams.sort_unstable();
        grams.dedup();
        let mut overlap: HashMap<u32, u32> = HashMap::new();
        for gram in &grams {
            if let Some(posting) = self.grams.get(gram) {
                for &other in posting {
                    if other as usize != own && self.slots[other as usize].is_some() {
                        *overlap.entry(other).or_default() += 1;
                    }
                }
            }
        }
        let mut best: Vec<(u32, u32)> = overlap.into_iter().collect();
        let order = |a: &(u32, u32), b: &(u32, u32)| b.1.cmp(&a.1).then(a.0.cmp(&b.0));
        if best.len() > k {
            best.select_nth_unstable_by(k, order);
            best.truncate(k);
        }
        best.sort_unstable_by(order);
        best.into_iter().filter_map(|(s, _)| self.slots[s as usize].as_ref()).map(|s| s.summary.id).collect()
    }

    /// Clients whose names or aliases match `query`, best first. A query
    /// that is a date (YYYY-MM-DD or DD/MM/YYYY) finds that date of birth.
    pub fn search(&self, query: &str, filter: &ClientFilter, today: NaiveDate, limit: usize) -> Vec<ClientSummary> {
        if let Some(dob) = parse_date(query) {
            let mut hits: Vec<ClientSummary> = self
                .live()
                .filter(|s| s.summary.date_of_birth.as_ref().is_some_and(|d| *d.expose() == dob))
                .filter(|s| filter.matches(&s.summary, today))
                .map(|s| ClientSummary { score: Some(1.0), ..s.summary.clone() })
                .collect();
            hits.sort_by(|a, b| a.display_name.expose().cmp(b.display_name.expose()));
            hits.truncate(limit);
            return hits;
        }
        let q = normalise(query);
        if q.is_empty() {
            return self.list(filter, today, 0, limit);
        }
        let words: Vec<&str> = q.split(' ').collect();
        let mut query_grams = grams_of(&q);
        for word in &words {
            for group in nickname_groups(word) {
                for alt in NICKNAMES[group] {
                    grams_of_word(alt, &mut query_grams);
                }
            }
        }
        query_grams.sort_unstable();
        query_grams.dedup();

        let mut overlap: HashMap<u32, u32> = HashMap::new();
        for gram in &query_grams {
            if let Some(posting) = self.grams.get(gram) {
                for &slot in posting {
                    *overlap.entry(slot).or_default() += 1;
                }
            }
        }
        let mut candidates: Vec<(u32, u32)> = overlap.into_iter().collect();
        if candidates.len() > CANDIDATES {
            candidates.select_nth_unstable_by(CANDIDATES, |a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            candidates.truncate(CANDIDATES);
        }
        let mut scored: Vec<(f64, &ClientSummary)> = candidates
            .into_iter()
            .filter_map(|(slot, _)| self.slots[slot as usize].as_ref())
            .filter(|s| filter.matches(&s.summary, today))
            .filter_map(|s| {
                let best = s
                    .names
                    .iter()
                    .map(|n| name_score(&words, n).max(if *n == q { 1.0 } else { 0.0 }))
                    .fold(0.0, f64::max);
                (best >= MIN_SCORE).then_some((best, &s.summary))
            })
            .collect();
        scored
            .sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.display_name.expose().cmp(b.1.display_name.expose())));
        scored
            .into_iter()
            .take(limit)
            .map(|(score, s)| ClientSummary { score: Some(score as f32), ..s.clone() })
            .collect()
    }
}

/// Reads a date of birth typed as YYYY-MM-DD or DD/MM/YYYY.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    NaiveDate::parse_from_str(t, "%Y-%m-%d").or_else(|_| NaiveDate::parse_from_str(t, "%d/%m/%Y")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use outreach_domain::Sensitive;

    fn summary(n: u128, name: &str) -> ClientSummary {
        ClientSummary {
            id: Uuid::from_u128(n),
            display_name: Sensitive::new(name.to_string()),
            date_of_birth: None,
            area: "Liverpool".into(),
            needs: vec![],
            safety_flags: vec![],
            risk_level: None,
            review_due: None,
            episode_stage: None,
            episode_end: None,
            last_contact_at: None,
            workers: vec![],
            closed_on: None,
            score: None,
        }
    }

    fn index(names: &[(&str, &[&str])]) -> SearchIndex {
        let mut idx = SearchIndex::default();
        for (i, (name, aliases)) in names.iter().enumerate() {
            let all: Vec<String> = std::iter::once(*name).chain(aliases.iter().copied()).map(normalise).collect();
            idx.upsert(summary(i as u128 + 1, name), &all.join("\n"));
        }
        idx
    }

    fn top(idx: &SearchIndex, q: &str) -> Vec<String> {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        idx.search(q, &ClientFilter::default(), today, 5).into_iter().map(|s| s.display_name.expose().clone()).collect()
    }

    #[test]
    fn finds_misspellings_nicknames_partials_and_aliases() {
        let idx = index(&[
            ("John Smith", &[]),
            ("William Jones", &[]),
            ("Katarzyna Kowalski", &["Kasia"]),
            ("Mary O'Neill", &[]),
            ("Johnny Walker", &["Scouse John"]),
            ("Sean McCarthy", &[]),
        ]);
        assert_eq!(top(&idx, "Jon Smyth")[0], "John Smith");
        assert_eq!(top(&idx, "bill jones")[0], "William Jones");
        assert_eq!(top(&idx, "kowal")[0], "Katarzyna Kowalski");
        assert_eq!(top(&idx, "kasia")[0], "Katarzyna Kowalski");
        assert_eq!(top(&idx, "oneil")[0], "Mary O'Neill");
        assert_eq!(top(&idx, "scouse")[0], "Johnny Walker");
        assert_eq!(top(&idx, "shaun mccarthy")[0], "Sean McCarthy");
        assert!(top(&idx, "zzzz qqqq").is_empty());
    }

    #[test]
    fn replaced_and_removed_entries_disappear() {
        let mut idx = index(&[("John Smith", &[])]);
        idx.upsert(summary(1, "Jane Doe"), "jane doe");
        assert!(top(&idx, "john smith").is_empty());
        assert_eq!(top(&idx, "jane"), vec!["Jane Doe"]);
        idx.remove(Uuid::from_u128(1));
        assert!(top(&idx, "jane").is_empty());
        assert!(idx.is_empty());
    }

    #[test]
    fn dates_parse_both_ways() {
        assert_eq!(parse_date("1985-03-07"), NaiveDate::from_ymd_opt(1985, 3, 7));
        assert_eq!(parse_date("07/03/1985"), NaiveDate::from_ymd_opt(1985, 3, 7));
        assert_eq!(parse_date("John"), None);
    }
}
