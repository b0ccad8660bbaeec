//! Errors shown to the journalist: line 1 says what happened, line 2 what to do.

use std::process::ExitCode;

/// Why a command could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum SvsError {
    /// The key file could not be read.
    #[error("cannot read the key file {path}: {cause}\nCheck the path, or insert the drive that holds the key.")]
    KeyUnreadable {
        /// The path.
        path: String,
        /// Why.
        cause: std::io::Error,
    },
    /// The key file is not a usable secret key.
    #[error("{path}: {problem}\nPass the secret key made by `svs keygen` (submission-secret.asc).")]
    KeyUnusable {
        /// The path.
        path: String,
        /// Why.
        problem: postern_crypto::ViewingKeyProblem,
    },
    /// Wrong passphrase.
    #[error("the passphrase does not unlock {path}\nTry again; check the keyboard layout and Caps Lock.")]
    WrongPassphrase {
        /// The key path.
        path: String,
    },
    /// No terminal to ask on.
    #[error("no terminal to ask for the passphrase on\nRun svs in a terminal, or pass --passphrase-file FILE.")]
    NoTerminal,
    /// A passphrase file could not be read.
    #[error("cannot read the passphrase file {path}: {cause}\nCheck the path.")]
    PassphraseFile {
        /// The path.
        path: String,
        /// Why.
        cause: std::io::Error,
    },
    /// The passphrases typed do not match, or one is too short.
    #[error("{0}\nRun svs keygen again.")]
    Passphrase(&'static str),
    /// The output directory cannot be used.
    #[error("cannot use the output directory {path}: {cause}\nChoose another with --out.")]
    OutputDir {
        /// The path.
        path: String,
        /// Why.
        cause: std::io::Error,
    },
    /// keygen would replace key files.
    #[error("{path} already exists; refusing to replace a key\nChoose an empty directory with --out.")]
    WouldOverwrite {
        /// The path.
        path: String,
    },
    /// Writing a file failed.
    #[error("cannot write {path}: {cause}\nCheck free space and permissions.")]
    Write {
        /// The path.
        path: String,
        /// Why.
        cause: std::io::Error,
    },
    /// Key generation failed.
    #[error("cannot generate the key: {0}\nThis is a bug; please report it.")]
    Keygen(postern_crypto::CryptoError),
}

impl SvsError {
    /// Nothing was done: exit status 2.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(2)
    }
}
