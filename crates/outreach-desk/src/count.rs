//! Street count commands: start or join a count, record sightings, the
//! running tally and the area's return.

use crate::inputs::{SightingInput, StartCountInput};
use crate::views;
use crate::{Desk, DeskResult};
use chrono::{Duration, Utc};
use outreach_domain as d;
use outreach_store::Store;
use uuid::Uuid;

/// How long a count window runs when the worker does not say.
const DEFAULT_WINDOW_HOURS: i64 = 6;

fn tally(store: &Store, count_id: Uuid) -> DeskResult<views::CountTally> {
    let report = store.count_report(count_id)?;
    let mut names = std::collections::HashMap::new();
    for s in &report.sightings {
        if let Some(client) = s.body.client_id
            && !names.contains_key(&client)
        {
            names.insert(client, store.client_display_name(client)?);
        }
    }
    let t = &report.tally;
    Ok(views::CountTally {
        count: views::StreetCount::new(&report.count, report.sightings.len()),
        total: t.total,
        sightings: t.sightings,
        duplicates_removed: t.duplicates_removed,
        by_gender: t.by_gender.clone(),
        by_age_band: t.by_age_band.clone(),
        by_nationality: t.by_nationality.clone(),
        possible_duplicates: report
            .possible_duplicates
            .iter()
            .map(|p| views::PossibleDuplicate { a: p.a, b: p.b, reason: p.reason })
            .collect(),
        sighting_list: report
            .sightings
            .iter()
            .map(|s| views::Sighting::new(s, s.body.client_id.and_then(|c| names.get(&c).cloned().flatten())))
            .collect(),
    })
}

impl Desk {
    /// Every street count on this laptop, open ones first, newest first.
    pub fn counts(&self) -> DeskResult<Vec<views::StreetCount>> {
        self.with_store(|store| {
            let sightings = store.sightings_per_count()?;
            let mut counts: Vec<views::StreetCount> = store
                .all::<d::StreetCount>()?
                .iter()
                .map(|c| views::StreetCount::new(c, sightings.get(&c.meta.id).copied().unwrap_or(0)))
                .collect();
            counts.sort_by(|a, b| {
                (a.status == d::CountStatus::Closed)
                    .cmp(&(b.status == d::CountStatus::Closed))
                    .then(b.window_start.cmp(&a.window_start))
            });
            Ok(counts)
        })
    }

    /// Starts a count for an area (tonight, from now, unless told otherwise).
    pub fn start_count(&self, input: StartCountInput) -> DeskResult<views::StreetCount> {
        self.with_store(|store| {
            let now = Utc::now().fixed_offset();
            let window_start = input.window_start.unwrap_or(now);
            let window_end = input.window_end.unwrap_or(window_start + Duration::hours(DEFAULT_WINDOW_HOURS));
            let team: Vec<String> = input
                .team
                .unwrap_or_default()
                .into_iter()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect();
            let record = store.create(d::StreetCount {
                area: input.area.trim().to_string(),
                night_of: input.night_of.unwrap_or_else(|| window_start.date_naive()),
                window_start,
                window_end,
                team: if team.is_empty() { vec![store.user().to_string()] } else { team },
                approach: input.approach.unwrap_or_default(),
                status: d::CountStatus::Open,
                closed_at: None,
            })?;
            Ok(views::StreetCount::new(&record, 0))
        })
    }

    /// Records a sighting on an open count.
    pub fn record_sighting(&self, count_id: Uuid, input: SightingInput) -> DeskResult<views::Sighting> {
        self.with_store(|store| {
            let record = store.record_sighting(d::Sighting {
                count_id,
                seen_at: input.seen_at.unwrap_or_else(|| Utc::now().fixed_offset()),
                location: input.location.trim().to_string(),
                coordinates: None,
                gender: input.gender.unwrap_or_default(),
                age_band: input.age_band.unwrap_or_default(),
                nationality: input.nationality.unwrap_or_default(),
                rough_sleeping: input.rough_sleeping.unwrap_or(true),
                known_to_services: input.known_to_services.unwrap_or(input.client_id.is_some()),
                client_id: input.client_id,
                same_as: input.same_as,
                notes: input.notes.map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).map(Into::into),
                recorded_by: store.user().to_string(),
                amends: None,
            })?;
            let name = match record.body.client_id {
                Some(client) => store.client_display_name(client)?,
                None => None,
            };
            Ok(views::Sighting::new(&record, name))
        })
    }

    /// The running tally of a count: people counted once each, possible duplicates.
    pub fn count_tally(&self, count_id: Uuid) -> DeskResult<views::CountTally> {
        self.with_store(|store| tally(store, count_id))
    }

    /// Closes a count and returns the area's return (closing twice changes nothing).
    pub fn close_count(&self, count_id: Uuid) -> DeskResult<views::CountTally> {
        self.with_store(|store| {
            let count = store.get::<d::StreetCount>(count_id)?;
            if count.body.status == d::CountStatus::Open {
                store.update::<d::StreetCount>(count_id, |c| {
                    c.status = d::CountStatus::Closed;
                    c.closed_at = Some(Utc::now());
                })?;
            }
            tally(store, count_id)
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::ErrorKind;
    use crate::inputs::*;
    use crate::testing::desk;
    use outreach_domain::{AgeBand, CountStatus, Gender};

    #[test]
    fn count_sightings_tally_and_close() {
        let (_dir, desk) = desk();
        let client = desk
            .add_client(ClientInput {
                name: Some("Known Person".into()),
                area: "Liverpool".into(),
                ..Default::default()
            })
            .unwrap();
        let count = desk.start_count(StartCountInput { area: "liverpool".into(), ..Default::default() }).unwrap();
        assert_eq!(
            (count.area.as_str(), count.status, count.team.clone()),
            ("Liverpool", CountStatus::Open, vec!["amy.w".to_string()])
        );

        let sighting = |location: &str, client_id| SightingInput {
            location: location.into(),
            gender: Some(Gender::Male),
            age_band: Some(AgeBand::From26),
            client_id,
            ..Default::default()
        };
        let first = desk.record_sighting(count.id, sighting("Lime St doorway", Some(client.id))).unwrap();
        assert!(first.known_to_services);
        assert_eq!(first.client_name.as_deref(), Some("Known Person"));
        desk.record_sighting(count.id, sighting("lime st  doorway", None)).unwrap();
        desk.record_sighting(count.id, sighting("Church St", None)).unwrap();

        let tally = desk.count_tally(count.id).unwrap();
        assert_eq!(tally.sightings, 3);
        assert_eq!(tally.possible_duplicates.len(), 1, "alike and at the same place");
        assert_eq!(desk.counts().unwrap()[0].sightings, 3);

        let closed = desk.close_count(count.id).unwrap();
        assert_eq!(closed.count.status, CountStatus::Closed);
        assert_eq!(closed.total, tally.total);
        let refused = desk.record_sighting(count.id, sighting("Bold St", None)).unwrap_err();
        assert_eq!(refused.kind, ErrorKind::Invalid);
        assert_eq!(
            desk.close_count(count.id).unwrap().count.closed_at,
            closed.count.closed_at,
            "closing twice changes nothing"
        );
    }
}
