//! The same person recorded twice: how alike two client records are, and
//! why, so a worker can decide whether to merge them.
//!
//! Two workers meet the same person on different nights and each records
//! them offline. After sync, pairs whose names (or aliases) are alike and
//! whose other details do not contradict it are suggested. The score is a
//! plain sum of evidence, and every piece of evidence comes with a sentence
//! a worker can check against the two records. A clearly different date of
//! birth, or ages far apart, rule a pair out whatever the names say.

use crate::names::{name_score, normalise};
use crate::{Client, Gender, Sensitive};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Names must be at least this alike (0 to 1) for a pair to be suggested.
pub const NAMES_ALIKE: f64 = 0.85;
/// Pairs scoring below this are not suggested.
pub const SUGGEST_FROM: f64 = 0.6;
/// Ages (at a common date) this many years apart or fewer agree.
pub const AGE_TOLERANCE: u32 = 5;
/// Ages further apart than this rule a pair out.
pub const AGE_RULES_OUT: u32 = 12;

/// How alike two client records are, with the reasons in plain words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Likeness {
    /// 0 (nothing alike) to 1 (everything agrees).
    pub score: f64,
    /// Each piece of evidence, for and against, as a worker would say it.
    /// They quote names and dates, so they are personal data.
    pub reasons: Vec<Sensitive<String>>,
}

/// Whether the pair is worth showing to a worker, and why or why not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Comparison {
    /// Likely the same person: suggest it.
    Likely(Likeness),
    /// Some likeness, but not enough to suggest.
    Unlikely(Likeness),
    /// Cannot be the same person (or a worker said so); the reason says why.
    RuledOut {
        /// Why, in plain words.
        reason: String,
    },
}

impl Comparison {
    /// The likeness when the pair is worth suggesting.
    pub fn likely(self) -> Option<Likeness> {
        match self {
            Self::Likely(l) => Some(l),
            _ => None,
        }
    }
}

fn names_of(client: &Client) -> Vec<(String, &str)> {
    client
        .name
        .iter()
        .chain(client.aliases.iter())
        .map(|n| (normalise(n.expose()), n.expose().as_str()))
        .filter(|(n, _)| !n.is_empty())
        .collect()
}

/// Similarity of two normalised names, the same whichever way round: the
/// mean of how well each covers the other, so 'John' against 'John Smith'
/// counts as fairly alike but not identical.
fn names_alike(a: &str, b: &str) -> f64 {
    let a_words: Vec<&str> = a.split(' ').collect();
    let b_words: Vec<&str> = b.split(' ').collect();
    if a == b {
        return 1.0;
    }
    (name_score(&a_words, b) + name_score(&b_words, a)) / 2.0
}

/// The best-matching pair of names (name or alias) of two clients.
fn best_names<'a>(a: &'a Client, b: &'a Client) -> Option<(f64, &'a str, &'a str)> {
    let a_names = names_of(a);
    let b_names = names_of(b);
    let mut best: Option<(f64, &str, &str)> = None;
    for (an, a_shown) in &a_names {
        for (bn, b_shown) in &b_names {
            let s = names_alike(an, bn);
            if best.is_none_or(|(x, _, _)| s > x) {
                best = Some((s, *a_shown, *b_shown));
            }
        }
    }
    best
}

/// Whether two different dates of birth are a likely slip of the keyboard:
/// day and month swapped, or only one of day, month and year differing.
fn dob_typo(a: NaiveDate, b: NaiveDate) -> bool {
    let same = [a.year() == b.year(), a.month() == b.month(), a.day() == b.day()];
    let swapped = a.year() == b.year() && a.day() == b.month() && a.month() == b.day();
    swapped || same.iter().filter(|s| **s).count() == 2
}

