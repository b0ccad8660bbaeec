//! The viewing station's side: a passphrase-protected submission key pair, and
//! streaming decryption with it. The server never holds this key.

use std::io::{Read, Write};

use openpgp::Cert;
use openpgp::Profile;
use openpgp::cert::amalgamation::key::PrimaryKey;
use openpgp::cert::{CertBuilder, CipherSuite};
use openpgp::crypto::Password;
use openpgp::packet::Packet;
use openpgp::parse::Parse;
use openpgp::parse::stream::DecryptorBuilder;
use openpgp::policy::StandardPolicy;
use openpgp::serialize::SerializeInto;
use openpgp::types::Features;
use sequoia_openpgp as openpgp;

use crate::{CryptoError, GeneratedKeyPair};

/// Generates a submission key pair whose secret keys are protected by `passphrase`.
///
/// Classic (default): a v4 Cv25519 key advertising SEIPDv1 only, with an iterated and
/// salted S2K: GnuPG 2.2 reads the key and everything encrypted to it. Modern: an
/// RFC 9580 (v6) key, protected with Argon2 and AEAD, for newer tools only.
pub fn generate_protected_key_pair(
    userid: &str,
    modern: bool,
    passphrase: &[u8],
) -> Result<GeneratedKeyPair, CryptoError> {
    let mut builder = CertBuilder::new()
        .set_cipher_suite(CipherSuite::Cv25519)
        .add_userid(userid)
        .add_storage_encryption_subkey()
        .set_password(Some(Password::from(passphrase)));
    builder = if modern {
        builder.set_profile(Profile::RFC9580).map_err(CryptoError::encrypt("choose the key profile"))?
    } else {
        builder.set_features(Features::empty().set_seipdv1()).map_err(CryptoError::encrypt("set key features"))?
    };
    let (cert, _revocation) = builder.generate().map_err(CryptoError::encrypt("generate a key pair"))?;
    crate::keygen::armoured_pair(&cert)
}

/// Why a viewing-station key cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ViewingKeyProblem {
    /// Not an OpenPGP key.
    #[error("the file is not an OpenPGP secret key")]
    NotOpenPgp,
    /// Only the public half.
    #[error("the file holds only a public key; the secret key is needed to decrypt")]
    PublicOnly,
    /// The passphrase does not unlock it.
    #[error("the passphrase does not unlock this key")]
    WrongPassphrase,
}

/// A secret submission key, unlocked in memory for decrypting.
pub struct ViewingKey {
    cert: Cert,
}

impl std::fmt::Debug for ViewingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ViewingKey").field("fingerprint", &self.fingerprint()).finish_non_exhaustive()
    }
}

impl ViewingKey {
    /// Parses a secret key (armoured or binary), still locked if it was protected.
    pub fn parse(data: &[u8]) -> Result<Self, ViewingKeyProblem> {
        let cert = Cert::from_bytes(data).map_err(|_| ViewingKeyProblem::NotOpenPgp)?;
        if !cert.is_tsk() {
            return Err(ViewingKeyProblem::PublicOnly);
        }
        Ok(Self { cert })
    }

    /// Whether [`ViewingKey::unlock`] needs to be called.
    pub fn is_locked(&self) -> bool {
        self.cert.keys().secret().any(|ka| !ka.key().has_unencrypted_secret())
    }

    /// Unlocks every protected secret key with `passphrase`.
    pub fn unlock(&mut self, passphrase: &[u8]) -> Result<(), ViewingKeyProblem> {
        let password = Password::from(passphrase);
        let mut unlocked: Vec<Packet> = Vec::new();
        for ka in self.cert.keys().secret() {
            if ka.key().has_unencrypted_secret() {
                continue;
            }
            let key = ka.key().clone().decrypt_secret(&password).map_err(|_| ViewingKeyProblem::WrongPassphrase)?;
            unlocked.push(if ka.primary() {
                key.role_into_primary().into()
            } else {
                key.role_into_subordinate().into()
            });
        }
        let cert = self.cert.clone().insert_packets(unlocked).map_err(|_| ViewingKeyProblem::NotOpenPgp)?.0;
        self.cert = cert;
        Ok(())
    }

