//! A source's OpenPGP key pair, derived from its codename.
//!
//! SecureDrop stores each source's secret key, wrapped with a passphrase derived
//! from the codename. We store none: the key pair is a pure function of the
//! codename-derived seed, so the secret half exists only while a logged-in source's
//! request needs it, and the public half is all the database holds.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use openpgp::cert::Cert;
use openpgp::packet::key::{Key4, PrimaryRole, SecretParts, SubordinateRole};
use openpgp::packet::signature::SignatureBuilder;
use openpgp::packet::{Key, Packet, UserID};
use openpgp::serialize::SerializeInto;
use openpgp::types::{CompressionAlgorithm, Features, HashAlgorithm, KeyFlags, SignatureType, SymmetricAlgorithm};
use sequoia_openpgp as openpgp;

use postern_core::Codename;
use rand::RngCore;
use zeroize::Zeroizing;

use crate::{CryptoError, SourceIdentity};

/// Every source key claims this creation time (SecureDrop's 2013-05-14), so the key
/// reveals nothing about when the source's account was made.
const SOURCE_KEY_CREATION: u64 = 1_368_507_600;
const SOURCE_USERID: &str = "Source Key";

/// The public half of a source's key, as stored.
#[derive(Clone)]
pub struct SourcePublicKey {
    /// ASCII-armoured public certificate.
    pub armored: String,
    /// Upper-case hex fingerprint.
    pub fingerprint: String,
}

impl std::fmt::Debug for SourcePublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SourcePublicKey([redacted])")
    }
}

/// Derives the public key of the source with this identity.
pub fn derive_source_public_key(identity: &SourceIdentity) -> Result<SourcePublicKey, CryptoError> {
    let cert = derive_source_cert(identity)?;
    let armored = cert.armored().to_vec().map_err(CryptoError::encrypt("armour a source key"))?;
    Ok(SourcePublicKey {
        armored: String::from_utf8_lossy(&armored).into_owned(),
        fingerprint: cert.fingerprint().to_hex(),
    })
}

/// Decrypts a reply with the source's key, derived again from its identity; the secret
/// key exists only for the length of this call.
pub fn decrypt_reply(identity: &SourceIdentity, ciphertext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    crate::decrypt::decrypt_with_cert(&derive_source_cert(identity)?, ciphertext)
}

/// A logged-in source's key seed, split for the length of its session: the server
/// keeps this half (seed XOR pad), the source's cookie carries the [`SourceKeyPad`].
/// Each half alone is uniformly random (a one-time pad), so server memory reveals no
/// source's replies except during that source's own requests.
pub struct SealedSourceKey(Zeroizing<[u8; 64]>);

/// The source's half of a [`SealedSourceKey`]; travels only in its session cookie.
pub struct SourceKeyPad(Zeroizing<[u8; 64]>);

/// A source's secret key, alive for one request, to read its replies.
pub struct SourceReplyKey(Cert);

impl SourceIdentity {
    /// Splits the key seed into the server's and the source's halves.
    pub fn seal(&self) -> (SealedSourceKey, SourceKeyPad) {
        let mut pad = Zeroizing::new([0u8; 64]);
        rand::rngs::OsRng.fill_bytes(&mut pad[..]);
        let mut sealed = Zeroizing::new([0u8; 64]);
        for (i, b) in sealed.iter_mut().enumerate() {
            *b = self.key_seed[i] ^ pad[i];
        }
        (SealedSourceKey(sealed), SourceKeyPad(pad))
    }
}

impl SealedSourceKey {
    /// Joins the halves and rebuilds the secret key. A wrong pad yields a key that
    /// decrypts nothing.
    pub fn open(&self, pad: &SourceKeyPad) -> Result<SourceReplyKey, CryptoError> {
        let mut key_seed = Zeroizing::new([0u8; 64]);
        for (i, b) in key_seed.iter_mut().enumerate() {
            *b = self.0[i] ^ pad.0[i];
        }
        let identity = SourceIdentity { lookup_id: [0; 32], key_seed };
        Ok(SourceReplyKey(derive_source_cert(&identity)?))
    }
}

impl SourceKeyPad {
    /// 128 lower-case hex digits, for the cookie.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(&self.0[..]))
    }

    /// Parses [`Self::to_hex`]'s form.
    pub fn from_hex(text: &str) -> Option<Self> {
        let mut pad = Zeroizing::new([0u8; 64]);
        hex::decode_to_slice(text, &mut pad[..]).ok()?;
        Some(Self(pad))
    }
}