/// The date at which two clients' ages are compared: the later of the dates
/// their ages were given (a date of birth gives an age on any date).
fn common_date(a: &Client, b: &Client) -> Option<NaiveDate> {
    let given = |c: &Client| if c.date_of_birth.is_some() { None } else { c.approximate_age.map(|x| x.as_of) };
    match (given(a), given(b)) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (Some(x), None) | (None, Some(x)) => Some(x),
        (None, None) => None,
    }
}

fn gender_word(g: Gender) -> &'static str {
    match g {
        Gender::Male => "male",
        Gender::Female => "female",
        Gender::NonBinary => "non-binary",
        Gender::NotKnown => "not known",
    }
}

/// Compares two client records. `a_id` and `b_id` are their ids, used for
/// 'not the same person' dismissals recorded on either side.
pub fn compare(a_id: Uuid, a: &Client, b_id: Uuid, b: &Client) -> Comparison {
    if a_id == b_id {
        return Comparison::RuledOut { reason: "the same record".into() };
    }
    if a.not_same_as.contains(&b_id) || b.not_same_as.contains(&a_id) {
        return Comparison::RuledOut { reason: "a worker said these are not the same person".into() };
    }
    if a.merged_into == Some(b_id) || b.merged_into == Some(a_id) {
        return Comparison::RuledOut { reason: "already merged".into() };
    }
    let mut score = 0.0;
    let mut reasons = Vec::new();
    let mut say = |text: String| reasons.push(Sensitive::new(text));

    let name_likeness = best_names(a, b);
    if let Some((s, an, bn)) = name_likeness {
        score += 0.6 * s;
        if s >= 0.999 {
            say(format!("same name: {an}"));
        } else if s >= NAMES_ALIKE {
            say(format!("names alike: {an} / {bn}"));
        } else {
            say(format!("names differ: {an} / {bn}"));
        }
    }

    match (&a.date_of_birth, &b.date_of_birth) {
        (Some(x), Some(y)) if x == y => {
            score += 0.3;
            say("same date of birth".into());
        }
        (Some(x), Some(y)) if dob_typo(*x.expose(), *y.expose()) => {
            score += 0.1;
            say(format!("dates of birth nearly agree: {} / {}", x.expose(), y.expose()));
        }
        (Some(_), Some(_)) => {
            return Comparison::RuledOut { reason: "different dates of birth".into() };
        }
        _ => {
            if let Some(on) = common_date(a, b)
                && let (Some(x), Some(y)) = (a.age_on(on), b.age_on(on))
            {
                let gap = x.abs_diff(y);
                if gap > AGE_RULES_OUT {
                    return Comparison::RuledOut { reason: format!("ages too far apart (about {x} / about {y})") };
                } else if gap <= AGE_TOLERANCE {
                    score += 0.1;
                    say(format!("ages agree (about {})", (x + y) / 2));
                } else {
                    score -= 0.1;
                    say(format!("ages differ (about {x} / about {y})"));
                }
            }
        }
    }

    if a.gender != Gender::NotKnown && b.gender != Gender::NotKnown {
        if a.gender == b.gender {
            score += 0.05;
            say(format!("both recorded as {}", gender_word(a.gender)));
        } else {
            score -= 0.2;
            say(format!("gender recorded differently: {} / {}", gender_word(a.gender), gender_word(b.gender)));
        }
    }

    if !a.area.is_empty() && a.area.eq_ignore_ascii_case(&b.area) {
        score += 0.1;
        say("same area".into());
    }

    if let (Some(x), Some(y)) = (&a.usual_site, &b.usual_site) {
        let (nx, ny) = (normalise(x.expose()), normalise(y.expose()));
        if !nx.is_empty() && !ny.is_empty() && names_alike(&nx, &ny) >= NAMES_ALIKE {
            score += 0.1;
            say(format!("same usual site: {}", x.expose()));
        }
    }

    let likeness = Likeness { score: f64::clamp(score, 0.0, 1.0), reasons };
    let alike = name_likeness.is_some_and(|(s, _, _)| s >= NAMES_ALIKE);
    if alike && likeness.score >= SUGGEST_FROM { Comparison::Likely(likeness) } else { Comparison::Unlikely(likeness) }
}

