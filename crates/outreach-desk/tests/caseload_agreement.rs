//! The desk's caseload pages and totals (index page + SQL count, see
//! `Store::caseload_page`) agree with filtering the whole list in memory.

use chrono::Duration;
use outreach_domain::{Need, RiskLevel};
use outreach_store::store::desk_queries::ExtraFilter;
use outreach_store::{ClientFilter, ClientSummary, Store};
use uuid::Uuid;

#[test]
fn count_and_page_agree_with_the_full_list() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::init(dir.path(), "desk queries test passphrase", "amy.w").unwrap();
    let today = outreach_synth::today();
    let mut generator = outreach_synth::Generator::new(7, today);
    outreach_synth::populate(&mut store, &mut generator, 400, 1, |_| {}).unwrap();
    let filters = [
        ClientFilter::default(),
        ClientFilter { worker: Some("AMY.W".into()), ..Default::default() },
        ClientFilter { area: Some("liverpool".into()), min_risk: Some(RiskLevel::Medium), ..Default::default() },
        ClientFilter { overdue_review: true, need: Some(Need::MentalHealth), ..Default::default() },
        ClientFilter { include_closed: true, ..Default::default() },
    ];
    let extras = [
        ExtraFilter::default(),
        ExtraFilter { flagged: true, episode_ending_by: None },
        ExtraFilter { flagged: false, episode_ending_by: Some(today + Duration::days(14)) },
    ];
    let mut nonzero = 0;
    for filter in &filters {
        for extra in &extras {
            let all: Vec<ClientSummary> = store
                .list_clients(filter, today, 0, usize::MAX)
                .unwrap()
                .into_iter()
                .filter(|s| extra.matches(s))
                .collect();
            let (page, total) = store.caseload_page(filter, extra, today, 3, 7).unwrap();
            assert_eq!(total, all.len(), "{filter:?} {extra:?}");
            let expected: Vec<Uuid> = all.iter().skip(3).take(7).map(|s| s.id).collect();
            assert_eq!(page.iter().map(|s| s.id).collect::<Vec<_>>(), expected, "{filter:?} {extra:?}");
            nonzero += usize::from(total > 0);
        }
    }
    assert!(nonzero >= 10, "the synthetic data exercises most combinations ({nonzero})");
}
