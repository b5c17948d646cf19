//! Migrations, teams, users, devices, passwords and the audit log.

use super::fixtures::{PASSWORD, client, person, push_one, world};
use outreach_protocol::api::Role;
use outreach_server_db::credentials::{DeviceToken, hash_token, verify_password};
use outreach_server_db::testing::TestDb;
use outreach_server_db::{AuditEntry, Backend, DbError, NewUser};
use uuid::Uuid;

pub async fn migrate_twice_is_a_no_op(t: TestDb) {
    let db = t.db();
    assert_eq!(db.migrate().await.expect("again"), Vec::<u32>::new());
    assert_eq!(db.migrate().await.expect("and again"), Vec::<u32>::new());
    assert!(db.teams().await.expect("teams").is_empty());
}

pub async fn user_team_device_lifecycle(t: TestDb) {
    let db = t.db();
    let team = db.add_team("Liverpool Outreach", &["Liverpool".into(), " Sefton ".into()]).await.expect("team");
    assert_eq!(team.areas, vec!["Liverpool".to_string(), "Sefton".to_string()]);
    assert!(matches!(db.add_team("Liverpool Outreach", &[]).await, Err(DbError::AlreadyExists { what: "team", .. })));
    assert!(matches!(db.add_team("  ", &[]).await, Err(DbError::Invalid(_))));

    let new = |name: &str, teams: Vec<String>| NewUser {
        name: name.into(),
        password_hash: super::fixtures::password_hash(),
        roles: vec![Role::Worker, Role::TeamLead],
        teams,
    };
    let err = db.add_user(new("amy", vec!["No Such Team".into()])).await.expect_err("unknown team");
    assert!(matches!(err, DbError::NotFound { what: "team", .. }), "{err}");
    assert!(db.user("amy").await.expect("lookup").is_none(), "a failed add leaves nothing behind");
    let amy = db.add_user(new("amy", vec!["Liverpool Outreach".into()])).await.expect("user");
    assert_eq!(amy.teams, vec!["Liverpool Outreach".to_string()]);
    assert_eq!(amy.roles.len(), 2);
    assert!(!amy.disabled);
    assert!(!format!("{amy:?}").contains(&amy.password_hash), "debug output hides the hash");
    assert!(matches!(db.add_user(new("amy", vec![])).await, Err(DbError::AlreadyExists { what: "user", .. })));
    let bob = db.add_user(new("bob", vec![])).await.expect("user without a team");
    let names: Vec<String> = db.users().await.expect("users").into_iter().map(|u| u.name).collect();
    assert_eq!(names, vec!["amy", "bob"]);

    let disabled = db.set_user_disabled("amy", true).await.expect("disable");
    assert!(disabled.disabled);
    assert!(db.user("amy").await.expect("lookup").expect("amy").disabled);
    assert!(!db.set_user_disabled("amy", false).await.expect("enable").disabled);
    assert!(matches!(db.set_user_disabled("nobody", true).await, Err(DbError::NotFound { .. })));

    let laptop = Uuid::now_v7();
    let device = db.register_device(amy.id, laptop, "LAPTOP-17", "h1").await.expect("device");
    assert_eq!((device.id, device.user.as_str(), device.name.as_str()), (laptop, "amy", "LAPTOP-17"));
    // signing in again from the same laptop replaces the token
    db.register_device(amy.id, laptop, "LAPTOP-17", "h2").await.expect("again");
    assert!(db.device_by_token("h1").await.expect("lookup").is_none(), "the old token stops working");
    assert_eq!(db.device_by_token("h2").await.expect("lookup").expect("found").device.id, laptop);
    let err = db.register_device(bob.id, laptop, "LAPTOP-17", "h3").await.expect_err("someone else's laptop");
    assert!(matches!(err, DbError::DeviceOfAnotherUser(id) if id == laptop));
    assert_eq!(db.devices().await.expect("devices").len(), 1);
}

pub async fn password_check(t: TestDb) {
    let db = t.db();
    let w = world(&*db).await;
    let amy = db.user(&w.amy.user).await.expect("lookup").expect("amy");
    assert!(amy.password_hash.starts_with("$argon2id$"));
    assert!(verify_password(PASSWORD, &amy.password_hash));
    assert!(!verify_password("correct horse battery stapler", &amy.password_hash));
    assert!(db.user("nobody").await.expect("lookup").is_none());
}

pub async fn token_lookup_and_revoke(t: TestDb) {
    let db = t.db();
    db.add_team("Wirral Outreach", &["Wirral".into()]).await.expect("team");
    let actor = person(&*db, "wes", &[Role::Worker], &["Wirral Outreach"]).await;
    let token = DeviceToken::generate().expect("token");
    let laptop = Uuid::now_v7();
    db.register_device(actor.user_id, laptop, "WIRRAL-02", &token.hash()).await.expect("device");

    let login = db.device_by_token(&hash_token(token.secret())).await.expect("lookup").expect("found");
    assert_eq!(login.device.id, laptop);
    assert_eq!(login.roles, vec![Role::Worker]);
    assert!(!login.user_disabled && login.device.revoked_at.is_none());
    assert_eq!(login.actor().user, "wes");
    assert!(db.device_by_token(&hash_token("guessed")).await.expect("lookup").is_none());

    let seen = chrono::Utc::now();
    db.touch_device(laptop, seen).await.expect("touch");
    let revoked = db.revoke_device(laptop, Some("stolen from the van")).await.expect("revoke");
    assert!(revoked.revoked_at.is_some());
    assert_eq!(revoked.revoke_reason.as_deref(), Some("stolen from the van"));
    assert!(revoked.last_seen.is_some());
    let login = db.device_by_token(&token.hash()).await.expect("lookup").expect("still found, as revoked");
    assert!(login.device.revoked_at.is_some());
    let err = db.register_device(actor.user_id, laptop, "WIRRAL-02", "new").await.expect_err("revoked");
    assert!(matches!(err, DbError::DeviceRevoked(id) if id == laptop));
    assert!(matches!(db.revoke_device(Uuid::now_v7(), None).await, Err(DbError::NotFound { what: "device", .. })));
}

pub async fn audit_rows_cannot_be_updated_or_deleted(t: TestDb) {
    let db = t.db();
    let w = world(&*db).await;
    let id = Uuid::now_v7();
    push_one(&*db, &w.amy, client(&w.amy, id, "Liverpool")).await;
    db.append_audit(&[AuditEntry::now("login", Some("amy"), Some(w.amy.device))]).await.expect("append");
    let before = db.audit_log(None, 1000).await.expect("audit");
    assert!(before.len() >= 2);
    assert_eq!(db.audit_log(Some(id), 10).await.expect("audit")[0].entry.action, "push");

    for sql in ["UPDATE audit_log SET action = 'nothing to see'", "DELETE FROM audit_log"] {
        let err = t.execute_raw(sql).await.expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    if db.backend() == Backend::Postgres {
        let err = t.execute_raw("TRUNCATE audit_log").await.expect_err("truncate");
        assert!(err.to_string().contains("append-only"), "{err}");
    }
    assert_eq!(db.audit_log(None, 1000).await.expect("audit"), before);
}
