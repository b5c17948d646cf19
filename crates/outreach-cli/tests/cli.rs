//! The `outreach` binary end to end: real processes, a real encrypted store
//! in a temporary folder, JSON output read back.

use serde_json::Value;
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

const PASS: &str = "cli test passphrase";

fn outreach(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_outreach"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("OUTREACH_PASSPHRASE", PASS)
        .env_remove("OUTREACH_DATA_DIR")
        .output()
        .unwrap()
}

/// Runs with `--json`, asserts success and returns the parsed stdout.
fn json(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = outreach(dir, &all);
    assert!(out.status.success(), "outreach {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?} printed no JSON: {e}"))
}

fn id(value: &Value) -> String {
    value["meta"]["id"].as_str().expect("a record with an id").to_string()
}

fn init() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    json(dir.path(), &["init", "--user", "amy.w"]);
    dir
}

#[test]
fn a_wrong_passphrase_fails_with_its_own_exit_code_and_a_readable_error() {
    let dir = init();
    let out = Command::new(env!("CARGO_BIN_EXE_outreach"))
        .args(["--json", "--data-dir"])
        .arg(dir.path())
        .args(["client", "list"])
        .env("OUTREACH_PASSPHRASE", "not the right one")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(out.stdout.is_empty());
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert!(err["error"].as_str().unwrap().contains("wrong passphrase"));
}

#[test]
fn login_refuses_plain_http_to_another_machine() {
    let dir = init();
    let out = Command::new(env!("CARGO_BIN_EXE_outreach"))
        .args(["--json", "--data-dir"])
        .arg(dir.path())
        .args(["login", "--server", "http://192.0.2.1:9", "--user", "amy.w"])
        .env("OUTREACH_PASSPHRASE", PASS)
        .env("OUTREACH_PASSWORD", "server password")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    let message = err["error"].as_str().unwrap();
    assert!(message.contains("plain http://") && message.contains("https://"), "{message}");
}

