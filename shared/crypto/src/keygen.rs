//! Generating submission key pairs (for `postern demo`; newsrooms bring their own).

use openpgp::cert::{CertBuilder, CipherSuite};
use openpgp::serialize::SerializeInto;
use openpgp::types::Features;
use sequoia_openpgp as openpgp;

use crate::CryptoError;

/// A freshly generated key pair, armoured.
pub struct GeneratedKeyPair {
    /// The public key, to configure as the submission key.
    pub public_armored: String,
    /// The unprotected secret key (transferable secret key), for the viewing station.
    pub secret_armored: String,
    /// Fingerprint in upper-case hex.
    pub fingerprint: String,
}

impl std::fmt::Debug for GeneratedKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedKeyPair").field("fingerprint", &self.fingerprint).finish_non_exhaustive()
    }
}

/// Generates a Cv25519 key pair with a storage-encryption subkey.
///
/// Unless `modern`, the key advertises only SEIPDv1, so what is encrypted to it stays
/// readable by GnuPG 2.2 on viewing stations.
pub fn generate_submission_key_pair(userid: &str, modern: bool) -> Result<GeneratedKeyPair, CryptoError> {
    let mut builder =
        CertBuilder::new().set_cipher_suite(CipherSuite::Cv25519).add_userid(userid).add_storage_encryption_subkey();
    if !modern {
        builder =
            builder.set_features(Features::empty().set_seipdv1()).map_err(CryptoError::encrypt("set key features"))?;
    }
    let (cert, _revocation) = builder.generate().map_err(CryptoError::encrypt("generate a key pair"))?;
    armoured_pair(&cert)
}

/// Both halves of a freshly generated `cert`, armoured.
pub(crate) fn armoured_pair(cert: &openpgp::Cert) -> Result<GeneratedKeyPair, CryptoError> {
    let public = cert.armored().to_vec().map_err(CryptoError::encrypt("armour a public key"))?;
    let secret = cert.as_tsk().armored().to_vec().map_err(CryptoError::encrypt("armour a secret key"))?;
    Ok(GeneratedKeyPair {
        public_armored: String::from_utf8_lossy(&public).into_owned(),
        secret_armored: String::from_utf8_lossy(&secret).into_owned(),
        fingerprint: cert.fingerprint().to_hex(),
    })
}
