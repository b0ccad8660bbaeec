#![doc = include_str!("../README.md")]

mod accounts;
mod error;
mod handlers;
mod i18n;
mod middleware;
mod routes;
mod session;
mod state;
mod upload;
mod views;

pub use routes::router;
pub use state::{AppState, SourceAppConfig};
