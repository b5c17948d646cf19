//! The referral criteria check: who the service is for.

use crate::{Client, Need};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Whether one criterion is met, not met, or cannot be told from the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// The record shows it is met.
    Met,
    /// The record shows it is not met.
    NotMet,
    /// The record does not say (e.g. no date of birth or age).
    Unknown,
}

/// The referral criteria, each shown separately so a worker sees which are
/// met: over 18; homeless or in housing difficulty; normally at least two of
/// mental health, substance use, offending and behavioural issues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Eligibility {
    /// Aged 18 or over.
    pub adult: Criterion,
    /// Homeless, at risk, or struggling to obtain or keep accommodation.
    pub housing_difficulty: Criterion,
    /// At least two of the four core areas of need.
    pub multiple_needs: Criterion,
    /// Which core needs were counted.
    pub core_needs_met: Vec<Need>,
}

impl Eligibility {
    /// Checks `client` against the criteria on date `on`.
    pub fn assess(client: &Client, on: NaiveDate) -> Self {
        let adult = match client.age_on(on) {
            Some(age) if age >= 18 => Criterion::Met,
            Some(_) => Criterion::NotMet,
            None => Criterion::Unknown,
        };
        let housing_difficulty = match client.housing_difficulty.or(client.living_situation.is_housing_difficulty()) {
            Some(true) => Criterion::Met,
            Some(false) => Criterion::NotMet,
            None => Criterion::Unknown,
        };
        let core_needs_met: Vec<Need> = Need::CORE.into_iter().filter(|n| client.needs.contains(n)).collect();
        let multiple_needs = if core_needs_met.len() >= 2 { Criterion::Met } else { Criterion::NotMet };
        Self { adult, housing_difficulty, multiple_needs, core_needs_met }
    }

    /// Met only when every criterion is met.
    pub fn overall(&self) -> Criterion {
        let all = [self.adult, self.housing_difficulty, self.multiple_needs];
        if all.contains(&Criterion::NotMet) {
            Criterion::NotMet
        } else if all.contains(&Criterion::Unknown) {
            Criterion::Unknown
        } else {
            Criterion::Met
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LivingSituation;
    use crate::client::ApproximateAge;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn client(
        dob: Option<NaiveDate>,
        living: LivingSituation,
        needs: &[Need],
        housing_difficulty: Option<bool>,
    ) -> Client {
        Client {
            date_of_birth: dob.map(Into::into),
            living_situation: living,
            needs: needs.iter().copied().collect(),
            housing_difficulty,
            ..Default::default()
        }
    }

    #[test]
    fn table_of_cases() {
        use Criterion::*;
        use LivingSituation::*;
        use Need::*;
        let today = d(2026, 11, 23);
        let cases: Vec<(Client, [Criterion; 3], Criterion)> = vec![
            (client(Some(d(1990, 1, 1)), RoughSleeping, &[MentalHealth, SubstanceUse], None), [Met, Met, Met], Met),
            // turns 18 tomorrow
            (
                client(Some(d(2008, 11, 24)), RoughSleeping, &[MentalHealth, Offending], None),
                [NotMet, Met, Met],
                NotMet,
            ),
            // 18 today
            (client(Some(d(2008, 11, 23)), Hostel, &[Offending, Behavioural], None), [Met, Met, Met], Met),
            // debt and physical health do not count towards the core two
            (
                client(Some(d(1980, 5, 5)), RoughSleeping, &[MentalHealth, Debt, PhysicalHealth], None),
                [Met, Met, NotMet],
                NotMet,
            ),
            // a tenancy: unknown until the worker says it is at risk
            (
                client(Some(d(1980, 5, 5)), OwnTenancy, &[MentalHealth, SubstanceUse], None),
                [Met, Unknown, Met],
                Unknown,
            ),
            (client(Some(d(1980, 5, 5)), OwnTenancy, &[MentalHealth, SubstanceUse], Some(true)), [Met, Met, Met], Met),
            (
                client(Some(d(1980, 5, 5)), OwnTenancy, &[MentalHealth, SubstanceUse], Some(false)),
                [Met, NotMet, Met],
                NotMet,
            ),
            // no age known at all
            (client(None, RoughSleeping, &[MentalHealth, SubstanceUse], None), [Unknown, Met, Met], Unknown),
        ];
        for (i, (c, parts, overall)) in cases.into_iter().enumerate() {
            let e = Eligibility::assess(&c, today);
            assert_eq!([e.adult, e.housing_difficulty, e.multiple_needs], parts, "case {i}");
            assert_eq!(e.overall(), overall, "case {i}");
        }
    }

    #[test]
    fn approximate_age_counts_for_the_adult_criterion() {
        let mut c = client(None, LivingSituation::RoughSleeping, &[], None);
        c.approximate_age = Some(ApproximateAge { years: 17, as_of: d(2026, 1, 1) });
        assert_eq!(Eligibility::assess(&c, d(2026, 6, 1)).adult, Criterion::NotMet);
        assert_eq!(Eligibility::assess(&c, d(2027, 1, 1)).adult, Criterion::Met);
        assert_eq!(Eligibility::assess(&c, d(2027, 1, 1)).core_needs_met, vec![]);
    }
}