/// Follows `merged_into` links from `id` to the client that stands for it
/// now. `merged_into_of` gives a client's link. A cycle (two devices merged
/// each into the other before syncing) resolves to its lowest id, the same
/// on every device; the second value says whether a cycle was met.
pub fn survivor_of(id: Uuid, merged_into_of: impl Fn(Uuid) -> Option<Uuid>) -> (Uuid, bool) {
    let mut seen = vec![id];
    let mut at = id;
    while let Some(next) = merged_into_of(at) {
        if let Some(pos) = seen.iter().position(|s| *s == next) {
            let lowest = seen[pos..].iter().min().copied().unwrap_or(next);
            return (lowest, true);
        }
        seen.push(next);
        at = next;
    }
    (at, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ApproximateAge;
    use std::collections::HashMap;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn person(name: &str) -> Client {
        Client { name: Some(name.to_string().into()), area: "Liverpool".into(), ..Default::default() }
    }

    fn with(mut c: Client, f: impl FnOnce(&mut Client)) -> Client {
        f(&mut c);
        c
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn reasons(l: &Likeness) -> Vec<String> {
        l.reasons.iter().map(|r| r.expose().clone()).collect()
    }

    #[test]
    fn table_of_pairs() {
        let dob = |y, m, day| Some(Sensitive::new(d(y, m, day)));
        let age = |years, on| Some(ApproximateAge { years, as_of: on });
        // (a, b, expected verdict: "likely" | "unlikely" | "out", a reason expected)
        let cases: Vec<(Client, Client, &str, &str)> = vec![
            (person("Jon Smith"), person("John Smith"), "likely", "names alike: Jon Smith / John Smith"),
            (person("John Smith"), person("John Smith"), "likely", "same name: John Smith"),
            (person("Bill Jones"), person("William Jones"), "likely", "names alike: Bill Jones / William Jones"),
            (
                with(person("Kasia"), |c| c.aliases = vec!["Katarzyna Kowalski".to_string().into()]),
                person("Katarzyna Kowalska"),
                "likely",
                "names alike: Katarzyna Kowalski / Katarzyna Kowalska",
            ),
            (person("Mary O'Neill"), person("John Smith"), "unlikely", "names differ: Mary O'Neill / John Smith"),
            (
                with(person("John Smith"), |c| c.date_of_birth = dob(1985, 3, 7)),
                with(person("Jon Smith"), |c| c.date_of_birth = dob(1985, 3, 7)),
                "likely",
                "same date of birth",
            ),
            (
                with(person("John Smith"), |c| c.date_of_birth = dob(1985, 3, 7)),
                with(person("John Smith"), |c| c.date_of_birth = dob(1985, 7, 3)),
                "likely",
                "dates of birth nearly agree: 1985-03-07 / 1985-07-03",
            ),
            (
                with(person("John Smith"), |c| c.date_of_birth = dob(1985, 3, 7)),
                with(person("John Smith"), |c| c.date_of_birth = dob(1962, 11, 20)),
                "out",
                "different dates of birth",
            ),
            (
                with(person("John Smith"), |c| c.approximate_age = age(38, d(2024, 1, 10))),
                with(person("Jon Smith"), |c| c.approximate_age = age(40, d(2026, 1, 10))),
                "likely",
                "ages agree (about 40)",
            ),
            (
                with(person("John Smith"), |c| c.date_of_birth = dob(1986, 5, 1)),
                with(person("Jon Smith"), |c| c.approximate_age = age(40, d(2026, 11, 1))),
                "likely",
                "ages agree (about 40)",
            ),
            (
                with(person("John Smith"), |c| c.approximate_age = age(25, d(2026, 1, 1))),
                with(person("John Smith"), |c| c.approximate_age = age(60, d(2026, 1, 1))),
                "out",
                "ages too far apart (about 25 / about 60)",
            ),
            (
                with(person("John Smith"), |c| c.gender = Gender::Male),
                with(person("John Smith"), |c| c.gender = Gender::Male),
                "likely",
                "both recorded as male",
            ),
            (
                with(person("Sam Jones"), |c| c.gender = Gender::Male),
                with(person("Sam Jonas"), |c| {
                    c.gender = Gender::Female;
                    c.area = "Sefton".into();
                }),
                "unlikely",
                "gender recorded differently: male / female",
            ),
            (
                with(person("John Smith"), |c| c.usual_site = Some("Library doorway".to_string().into())),
                with(person("Jon Smith"), |c| c.usual_site = Some("library doorway".to_string().into())),
                "likely",
                "same usual site: Library doorway",
            ),
            (
                Client {
                    description: Some("tall man".to_string().into()),
                    area: "Liverpool".into(),
                    ..Default::default()
                },
                person("John Smith"),
                "unlikely",
                "same area",
            ),
        ];
        for (i, (a, b, verdict, reason)) in cases.into_iter().enumerate() {
            let got = compare(id(1), &a, id(2), &b);
            let (kind, said) = match &got {
                Comparison::Likely(l) => ("likely", reasons(l)),
                Comparison::Unlikely(l) => ("unlikely", reasons(l)),
                Comparison::RuledOut { reason } => ("out", vec![reason.clone()]),
            };
            assert_eq!(kind, verdict, "case {i}: {said:?}");
            assert!(said.iter().any(|r| r == reason), "case {i}: {said:?} lacks {reason:?}");
            // The same whichever way round.
            let back = compare(id(2), &b, id(1), &a);
            assert_eq!(std::mem::discriminant(&got), std::mem::discriminant(&back), "case {i} reversed");
        }
    }

    #[test]
    fn dismissed_and_merged_pairs_are_ruled_out() {
        let a = person("John Smith");
        let b = with(person("John Smith"), |c| {
            c.not_same_as.insert(id(1));
        });
        assert!(matches!(compare(id(1), &a, id(2), &b), Comparison::RuledOut { .. }));
        assert!(matches!(compare(id(2), &b, id(1), &a), Comparison::RuledOut { .. }));
        let merged = with(person("John Smith"), |c| c.merged_into = Some(id(1)));
        assert!(matches!(compare(id(1), &a, id(3), &merged), Comparison::RuledOut { .. }));
        assert!(matches!(compare(id(1), &a, id(1), &a), Comparison::RuledOut { .. }));
    }

    #[test]
    fn more_evidence_scores_higher() {
        let base = compare(id(1), &person("Jon Smith"), id(2), &person("John Smith")).likely().unwrap();
        let dob = Some(Sensitive::new(d(1980, 1, 1)));
        let more = compare(
            id(1),
            &with(person("Jon Smith"), |c| c.date_of_birth = dob.clone()),
            id(2),
            &with(person("John Smith"), |c| c.date_of_birth = dob.clone()),
        )
        .likely()
        .unwrap();
        assert!(more.score > base.score, "{} <= {}", more.score, base.score);
        assert!(more.score <= 1.0);
    }

    #[test]
    fn survivors_follow_chains_and_break_cycles_the_same_way() {
        let links: HashMap<Uuid, Uuid> = [(id(3), id(2)), (id(2), id(1))].into();
        assert_eq!(survivor_of(id(3), |x| links.get(&x).copied()), (id(1), false));
        assert_eq!(survivor_of(id(1), |x| links.get(&x).copied()), (id(1), false));
        let cycle: HashMap<Uuid, Uuid> = [(id(5), id(4)), (id(4), id(5)), (id(6), id(5))].into();
        assert_eq!(survivor_of(id(5), |x| cycle.get(&x).copied()), (id(4), true));
        assert_eq!(survivor_of(id(4), |x| cycle.get(&x).copied()), (id(4), true));
        assert_eq!(survivor_of(id(6), |x| cycle.get(&x).copied()), (id(4), true));
    }
}