/// A codename the server keeps for a while (to show a new source its codename again
/// during its first session), sealed with the source's [`SourceKeyPad`] like the key
/// seed: XORed with a keystream drawn from the pad, so that the server's copy alone is
/// noise and only a request carrying the cookie opens it.
pub struct SealedCodename(Zeroizing<Vec<u8>>);

/// Domain separation of the codename keystream from every other use of the pad.
const CODENAME_SEAL_LABEL: &[u8] = b"postern codename seal v1";

impl SourceKeyPad {
    /// `len` bytes of keystream: SHA-512 over a label, a block counter and the pad.
    fn codename_keystream(&self, len: usize) -> Zeroizing<Vec<u8>> {
        use sha2::Digest;
        let mut stream = Zeroizing::new(Vec::with_capacity(len + 64));
        let mut block: u32 = 0;
        while stream.len() < len {
            let mut hash = sha2::Sha512::new();
            hash.update(CODENAME_SEAL_LABEL);
            hash.update(block.to_be_bytes());
            hash.update(&self.0[..]);
            stream.extend_from_slice(&hash.finalize());
            block += 1;
        }
        stream.truncate(len);
        stream
    }

    /// Seals `codename` with this pad.
    pub fn seal_codename(&self, codename: &Codename) -> SealedCodename {
        let plain = codename.expose_secret().as_bytes();
        let stream = self.codename_keystream(plain.len());
        SealedCodename(Zeroizing::new(plain.iter().zip(stream.iter()).map(|(p, k)| p ^ k).collect()))
    }
}

impl SealedCodename {
    /// The codename, if `pad` is the one it was sealed with.
    pub fn open(&self, pad: &SourceKeyPad) -> Option<Codename> {
        let stream = pad.codename_keystream(self.0.len());
        let plain = Zeroizing::new(self.0.iter().zip(stream.iter()).map(|(c, k)| c ^ k).collect::<Vec<u8>>());
        Codename::parse(std::str::from_utf8(&plain).ok()?).ok()
    }

