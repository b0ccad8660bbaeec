//! One module per subcommand.

pub(crate) mod decrypt;
pub(crate) mod inspect;
pub(crate) mod keygen;
pub(crate) mod scrub;

/// How a command that ran ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Done {
    /// Every input was handled.
    All,
    /// Some inputs failed; the table says which and why.
    Partly,
}

impl Done {
    pub(crate) fn from_failures(failures: usize) -> Self {
        if failures == 0 { Self::All } else { Self::Partly }
    }
}

/// A write to the output stream failed (a closed pipe): nothing more to say.
pub(crate) fn out_err(cause: std::io::Error) -> crate::SvsError {
    crate::SvsError::Write { path: "standard output".to_owned(), cause }
}
