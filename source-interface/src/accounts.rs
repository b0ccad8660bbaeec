//! Creating sources and finding them by codename: the key-derivation work, bounded.

use postern_core::Codename;
use postern_crypto::{
    SealedSourceKey, SourceIdentity, SourceKeyPad, derive_source_identity_in, derive_source_public_key,
};
use postern_store::{NewSource, SourceRecord};

use crate::error::AppError;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::state::{AppState, MAX_WAITING_DERIVATIONS};

/// A source found by its codename, with its key seed split for the session.
pub(crate) type FoundSource = (SourceRecord, SealedSourceKey, SourceKeyPad);

impl AppState {
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

    /// Runs `work` on a blocking thread once a derivation permit is free. The permit
    /// moves into the task, so a client that hangs up does not free it early; at most
    /// [`MAX_WAITING_DERIVATIONS`] requests queue, the rest get "busy".
    async fn with_derivation<T, F>(&self, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&AppState) -> Result<T, AppError> + Send + 'static,
    {
        let waiting = WaitingGuard::enter(&self.inner.kdf_waiting).ok_or(AppError::Busy)?;
        let permit = Arc::clone(&self.inner.kdf_permits).acquire_owned().await.map_err(|_| AppError::Task)?;
        drop(waiting);
        let app = self.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work(&app)
        })
        .await
        .map_err(|_| AppError::Task)?
    }

    /// Runs a derivation in the shared workspace. Call on a blocking thread, holding a permit.
    fn derive(&self, codename: &Codename) -> Result<SourceIdentity, AppError> {
        self.inner.derivations.fetch_add(1, Ordering::SeqCst);
        let mut workspace = self.inner.kdf_workspace.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(derive_source_identity_in(codename, &self.inner.secrets, &mut workspace)?)
    }
}

/// Counts a request queued for a derivation permit while it lives.
struct WaitingGuard<'a>(&'a AtomicUsize);

impl<'a> WaitingGuard<'a> {
    fn enter(counter: &'a AtomicUsize) -> Option<Self> {
        if counter.fetch_add(1, Ordering::SeqCst) >= MAX_WAITING_DERIVATIONS {
            counter.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(Self(counter))
    }
}

impl Drop for WaitingGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A second handle on a codename for a background task (`Codename` is deliberately not `Clone`).
fn copy_codename(codename: &Codename) -> Result<Codename, AppError> {
    Codename::parse(codename.expose_secret()).map_err(|_| AppError::Task)
}
