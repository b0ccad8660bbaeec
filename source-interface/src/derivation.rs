//! Creating sources and finding them by codename: the key-derivation work, bounded.

use postern_core::Codename;
use postern_crypto::{
    SealedSourceKey, SourceIdentity, SourceKeyPad, derive_source_identity_in, derive_source_public_key,
};
use postern_store::{NewSource, SourceRecord};

use std::sync::atomic::Ordering;

use crate::error::AppError;
use crate::state::SourceState;

/// A source found by its codename, with its key seed split for the session.
pub(crate) type FoundSource = (SourceRecord, SealedSourceKey, SourceKeyPad);

impl SourceState {
    /// Creates the source for a new codename: derives its lookup id and key pair and
    /// stores the public half.
    pub(crate) async fn create_source(&self, codename: &Codename) -> Result<FoundSource, AppError> {
        let copy = copy_codename(codename)?;
        self.with_derivation(move |app| {
            let identity = app.derive(&copy)?;
            let public = derive_source_public_key(&identity)?;
            let new = NewSource {
                lookup_id: &identity.lookup_id,
                public_key: &public.armored,
                fingerprint: &public.fingerprint,
            };
            let (sealed, pad) = identity.seal();
            Ok((app.inner.store.create_source(&new)?, sealed, pad))
        })
        .await
    }

    /// The source `codename` belongs to, if any.
    pub(crate) async fn find_source(&self, codename: Codename) -> Result<Option<FoundSource>, AppError> {
        self.with_derivation(move |app| {
            let identity = app.derive(&codename)?;
            let found = app.inner.store.find_source_by_lookup(&identity.lookup_id)?;
            Ok(found.map(|source| {
                let (sealed, pad) = identity.seal();
                (source, sealed, pad)
            }))
        })
        .await
    }

    /// Runs `work` on a blocking thread in the derivation queue: one at a time, a
    /// bounded number waiting, the rest "busy".
    async fn with_derivation<T, F>(&self, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&SourceState) -> Result<T, AppError> + Send + 'static,
    {
        let app = self.clone();
        self.inner.derivation_queue.run_blocking(move || work(&app)).await?
    }

    /// Runs a derivation in the shared workspace. Call on a blocking thread, holding a permit.
    fn derive(&self, codename: &Codename) -> Result<SourceIdentity, AppError> {
        self.inner.derivations.fetch_add(1, Ordering::SeqCst);
        let mut workspace = self.inner.kdf_workspace.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(derive_source_identity_in(codename, &self.inner.secrets, &mut workspace)?)
    }
}

/// A second handle on a codename for a background task (`Codename` is deliberately not `Clone`).
fn copy_codename(codename: &Codename) -> Result<Codename, AppError> {
    Codename::parse(codename.expose_secret())
        .map_err(|_| postern_core::internal!("a codename did not parse again").into())
}
