//! One test suite, run against both backends: every test in `suite` runs
//! once on a fresh SQLite file and once on a fresh PostgreSQL database.

mod suite;

macro_rules! on_both_backends {
    ($($module:ident :: $name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    outreach_server_db::testing::run(outreach_server_db::Backend::Sqlite, crate::suite::$module::$name).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    outreach_server_db::testing::run(outreach_server_db::Backend::Postgres, crate::suite::$module::$name).await;
                }
            )*
        }
    };
}

on_both_backends!(
    accounts::migrate_twice_is_a_no_op,
    accounts::user_team_device_lifecycle,
    accounts::password_check,
    accounts::token_lookup_and_revoke,
    accounts::audit_rows_cannot_be_updated_or_deleted,
    sync::idempotent_push,
    sync::field_merge_and_conflict_via_decide,
    sync::a_late_resolution_does_not_overwrite_a_later_edit,
    sync::delete_vs_concurrent_edit_is_flagged,
    sync::rejections,
    sync::pull_paging_and_cursor_exactness,
    sync::pull_pages_serialise_exactly_as_the_protocol_type,
    scope::scope_filtering_by_area_and_role,
    scope::caseload_grants_and_drops,
    scope::moving_a_client_moves_its_records,
    scope::street_counts_and_sightings_by_area,
    scope::merged_clients_follow_each_other_onto_caseloads,
    privacy::client_export_holds_everything_on_one_client,
    privacy::erasure_reaches_every_device,
    group::queued_pushes_are_applied_together_each_with_its_own_results,
    group::one_failing_push_does_not_fail_its_group,
    group::a_batch_sees_its_own_writes,
);
