//! Sync rules shared by the server and the client engine, as pure functions
//! of their inputs so they can be tested on tables of cases.
//!
//! [`merge`] decides what a pushed change does to the server's copy of a
//! record: fields changed on one side only merge; two different edits to
//! the same field are kept as a conflict for a person to resolve; a delete
//! never swallows an edit it did not see; signed-off records only grow by
//! amendment.

pub mod merge;

pub use merge::{Decision, FieldConflict, Rejection, decide, is_signed_off};
