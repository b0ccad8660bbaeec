//! Creating sources and finding them by codename: the key-derivation work, bounded
//! and fair. One derivation runs at a time; a client (its session, its Tor circuit)
//! has at most one waiting or running, and a second is refused at once; every answer
//! takes at least [`DERIVATION_ANSWER_TIME`], so that under ordinary load a source's
//! login time does not tell whether anyone else is logging in.

use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use postern_core::{Codename, SourceId};
use postern_crypto::{
    KdfWorkspace, SealedSourceKey, SourceIdentity, SourceKeyPad, complete_source_identity_in, derive_lookup_id_in,
    derive_source_identity_in, derive_source_public_key,
};
use postern_store::{NewSource, SourceRecord};
use postern_web::Circuit;

use std::sync::atomic::Ordering;

use crate::error::AppError;
use crate::state::SourceState;

/// A source found by its codename, with its key seed split for the session.
pub(crate) type FoundSource = (SourceRecord, SealedSourceKey, SourceKeyPad);

/// The least time a login or account creation takes to answer: about three
/// derivations, so that up to two others running or waiting go unseen.
pub(crate) const DERIVATION_ANSWER_TIME: Duration = Duration::from_millis(250);

/// Who asks for a derivation: the session and, over an onion service, the circuit.
pub(crate) struct Requester {
    session: Option<u64>,
    circuit: Option<Circuit>,
}

/// How a requester is known to the derivation queue.
#[derive(Hash)]
enum RequesterKey {
    Session(u64),
    Circuit(Circuit),
}

impl Requester {
    /// The Tor circuit of the request, if it came over the onion service.
    pub(crate) fn circuit(&self) -> Option<Circuit> {
        self.circuit
    }

    fn keys(&self) -> Vec<RequesterKey> {
        let session = self.session.map(RequesterKey::Session);
        session.into_iter().chain(self.circuit.map(RequesterKey::Circuit)).collect()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Requester {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let session = parts.extensions.get::<crate::session::Session>().and_then(|s| s.tag());
        Ok(Self { session, circuit: parts.extensions.get::<Circuit>().copied() })
    }
}

impl SourceState {
    /// Creates the source for a new codename: derives its lookup id and key pair and
    /// stores the public half.
    pub(crate) async fn create_source(&self, by: &Requester, codename: &Codename) -> Result<FoundSource, AppError> {
        let copy = copy_codename(codename)?;
        self.with_derivation(by, move |app| {
            let identity = app.derive(&copy)?;
            let public = derive_source_public_key(&identity)?;
            let new = NewSource {
                lookup_id: &identity.lookup_id,
                public_key: &public.armored,
                fingerprint: &public.fingerprint,
            };
            let (sealed, pad) = identity.seal();
            let created = app.inner.store.create_source_capped(&new, app.inner.config.max_pending_sources)?;
            Ok((created, sealed, pad))
        })
        .await
    }

    /// The source `codename` belongs to, if any.
    pub(crate) async fn find_source(
        &self,
        by: &Requester,
        codename: Codename,
    ) -> Result<Option<FoundSource>, AppError> {
        self.with_derivation(by, move |app| {
            // A wrong codename costs the lookup id's run only; the answer floor hides
            // that a right one costs two.
            let Some((source, lookup_id)) = app.source_by_lookup(&codename)? else { return Ok(None) };
            let identity =
                app.in_workspace(|ws| complete_source_identity_in(&codename, &app.inner.secrets, lookup_id, ws))?;
            let (sealed, pad) = identity.seal();
            Ok(Some((source, sealed, pad)))
        })
        .await
    }

    /// Whether `codename` is the codename of `source`: one argon2id run, the lookup id
    /// (the key seed is not needed to tell).
    pub(crate) async fn is_codename_of(
        &self,
        by: &Requester,
        codename: Codename,
        source: SourceId,
    ) -> Result<bool, AppError> {
        self.with_derivation(by, move |app| Ok(app.source_by_lookup(&codename)?.is_some_and(|(s, _)| s.id == source)))
            .await
    }

    /// Runs `work` on a blocking thread in the derivation queue for `by`: one at a
    /// time, one per requester, a bounded number waiting, the rest "busy"; the answer
    /// comes no sooner than [`DERIVATION_ANSWER_TIME`] after the request.
    async fn with_derivation<T, F>(&self, by: &Requester, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&SourceState) -> Result<T, AppError> + Send + 'static,
    {
        let not_before = tokio::time::Instant::now() + DERIVATION_ANSWER_TIME;
        let app = self.clone();
        let done = self.inner.derivation_queue.run_blocking_for(&by.keys(), move || work(&app)).await;
        if !matches!(done, Err(postern_web::WorkError::AlreadyQueued | postern_web::WorkError::Busy)) {
            tokio::time::sleep_until(not_before).await;
        }
        done?
    }

    /// The source `codename` belongs to, found by its lookup id (one argon2id run), with
    /// that id. Call on a blocking thread, holding a permit.
    fn source_by_lookup(&self, codename: &Codename) -> Result<Option<(SourceRecord, [u8; 32])>, AppError> {
        let lookup_id = self.in_workspace(|ws| derive_lookup_id_in(codename, &self.inner.secrets, ws))?;
        Ok(self.inner.store.find_source_by_lookup(&lookup_id)?.map(|source| (source, lookup_id)))
    }

    /// Runs a whole derivation in the shared workspace. Call on a blocking thread,
    /// holding a permit.
    fn derive(&self, codename: &Codename) -> Result<SourceIdentity, AppError> {
        self.in_workspace(|ws| derive_source_identity_in(codename, &self.inner.secrets, ws))
    }

    /// Runs `derive` (argon2id work) in the shared workspace, counted.
    fn in_workspace<T>(
        &self,
        derive: impl FnOnce(&mut KdfWorkspace) -> Result<T, postern_crypto::CryptoError>,
    ) -> Result<T, AppError> {
        self.inner.derivations.fetch_add(1, Ordering::SeqCst);
        let mut workspace = self.inner.kdf_workspace.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(derive(&mut workspace)?)
    }
}

/// A second handle on a codename for a background task (`Codename` is deliberately not `Clone`).
fn copy_codename(codename: &Codename) -> Result<Codename, AppError> {
    Codename::parse(codename.expose_secret())
        .map_err(|_| postern_core::internal!("a codename did not parse again").into())
}
