#![doc = include_str!("../README.md")]
#![cfg_attr(test, allow(clippy::disallowed_methods, reason = "tests write fixtures and time themselves"))]

mod api;
mod auth;
mod bulk;
mod error;
mod form;
mod handlers;
mod middleware;
mod routes;
mod session;
mod state;
mod throttle;
mod views;

pub use routes::router;
pub use state::{JournalistAppConfig, JournalistState};
