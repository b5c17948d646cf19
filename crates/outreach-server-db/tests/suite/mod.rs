//! The backend-independent test suite; each function takes a fresh,
//! migrated [`outreach_server_db::testing::TestDb`].

pub mod accounts;
pub mod fixtures;
pub mod group;
pub mod privacy;
pub mod scope;
pub mod sync;
