//! The same person recorded twice: possible duplicates, side-by-side
//! comparison, merge, undo and 'not the same person'.

use crate::views;
use crate::{Desk, DeskError, DeskResult, today};
use outreach_domain::duplicates::{self, Comparison};
use outreach_domain::{Client, Contact};
use uuid::Uuid;

/// Most pairs the 'Possible duplicates' list shows.
pub const MAX_SUGGESTIONS: usize = 100;

impl Desk {
    /// Likely duplicate pairs across the clients on this laptop, most alike first.
    pub fn duplicate_suggestions(&self) -> DeskResult<Vec<views::DuplicatePair>> {
        self.with_store(|store| {
            Ok(store.duplicate_suggestions(MAX_SUGGESTIONS)?.iter().map(views::DuplicatePair::from).collect())
        })
    }

    /// Clients that may be the same person as `id`, for the banner on its page.
    pub fn client_duplicates(&self, id: Uuid) -> DeskResult<Vec<views::DuplicatePair>> {
        self.with_store(|store| Ok(store.duplicates_of(id)?.iter().map(views::DuplicatePair::from).collect()))
    }

    /// Two clients side by side with the evidence for and against their
    /// being one person. Both reads are audited.
    pub fn compare_clients(&self, left: Uuid, right: Uuid) -> DeskResult<views::DuplicateComparison> {
        self.with_store(|store| {
            let today = today();
            let a = store.get::<Client>(left)?;
            let b = store.get::<Client>(right)?;
            let contacts = |id| store.list_for_client::<Contact>(id, None).map(|c| c.len());
            let (left_contacts, right_contacts) = (contacts(left)?, contacts(right)?);
            let (score, reasons, ruled_out) = match duplicates::compare(left, &a.body, right, &b.body) {
                Comparison::Likely(l) | Comparison::Unlikely(l) => (l.score, l.reasons, None),
                Comparison::RuledOut { reason } => (0.0, vec![], Some(reason)),
            };
            Ok(views::DuplicateComparison {
                left: views::ClientProfile::from_record(&a, today),
                left_contacts,
                right: views::ClientProfile::from_record(&b, today),
                right_contacts,
                score: (score * 100.0).round().clamp(0.0, 100.0) as u8,
                reasons: reasons.into_iter().map(|r| r.into_inner()).collect(),
                ruled_out,
            })
        })
    }

    /// Merges client `merged` into `into` (the survivor): one person from
    /// now on, on every laptop once synced. Returns the survivor's page.
    pub fn merge_clients(&self, merged: Uuid, into: Uuid) -> DeskResult<views::MergeDone> {
        if merged == into {
            return Err(DeskError::invalid("into", "choose two different clients"));
        }
        self.with_store(|store| {
            let today = today();
            store.merge_clients(merged, into)?;
            let survivor = views::ClientOverview::new(&store.client_overview(into, today)?, today);
            Ok(views::MergeDone { merged_id: merged, survivor })
        })
    }

    /// Undoes the merge of `merged`: its own person again. Returns its page.
    pub fn unmerge_client(&self, merged: Uuid) -> DeskResult<views::ClientOverview> {
        self.with_store(|store| {
            let today = today();
            store.unmerge_client(merged)?;
            Ok(views::ClientOverview::new(&store.client_overview(merged, today)?, today))
        })
    }

    /// Records that two clients are not the same person, so the pair is
    /// not suggested again.
    pub fn dismiss_duplicate(&self, client: Uuid, other: Uuid) -> DeskResult<()> {
        self.with_store(|store| {
            store.dismiss_duplicate(client, other)?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::inputs::*;
    use crate::testing::desk;
    use outreach_domain::Gender;

    fn add(desk: &crate::Desk, name: &str, area: &str) -> uuid::Uuid {
        desk.add_client(ClientInput {
            name: Some(name.into()),
            area: area.into(),
            gender: Some(Gender::Female),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1990, 4, 2),
            ..Default::default()
        })
        .unwrap()
        .id
    }

    #[test]
    fn suggest_compare_merge_undo_and_dismiss() {
        let (_dir, desk) = desk();
        let kate = add(&desk, "Kate Brown", "Liverpool");
        let katie = add(&desk, "Katie Brown", "Sefton");
        let other = add(&desk, "Katy Browne", "Liverpool");
        add(&desk, "Zara Ahmed", "Halton");

        let all = desk.duplicate_suggestions().unwrap();
        assert_eq!(all.len(), 3, "{all:?}");
        assert!(all.iter().all(|p| p.reasons.contains(&"same date of birth".to_string())));
        let mine = desk.client_duplicates(kate).unwrap();
        assert_eq!(mine.len(), 2);

        let side = desk.compare_clients(kate, katie).unwrap();
        assert_eq!((side.left.id, side.right.id), (kate, katie));
        assert!(side.reasons.iter().any(|r| r == "names alike: Kate Brown / Katie Brown"), "{:?}", side.reasons);
        assert!(side.ruled_out.is_none());

        desk.dismiss_duplicate(other, kate).unwrap();
        desk.dismiss_duplicate(other, katie).unwrap();
        assert_eq!(desk.duplicate_suggestions().unwrap().len(), 1);

        let done = desk.merge_clients(katie, kate).unwrap();
        assert_eq!(done.merged_id, katie);
        assert_eq!(done.survivor.profile.id, kate);
        assert_eq!(done.survivor.merged_from.len(), 1);
        assert!(done.survivor.merged_from[0].can_undo);
        let opened = desk.client_overview(katie).unwrap();
        assert_eq!((opened.profile.id, opened.opened_as), (kate, Some(katie)));
        assert!(desk.duplicate_suggestions().unwrap().is_empty());
        assert!(desk.merge_clients(kate, kate).is_err());

        let back = desk.unmerge_client(katie).unwrap();
        assert_eq!((back.profile.id, back.profile.area.as_str(), back.opened_as), (katie, "Sefton", None));
        assert_eq!(desk.duplicate_suggestions().unwrap().len(), 1);
    }
}
