//! Creating sources and finding them by codename: the key-derivation work, bounded.

use postern_core::Codename;
use postern_crypto::{SourceIdentity, derive_source_identity_in, derive_source_public_key};
use postern_store::{NewSource, SourceRecord};

use crate::error::AppError;
use crate::state::AppState;

impl AppState {
    /// Creates the source for a new codename: derives its lookup id and key pair and
    /// stores the public half.
    pub(crate) async fn create_source(&self, codename: &Codename) -> Result<SourceRecord, AppError> {
        let app = self.clone();
        let copy = copy_codename(codename)?;
        let _permit = self.inner.kdf_permits.acquire().await.map_err(|_| AppError::Task)?;
        tokio::task::spawn_blocking(move || {
            let identity = app.derive(&copy)?;
            let public = derive_source_public_key(&identity)?;
            let new = NewSource {
                lookup_id: &identity.lookup_id,
                public_key: &public.armored,
                fingerprint: &public.fingerprint,
            };
            Ok(app.inner.store.create_source(&new)?)
        })
        .await
        .map_err(|_| AppError::Task)?
    }

    /// The source `codename` belongs to, if any.
    pub(crate) async fn find_source(&self, codename: Codename) -> Result<Option<SourceRecord>, AppError> {
        let app = self.clone();
        let _permit = self.inner.kdf_permits.acquire().await.map_err(|_| AppError::Task)?;
        tokio::task::spawn_blocking(move || {
            let identity = app.derive(&codename)?;
            Ok(app.inner.store.find_source_by_lookup(&identity.lookup_id)?)
        })
        .await
        .map_err(|_| AppError::Task)?
    }
}

impl AppState {
    /// Runs a derivation in the shared workspace. Call on a blocking thread, holding a permit.
    fn derive(&self, codename: &Codename) -> Result<SourceIdentity, AppError> {
        let mut workspace = self.inner.kdf_workspace.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(derive_source_identity_in(codename, &self.inner.secrets, &mut workspace)?)
    }
}

/// A second handle on a codename for a background task (`Codename` is deliberately not `Clone`).
fn copy_codename(codename: &Codename) -> Result<Codename, AppError> {
    Codename::parse(codename.expose_secret()).map_err(|_| AppError::Task)
}
