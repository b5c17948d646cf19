//! The numbered SQL migrations of each backend, from `migrations/server/`.
//! Applied in order by [`crate::Database::migrate`] and tracked in the
//! `schema_migrations` table; a migration is never edited once released,
//! only followed by a new one.

/// One migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// Its number (1, 2, ...), stored in `schema_migrations.version`.
    pub version: u32,
    /// The file's name without `.sql`.
    pub name: &'static str,
    /// The SQL.
    pub sql: &'static str,
}

/// One migration of `$backend`, read from `migrations/server/$backend/$name.sql`.
macro_rules! migration {
    ($backend:literal, $version:literal, $name:literal) => {
        Migration {
            version: $version,
            name: $name,
            sql: include_str!(concat!("../../../migrations/server/", $backend, "/", $name, ".sql")),
        }
    };
}

/// SQLite migrations, in order.
pub const SQLITE: &[Migration] = &[
    migration!("sqlite", 1, "0001_init"),
    migration!("sqlite", 2, "0002_reports"),
    migration!("sqlite", 3, "0003_merges"),
    migration!("sqlite", 4, "0004_login_failures"),
    migration!("sqlite", 5, "0005_unreadable"),
];

/// PostgreSQL migrations, in order.
pub const POSTGRES: &[Migration] = &[
    migration!("postgres", 1, "0001_init"),
    migration!("postgres", 2, "0002_reports"),
    migration!("postgres", 3, "0003_merges"),
    migration!("postgres", 4, "0004_login_failures"),
    migration!("postgres", 5, "0005_unreadable"),
];

/// The newest version in `list`.
pub fn latest(list: &[Migration]) -> u32 {
    list.iter().map(|m| m.version).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_consecutive_and_both_backends_agree() {
        for list in [SQLITE, POSTGRES] {
            for (i, m) in list.iter().enumerate() {
                assert_eq!(m.version as usize, i + 1, "{}", m.name);
                assert!(m.name.starts_with(&format!("{:04}_", m.version)), "{}", m.name);
            }
        }
        let names = |l: &[Migration]| l.iter().map(|m| m.name).collect::<Vec<_>>();
        assert_eq!(names(SQLITE), names(POSTGRES));
    }

    /// Migration 3 fills `client_merges` from the merges already stored:
    /// chains followed to their end, a cycle to its lowest id.
    #[test]
    fn merges_already_stored_are_followed_to_their_person() {
        let conn = rusqlite::Connection::open_in_memory().expect("open");
        for m in &SQLITE[..2] {
            conn.execute_batch(m.sql).expect(m.name);
        }
        let id = |n: u128| uuid::Uuid::from_u128(n).to_string();
        // 1 -> 2 -> 3; 4 <-> 5 with 6 -> 4; 7 stands alone; 8 is erased
        let links = [(1, Some(2)), (2, Some(3)), (3, None), (4, Some(5)), (5, Some(4)), (6, Some(4)), (7, None)];
        for (i, (n, into)) in links.iter().chain(&[(8, Some(1))]).enumerate() {
            let data = serde_json::json!({"area": "wirral", "merged_into": into.map(id)});
            conn.execute(
                "INSERT INTO records (id, kind, client_id, area, data, version, seq, erased, hlc, updated_at, \
                 updated_by, device) VALUES (?1, 'client', ?1, 'wirral', ?2, 1, ?3, ?4, 'h', 't', 'u', ?1)",
                rusqlite::params![id(*n), data.to_string(), i as i64 + 1, *n == 8],
            )
            .expect("insert");
        }
        conn.execute_batch(SQLITE[2].sql).expect("migrate");
        let mut stmt = conn.prepare("SELECT client_id, person_id FROM client_merges ORDER BY client_id").expect("sql");
        let got: Vec<(String, String)> =
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).expect("query").map(|r| r.expect("row")).collect();
        let want: Vec<(String, String)> =
            [(1, 3), (2, 3), (4, 4), (5, 4), (6, 4)].iter().map(|(a, b)| (id(*a), id(*b))).collect();
        assert_eq!(got, want);
    }
}
