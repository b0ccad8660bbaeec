#![doc = include_str!("../README.md")]
#![cfg_attr(test, allow(clippy::disallowed_methods, reason = "tests write fixtures and time themselves"))]

mod account;
mod clock;
mod codename;
mod designation;
mod error;
mod filename;
mod ids;
mod onion_address;
mod sensitive;
mod time;
mod token;

pub use account::{
    DEFAULT_ORGANIZATION_NAME, MAX_NAME_CHARS, RESERVED_USERNAME, is_valid_organization_name, is_valid_person_name,
    is_valid_username,
};
pub use clock::Clock;
pub use codename::{CODENAME_WORDS, Codename, MAX_CODENAME_INPUT, ParseCodenameError, wordlist};
pub use designation::{Designation, journalist_filename};
pub use error::{Bug, ErrorKind, HasKind};
pub use filename::secure_filename;
pub use ids::{JournalistId, SourceId};
pub use onion_address::{is_expected_host, is_v3_onion_host};
pub use sensitive::Sensitive;
pub use time::UtcDateTime;
pub use token::{constant_time_eq, random_token};
