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

/// SQLite migrations, in order.
pub const SQLITE: &[Migration] = &[
    Migration { version: 1, name: "0001_init", sql: include_str!("../../../migrations/server/sqlite/0001_init.sql") },
    Migration {
        version: 2,
        name: "0002_reports",
        sql: include_str!("../../../migrations/server/sqlite/0002_reports.sql"),
    },
];

/// PostgreSQL migrations, in order.
pub const POSTGRES: &[Migration] = &[
    Migration { version: 1, name: "0001_init", sql: include_str!("../../../migrations/server/postgres/0001_init.sql") },
    Migration {
        version: 2,
        name: "0002_reports",
        sql: include_str!("../../../migrations/server/postgres/0002_reports.sql"),
    },
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
}
