//! The newsroom's submission key: validation at start and the recipients it yields.

use std::sync::Arc;

use openpgp::Cert;
use openpgp::cert::CertParser;
use openpgp::parse::Parse;
use openpgp::policy::StandardPolicy;
use openpgp::types::RevocationStatus;
use sequoia_openpgp as openpgp;

use crate::KeyProblem;

/// A validated submission public key. Cheap to clone.
#[derive(Clone)]
pub struct SubmissionKey {
    cert: Arc<Cert>,
    armored: Arc<str>,
}

impl std::fmt::Debug for SubmissionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubmissionKey").field("fingerprint", &self.fingerprint()).finish()
    }
}

impl SubmissionKey {
    /// Parses and validates an ASCII-armoured (or binary) public key.
    ///
    /// Accepts exactly one certificate with no secret key material that is valid under
    /// sequoia's `StandardPolicy` now: not expired, not revoked, and with at least one
    /// supported, alive, unrevoked storage-encryption key.
    pub fn from_armored(text: &str) -> Result<Self, KeyProblem> {
        let mut certs = CertParser::from_bytes(text.as_bytes()).map_err(|_| KeyProblem::NotOpenPgp)?;
        let cert = certs.next().ok_or(KeyProblem::NotOpenPgp)?.map_err(|_| KeyProblem::NotOpenPgp)?;
        if certs.next().is_some() {
            return Err(KeyProblem::SeveralKeys);
        }
        if cert.is_tsk() {
            return Err(KeyProblem::HasSecret);
        }
        check_usable(&cert)?;
        Ok(Self { cert: Arc::new(cert), armored: Arc::from(text) })
    }

    /// The primary key's fingerprint, 40 (v4) or 64 (v6) upper-case hex digits.
    pub fn fingerprint(&self) -> String {
        self.cert.fingerprint().to_hex()
    }

    /// The key as the newsroom published it, for `/public-key`.
    pub fn armored(&self) -> &str {
        &self.armored
    }

    /// Whether the key is still usable now (it may expire while the server runs).
    pub fn check_usable(&self) -> Result<(), KeyProblem> {
        check_usable(&self.cert)
    }

    pub(crate) fn cert(&self) -> &Cert {
        &self.cert
    }
}

/// The fingerprint of the one public key in `text`, usable or not (a backup of an
/// instance whose key has expired must still say whose it is).
pub fn key_fingerprint(text: &str) -> Result<String, KeyProblem> {
    let mut certs = CertParser::from_bytes(text.as_bytes()).map_err(|_| KeyProblem::NotOpenPgp)?;
    let cert = certs.next().ok_or(KeyProblem::NotOpenPgp)?.map_err(|_| KeyProblem::NotOpenPgp)?;
    if certs.next().is_some() {
        return Err(KeyProblem::SeveralKeys);
    }
    Ok(cert.fingerprint().to_hex())
}

fn check_usable(cert: &Cert) -> Result<(), KeyProblem> {
    let policy = StandardPolicy::new();
    let vc = cert.with_policy(&policy, None).map_err(|_| KeyProblem::Policy)?;
    if let RevocationStatus::Revoked(_) = vc.revocation_status() {
        return Err(KeyProblem::Revoked);
    }
    if vc.alive().is_err() {
        return Err(KeyProblem::Expired);
    }
    let usable = vc.keys().supported().alive().revoked(false).for_storage_encryption().count();
    if usable == 0 {
        return Err(KeyProblem::NoEncryptionKey);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate_submission_key_pair;

    #[test]
    fn accepts_a_generated_public_key_and_refuses_its_secret() {
        let pair = generate_submission_key_pair("Test Newsroom", false).unwrap();
        let key = SubmissionKey::from_armored(&pair.public_armored).unwrap();
        assert_eq!(key.fingerprint(), pair.fingerprint);
        assert_eq!(SubmissionKey::from_armored(&pair.secret_armored).unwrap_err(), KeyProblem::HasSecret);
    }

    #[test]
    fn refuses_garbage_and_two_keys() {
        assert_eq!(SubmissionKey::from_armored("hello").unwrap_err(), KeyProblem::NotOpenPgp);
        let a = generate_submission_key_pair("A", false).unwrap();
        let b = generate_submission_key_pair("B", false).unwrap();
        let both = format!("{}\n{}", a.public_armored, b.public_armored);
        assert_eq!(SubmissionKey::from_armored(&both).unwrap_err(), KeyProblem::SeveralKeys);
    }

    #[test]
    fn refuses_a_signing_only_key() {
        use openpgp::cert::CertBuilder;
        use openpgp::serialize::SerializeInto;
        let (cert, _) = CertBuilder::new().add_userid("sign only").add_signing_subkey().generate().unwrap();
        let armored = String::from_utf8(cert.armored().to_vec().unwrap()).unwrap();
        assert_eq!(SubmissionKey::from_armored(&armored).unwrap_err(), KeyProblem::NoEncryptionKey);
    }

    #[test]
    fn refuses_an_expired_key() {
        use openpgp::cert::CertBuilder;
        use openpgp::serialize::SerializeInto;
        use std::time::{Duration, SystemTime};
        let created = SystemTime::now() - Duration::from_secs(10 * 86400);
        let (cert, _) = CertBuilder::new()
            .add_userid("old")
            .add_storage_encryption_subkey()
            .set_creation_time(created)
            .set_validity_period(Duration::from_secs(86400))
            .generate()
            .unwrap();
        let armored = String::from_utf8(cert.armored().to_vec().unwrap()).unwrap();
        assert_eq!(SubmissionKey::from_armored(&armored).unwrap_err(), KeyProblem::Expired);
    }

    #[test]
    fn refuses_a_revoked_key() {
        use openpgp::cert::CertBuilder;
        use openpgp::serialize::SerializeInto;
        let (cert, rev) = CertBuilder::new().add_userid("gone").add_storage_encryption_subkey().generate().unwrap();
        let cert = cert.insert_packets(rev).unwrap().0;
        let armored = String::from_utf8(cert.armored().to_vec().unwrap()).unwrap();
        assert_eq!(SubmissionKey::from_armored(&armored).unwrap_err(), KeyProblem::Revoked);
    }
}