#[test]
fn a_day_of_work_through_the_cli() {
    let dir = init();
    let d = dir.path();
    let client = json(
        d,
        &[
            "client",
            "add",
            "--name",
            "Marek Nowakowski",
            "--alias",
            "Marek Nowak",
            "--dob",
            "12/03/1979",
            "--area",
            "st helens",
            "--need",
            "substance-use",
            "--need",
            "offending",
            "--living",
            "rough_sleeping",
            "--flag",
            "Do not visit alone",
        ],
    );
    let cid = id(&client);
    assert_eq!(client["body"]["area"], "St Helens", "area stored in its configured spelling");
    let risk = json(
        d,
        &[
            "risk",
            "add",
            &cid,
            "--to-self",
            "medium",
            "--to-others",
            "high",
            "--from-others",
            "low",
            "--safeguarding",
            "low",
            "--plan",
            "Visit in pairs",
        ],
    );
    assert_eq!(risk["body"]["status"], "completed");
    // a completed assessment cannot be completed (edited) again
    let out = outreach(d, &["risk", "complete", &id(&risk)]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("amendment"));
    json(
        d,
        &[
            "contact",
            "add",
            &cid,
            "--type",
            "outreach_shift",
            "--purpose",
            "street_encounter",
            "--notes",
            "Seen at the bus station",
            "--bedded-down",
        ],
    );
    let plan = json(d, &["plan", "create", &cid, "--agency", "Housing First", "--agency", "Probation"]);
    json(
        d,
        &["plan", "goal", &id(&plan), "--text", "Register with a GP", "--term", "short", "--area", "physical_health"],
    );
    json(d, &["plan", "score", &cid, "--area", "accommodation", "--score", "2", "--on", "2026-01-05"]);
    json(d, &["plan", "score", &cid, "--area", "accommodation", "--score", "5", "--on", "2026-03-05"]);
    json(d, &["caseload", "assign", &cid, "--worker", "ben.k"]);

    let show = json(d, &["client", "show", &cid[..13]]);
    assert_eq!(show["client"]["body"]["safety_flags"][0]["text"], "Do not visit alone");
    assert_eq!(show["eligibility"]["multiple_needs"], "met");
    assert_eq!(show["latest_risk"]["body"]["to_others"]["level"], "high");
    assert_eq!(show["recent_contacts"].as_array().unwrap().len(), 1);
    assert_eq!(show["goals"].as_array().unwrap().len(), 1);
    let text = String::from_utf8(outreach(d, &["plan", "show", &cid]).stdout).unwrap();
    assert!(text.contains("movement +3"), "{text}");

    let hits = json(d, &["client", "search", "marek nowakowsky"]);
    assert_eq!(hits[0]["id"], cid.as_str());
    let mine = json(d, &["caseload", "list", "--worker", "ben.k"]);
    assert_eq!(mine.as_array().unwrap().len(), 1);

    let export_path = d.join("sar.json");
    json(d, &["export", "client", &cid, "--out", export_path.to_str().unwrap()]);
    let export: Value = serde_json::from_slice(&fs::read(&export_path).unwrap()).unwrap();
    assert_eq!(export["client"]["body"]["name"], "Marek Nowakowski");
    assert!(export["records"].as_array().unwrap().len() >= 6);
    assert!(export["audit"].as_array().unwrap().iter().any(|e| e["action"] == "export"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(fs::metadata(&export_path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let audit = json(d, &["audit", "--client", &cid]);
    let actions: Vec<&str> = audit.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"read") && actions.contains(&"create"), "{actions:?}");
}

#[test]
fn a_street_count_with_a_duplicate_counts_each_person_once() {
    let dir = init();
    let d = dir.path();
    let client = id(&json(d, &["client", "add", "--description", "tall, red jacket", "--area", "Liverpool"]));
    let count = id(&json(d, &["count", "start", "--area", "Liverpool", "--night", "2026-11-12"]));
    json(
        d,
        &[
            "count",
            "sight",
            &count,
            "--location",
            "Lime St",
            "--gender",
            "male",
            "--age-band",
            "from26",
            "--client",
            &client,
        ],
    );
    json(
        d,
        &[
            "count",
            "sight",
            &count,
            "--location",
            "Bold St",
            "--gender",
            "male",
            "--age-band",
            "from26",
            "--client",
            &client,
        ],
    );
    json(
        d,
        &[
            "count",
            "sight",
            &count,
            "--location",
            "Church St",
            "--gender",
            "female",
            "--age-band",
            "from18_to25",
            "--nationality",
            "eu",
        ],
    );
    json(d, &["count", "sight", &count, "--location", "Church St", "--gender", "female", "--not-rough-sleeping"]);
    let report = json(d, &["count", "report", &count]);
    assert_eq!(report["tally"]["total"], 2);
    assert_eq!(report["tally"]["by_gender"]["male"], 1);
    assert_eq!(report["tally"]["by_gender"]["female"], 1);
    assert_eq!(report["tally"]["duplicates_removed"], 1);
    assert!(!report["possible_duplicates"].as_array().unwrap().is_empty());
    json(d, &["count", "close", &count]);
    let out = outreach(d, &["count", "sight", &count, "--location", "Late St"]);
    assert!(!out.status.success(), "a closed count takes no new sightings");
    assert!(String::from_utf8_lossy(&out.stderr).contains("closed"));
}

#[test]
fn a_csv_import_with_bad_rows_reports_every_row_and_imports_nothing() {
    let dir = init();
    let d = dir.path();
    let bad = d.join("bad.csv");
    fs::write(
        &bad,
        "name,aliases,date_of_birth,gender,area,needs,living_situation\n\
         Ann Example,Annie;Ann E,1970-05-01,female,Wirral,mental_health;debt,hostel\n\
         Bob Example,,31/02/1980,male,Wirral,,rough_sleeping\n\
         Cat Example,,1985-01-01,cat,Narnia,flying,castle\n\
         Dan Example,,1990-01-01,male,Halton,offending,prison\n",
    )
    .unwrap();
    let out = outreach(d, &["import", "clients", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nothing was imported"), "{err}");
    assert!(err.contains("row 2 (line 3), date_of_birth"), "{err}");
    for column in ["gender", "area", "needs", "living_situation"] {
        assert!(err.contains(&format!("row 3 (line 4), {column}")), "missing {column}: {err}");
    }
    assert!(!err.contains("row 1") && !err.contains("row 4"), "{err}");
    assert_eq!(json(d, &["client", "list"]).as_array().unwrap().len(), 0, "a bad file changed the store");

    let unknown = d.join("unknown.csv");
    fs::write(&unknown, "name,area,shoe_size\nEve Example,Wirral,9\n").unwrap();
    let out = outreach(d, &["import", "clients", unknown.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown column(s) 'shoe_size'"));

    let good = d.join("good.csv");
    fs::write(
        &good,
        "name,aliases,date_of_birth,gender,area,needs,living_situation\n\
         Ann Example,Annie;Ann E,1970-05-01,female,Wirral,mental_health;debt,hostel\n\
         Bob Example,,28/02/1980,male,wirral,,rough_sleeping\n",
    )
    .unwrap();
    let dry = json(d, &["import", "clients", good.to_str().unwrap(), "--dry-run"]);
    assert_eq!(dry["checked"], 2);
    assert_eq!(json(d, &["client", "list"]).as_array().unwrap().len(), 0);
    let done = json(d, &["import", "clients", good.to_str().unwrap()]);
    assert_eq!(done["imported"], 2);
    let hits = json(d, &["client", "search", "annie"]);
    assert_eq!(hits[0]["display_name"], "Ann Example");
}

#[test]
fn demo_data_fills_a_new_store() {
    let dir = tempfile::tempdir().unwrap();
    let out =
        json(dir.path(), &["demo", "--clients", "120", "--contacts-per-client", "2", "--init-user", "demo.worker"]);
    assert_eq!(out["clients"], 120);
    assert_eq!(out["contacts"], 240);
    let info = json(dir.path(), &["store", "info"]);
    assert_eq!(info["records"]["client"], 120);
    assert_eq!(info["user"], "demo.worker");
    assert!(info["pending_changes"].as_u64().unwrap() > 240);
}

#[test]
fn duplicates_merge_and_unmerge_through_the_cli() {
    let dir = init();
    let d = dir.path();
    let add = |name: &str, area: &str| {
        id(&json(d, &["client", "add", "--name", name, "--dob", "1979-03-12", "--area", area, "--gender", "male"]))
    };
    let jon = add("Jon Smith", "Liverpool");
    let john = add("John Smith", "Sefton");
    let pairs = json(d, &["client", "duplicates"]);
    assert_eq!(pairs.as_array().unwrap().len(), 1, "{pairs}");
    let reasons = pairs[0]["likeness"]["reasons"].as_array().unwrap();
    assert!(reasons.iter().any(|r| r == "same date of birth"), "{reasons:?}");

    let merged = json(d, &["client", "merge", &jon, "--into", &john]);
    assert_eq!(merged["body"]["merged_into"], Value::from(john.clone()));
    assert_eq!(merged["body"]["area"], "Sefton");
    assert!(json(d, &["client", "duplicates"]).as_array().unwrap().is_empty());
    let shown = json(d, &["client", "show", &jon]);
    assert_eq!(shown["client"]["meta"]["id"], Value::from(john.clone()));
    assert_eq!(shown["opened_as"], Value::from(jon.clone()));
    assert!(!outreach(d, &["client", "merge", &john, "--into", &jon]).status.success(), "a loop is refused");

    let back = json(d, &["client", "unmerge", &jon]);
    assert_eq!(back["body"]["merged_into"], Value::Null);
    assert_eq!(back["body"]["area"], "Liverpool");
    json(d, &["client", "not-same", &jon, "--other", &john]);
    assert!(json(d, &["client", "duplicates", "--of", &john]).as_array().unwrap().is_empty());
}
