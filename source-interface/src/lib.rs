#![doc = include_str!("../README.md")]
#![cfg_attr(test, allow(clippy::disallowed_methods, reason = "tests write fixtures and time themselves"))]

mod admission;
mod body;
mod derivation;
mod error;
mod form;
mod handlers;
mod i18n;
mod middleware;
mod models;
mod routes;
mod session;
mod state;
mod upload;
mod views;

pub use routes::router;
pub use state::{SourceAppConfig, SourceState};