    /// The sealed bytes, for tests that look for codename bytes in a session.
    #[doc(hidden)]
    pub fn sealed_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl SourceReplyKey {
    /// Decrypts one reply in memory, into a buffer wiped when dropped.
    pub fn decrypt(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        crate::decrypt::decrypt_with_cert_zeroizing(&self.0, ciphertext)
    }
}

/// The full (secret) certificate: Ed25519 certify-only primary, one user id, and a
/// Cv25519 storage+transport encryption subkey, advertising SEIPDv1 only so GnuPG 2.2
/// can read replies encrypted to it.
pub(crate) fn derive_source_cert(identity: &SourceIdentity) -> Result<Cert, CryptoError> {
    build_cert(identity).map_err(CryptoError::encrypt("derive a source key"))
}

fn build_cert(identity: &SourceIdentity) -> openpgp::Result<Cert> {
    let ctime = UNIX_EPOCH + Duration::from_secs(SOURCE_KEY_CREATION);
    let seed = &identity.key_seed;
    let primary: Key<SecretParts, PrimaryRole> =
        Key4::<SecretParts, PrimaryRole>::import_secret_ed25519(&seed[..32], ctime)?.into();
    let subkey: Key<SecretParts, SubordinateRole> =
        Key4::<SecretParts, SubordinateRole>::import_secret_cv25519(&seed[32..], None, None, ctime)?.into();
    let mut signer = primary.clone().into_keypair()?;
    let cert = Cert::try_from(vec![Packet::from(primary.clone())])?;

    let features = Features::empty().set_seipdv1();
    let direct = preferences(common(SignatureBuilder::new(SignatureType::DirectKey), ctime)?)?
        .set_features(features.clone())?
        .set_key_flags(KeyFlags::empty().set_certification())?
        .sign_direct_key(&mut signer, primary.parts_as_public())?;
    let userid = UserID::from(SOURCE_USERID);
    let userid_sig = userid.bind(
        &mut signer,
        &cert,
        // GnuPG reads algorithm preferences from the primary user ID's binding, not the
        // direct-key signature: without them here it encrypts replies with 3DES, the
        // one cipher every OpenPGP implementation must accept and ours refuses.
        preferences(common(SignatureBuilder::new(SignatureType::PositiveCertification), ctime)?)?
            .set_features(features)?
            .set_key_flags(KeyFlags::empty().set_certification())?
            .set_primary_userid(true)?,
    )?;
    let subkey_sig = subkey.bind(
        &mut signer,
        &cert,
        common(SignatureBuilder::new(SignatureType::SubkeyBinding), ctime)?
            .set_key_flags(KeyFlags::empty().set_storage_encryption().set_transport_encryption())?,
    )?;
    let packets: Vec<Packet> = vec![direct.into(), userid.into(), userid_sig.into(), subkey.into(), subkey_sig.into()];
    Ok(cert.insert_packets(packets)?.0)
}

/// What a sender should use: AES-256, SHA-512 or SHA-256, and no compression (a
/// source decrypts replies in memory; nothing to decompress, nothing to bomb it with).
fn preferences(builder: SignatureBuilder) -> openpgp::Result<SignatureBuilder> {
    builder
        .set_preferred_symmetric_algorithms(vec![SymmetricAlgorithm::AES256])?
        .set_preferred_hash_algorithms(vec![HashAlgorithm::SHA512, HashAlgorithm::SHA256])?
        .set_preferred_compression_algorithms(vec![CompressionAlgorithm::Uncompressed])
}

fn common(builder: SignatureBuilder, ctime: SystemTime) -> openpgp::Result<SignatureBuilder> {
    builder.set_hash_algo(HashAlgorithm::SHA512).set_signature_creation_time(ctime)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::{InstanceSecrets, SubmissionKey, decrypt::decrypt_with_cert, derive_source_identity, encrypt_message};
    use openpgp::parse::Parse;
    use rand::rngs::OsRng;

    #[test]
    fn derived_key_is_stable_public_only_and_decrypts() {
        let secrets = InstanceSecrets::generate(&mut OsRng);
        let codename = Codename::generate(&mut OsRng);
        let id = derive_source_identity(&codename, &secrets).unwrap();
        let public = derive_source_public_key(&id).unwrap();
        let again = derive_source_public_key(&derive_source_identity(&codename, &secrets).unwrap()).unwrap();
        assert_eq!(public.fingerprint, again.fingerprint);

        let cert = Cert::from_bytes(public.armored.as_bytes()).unwrap();
        assert!(!cert.is_tsk(), "only the public half is exported");
        assert_eq!(cert.primary_key().key().creation_time(), UNIX_EPOCH + Duration::from_secs(SOURCE_KEY_CREATION));

        // The public key is a valid encryption recipient, and the re-derived secret decrypts.
        let key = SubmissionKey::from_armored(&public.armored).unwrap();
        let mut ct = Vec::new();
        let mut w = encrypt_message(&key, &mut ct).unwrap();
        w.write_all(b"reply").unwrap();
        w.finish().unwrap();
        let secret = derive_source_cert(&id).unwrap();
        assert_eq!(decrypt_with_cert(&secret, &ct).unwrap(), b"reply");

        let other = derive_source_identity(&Codename::generate(&mut OsRng), &secrets).unwrap();
        assert!(decrypt_with_cert(&derive_source_cert(&other).unwrap(), &ct).is_err());

        // Sealed for a session: both halves together decrypt, a wrong pad does not.
        let (sealed, pad) = id.seal();
        let (_, other_pad) = id.seal();
        let pad = SourceKeyPad::from_hex(&pad.to_hex()).unwrap();
        assert_eq!(sealed.open(&pad).unwrap().decrypt(&ct).unwrap().as_slice(), b"reply");
        assert!(sealed.open(&other_pad).unwrap().decrypt(&ct).is_err());
        assert!(SourceKeyPad::from_hex("00").is_none());
    }

    #[test]
    fn a_sealed_codename_is_noise_without_its_pad() {
        let codename = Codename::generate(&mut OsRng);
        let (_, pad) = derive_source_identity(&codename, &InstanceSecrets::generate(&mut OsRng)).unwrap().seal();
        let sealed = pad.seal_codename(&codename);
        let plain = codename.expose_secret().as_bytes();
        assert_eq!(sealed.sealed_bytes().len(), plain.len());
        for word in codename.expose_secret().split(' ') {
            assert!(!sealed.sealed_bytes().windows(word.len()).any(|w| w == word.as_bytes()), "{word} in the clear");
        }
        assert_eq!(sealed.open(&pad).unwrap().expose_secret(), codename.expose_secret());
        let (_, other) = derive_source_identity(&codename, &InstanceSecrets::generate(&mut OsRng)).unwrap().seal();
        assert!(sealed.open(&other).is_none(), "another pad opens nothing");
    }
}
