//! The API's endpoints, one module per resource; each handler is a thin
//! call into [`outreach_server_db::Database`].

pub mod conflicts;
pub mod health;
pub mod login;
pub mod openapi;
pub mod records;
pub mod reports;
pub mod sync;