    /// The fingerprint, upper-case hex.
    pub fn fingerprint(&self) -> String {
        self.cert.fingerprint().to_hex()
    }

    /// The public half, armoured (what `postern init` takes).
    pub fn public_armored(&self) -> Result<String, CryptoError> {
        let public = self.cert.armored().to_vec().map_err(CryptoError::encrypt("armour a public key"))?;
        Ok(String::from_utf8_lossy(&public).into_owned())
    }

    /// Decrypts an OpenPGP message from `ciphertext` into `plaintext` as it reads;
    /// returns the plaintext size. On error, what was written must be discarded.
    pub fn decrypt<R, W>(&self, ciphertext: R, mut plaintext: W) -> Result<u64, CryptoError>
    where
        R: Read + Send + Sync,
        W: Write,
    {
        let policy = StandardPolicy::new();
        let helper = crate::decrypt::Helper::new(&self.cert);
        let mut decryptor = DecryptorBuilder::from_reader(ciphertext)
            .map_err(CryptoError::decrypt)?
            .with_policy(&policy, None, helper)
            .map_err(CryptoError::decrypt)?;
        let mut sink = crate::gzip::Recording::new(&mut plaintext);
        std::io::copy(&mut decryptor, &mut sink).map_err(|e| match sink.take_failure() {
            // Writing failed (a full disk), not decrypting.
            Some(write) => CryptoError::Sink(write),
            None => CryptoError::decrypt(e.into()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SubmissionKey, encrypt_message};

    #[test]
    fn protected_key_decrypts_only_after_unlocking() {
        let pair = generate_protected_key_pair("Newsroom", false, b"correct horse").unwrap();
        assert!(!pair.secret_armored.is_empty());
        let submission = SubmissionKey::from_armored(&pair.public_armored).unwrap();
        let mut ct = Vec::new();
        let mut w = encrypt_message(&submission, &mut ct).unwrap();
        w.write_all(b"hello from a source").unwrap();
        w.finish().unwrap();

        let mut key = ViewingKey::parse(pair.secret_armored.as_bytes()).unwrap();
        assert!(key.is_locked());
        assert!(key.decrypt(&ct[..], Vec::new()).is_err());
        assert_eq!(key.unlock(b"wrong").unwrap_err(), ViewingKeyProblem::WrongPassphrase);
        key.unlock(b"correct horse").unwrap();
        assert!(!key.is_locked());
        let mut out = Vec::new();
        assert_eq!(key.decrypt(&ct[..], &mut out).unwrap(), 19);
        assert_eq!(out, b"hello from a source");
        assert_eq!(key.fingerprint(), pair.fingerprint);
    }

    #[test]
    fn a_failing_sink_is_not_called_a_decryption_error() {
        let pair = generate_protected_key_pair("Newsroom", false, b"pw").unwrap();
        let submission = SubmissionKey::from_armored(&pair.public_armored).unwrap();
        let mut ct = Vec::new();
        let mut w = encrypt_message(&submission, &mut ct).unwrap();
        w.write_all(b"some text").unwrap();
        w.finish().unwrap();
        let mut key = ViewingKey::parse(pair.secret_armored.as_bytes()).unwrap();
        key.unlock(b"pw").unwrap();
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::new(std::io::ErrorKind::StorageFull, "disk full"))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        assert!(matches!(key.decrypt(&ct[..], Full), Err(CryptoError::Sink(_))));
    }

    #[test]
    fn modern_keys_are_v6_and_public_keys_are_refused() {
        let pair = generate_protected_key_pair("Newsroom", true, b"pw").unwrap();
        let cert = Cert::from_bytes(pair.public_armored.as_bytes()).unwrap();
        assert_eq!(cert.primary_key().key().version(), 6);
        assert_eq!(ViewingKey::parse(pair.public_armored.as_bytes()).unwrap_err(), ViewingKeyProblem::PublicOnly);
        assert_eq!(ViewingKey::parse(b"junk").unwrap_err(), ViewingKeyProblem::NotOpenPgp);
    }
}
