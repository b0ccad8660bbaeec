#![doc = include_str!("../README.md")]

mod auth;
mod bulk;
mod form;
mod handlers;
mod middleware;
mod routes;
mod session;
mod state;
mod views;

pub use routes::router;
pub use state::{JournalistAppConfig, JournalistState};
