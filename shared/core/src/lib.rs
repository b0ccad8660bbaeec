#![doc = include_str!("../README.md")]

mod codename;
mod config;
mod designation;
mod error;
mod filename;
mod sensitive;

pub use codename::{CODENAME_WORDS, Codename, MAX_CODENAME_INPUT, ParseCodenameError, wordlist};
pub use config::{ConfigError, DEFAULT_MAX_UPLOAD_BYTES, InstanceConfig, LoggingConfig, PosternConfig, SourceConfig};
pub use designation::{Designation, journalist_filename};
pub use error::{ErrorKind, HasKind};
pub use filename::secure_filename;
pub use sensitive::Sensitive;
