//! Reports and returns built from the records Outreach syncs: the street
//! count (snapshot) return, the monthly Rough Sleeping Data Framework
//! figures, monthly monitoring for commissioners and the team lead's view
//! of each worker's caseload.
//!
//! This crate does no I/O. The server (`outreach-server-db`'s `reports`
//! module) gathers small per-person facts with SQL aggregation and hands
//! them here; every definition (who is 'new', who 'left an institution',
//! who sleeps rough 'long term'...) is written down once, in
//! [`definitions`], with its source, and applied by pure functions that are
//! tested on tables of cases.
//!
//! - [`snapshot`]: one local authority's count night, people counted once;
//! - [`framework`]: the monthly framework indicators;
//! - [`monitoring`]: commissioners' monthly monitoring;
//! - [`team`]: caseload, overdue reviews and episodes at their limit per worker;
//! - [`cell`]: figures as shown, with counts under 5 suppressed where the
//!   viewer may only see aggregates;
//! - [`export`]: CSV in stable, documented column layouts;
//! - [`chart`]: SVG line and bar charts; [`html`]: the printable return.

pub mod cell;
pub mod chart;
pub mod definitions;
pub mod error;
pub mod export;
pub mod framework;
pub mod html;
pub mod monitoring;
pub mod period;
pub mod snapshot;
pub mod team;

pub use cell::{Cell, Suppression};
pub use definitions::Definitions;
pub use error::ReportError;
pub use framework::{FrameworkFigures, MoveFacts, PersonFacts};
pub use monitoring::{MonitoringFigures, MonitoringInputs};
pub use period::Month;
pub use snapshot::SnapshotReturn;
pub use team::{CaseFacts, TeamView, WorkerRow};
