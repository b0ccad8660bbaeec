//! Decryption with a secret key held in memory, and packet inspection.
//!
//! The server decrypts nothing of the submission key's; this exists for the viewing
//! station, for sources reading replies with their derived key, and for tests.

use std::io::Read;

use openpgp::crypto::SessionKey;
use openpgp::packet::{PKESK, SKESK};
use openpgp::parse::stream::{DecryptionHelper, DecryptorBuilder, MessageStructure, VerificationHelper};
use openpgp::parse::{PacketParser, PacketParserResult, Parse};
use openpgp::policy::StandardPolicy;
use openpgp::types::SymmetricAlgorithm;
use openpgp::{Cert, KeyHandle, Packet};
use sequoia_openpgp as openpgp;

use crate::CryptoError;

/// Decrypts `ciphertext` with the secret key in `secret_key` (armoured or binary, unprotected).
pub fn decrypt_message(secret_key: &str, ciphertext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let cert = Cert::from_bytes(secret_key.as_bytes()).map_err(CryptoError::decrypt)?;
    decrypt_with_cert(&cert, ciphertext)
}

pub(crate) fn decrypt_with_cert(cert: &Cert, ciphertext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let policy = StandardPolicy::new();
    let helper = Helper { cert };
    let mut decryptor = DecryptorBuilder::from_bytes(ciphertext)
        .map_err(CryptoError::decrypt)?
        .with_policy(&policy, None, helper)
        .map_err(CryptoError::decrypt)?;
    let mut out = Vec::new();
    decryptor.read_to_end(&mut out).map_err(|e| CryptoError::decrypt(e.into()))?;
    Ok(out)
}

/// [`decrypt_with_cert`] into a buffer that is wiped when dropped, and wiped before
/// every reallocation as it grows.
pub(crate) fn decrypt_with_cert_zeroizing(
    cert: &Cert,
    ciphertext: &[u8],
) -> Result<zeroize::Zeroizing<Vec<u8>>, CryptoError> {
    let policy = StandardPolicy::new();
    let mut decryptor = DecryptorBuilder::from_bytes(ciphertext)
        .map_err(CryptoError::decrypt)?
        .with_policy(&policy, None, Helper { cert })
        .map_err(CryptoError::decrypt)?;
    let mut out = zeroize::Zeroizing::new(Vec::with_capacity(ciphertext.len()));
    let mut chunk = zeroize::Zeroizing::new([0u8; 8192]);
    loop {
        let n = decryptor.read(&mut chunk[..]).map_err(|e| CryptoError::decrypt(e.into()))?;
        if n == 0 {
            return Ok(out);
        }
        if out.len() + n > out.capacity() {
            let mut bigger = zeroize::Zeroizing::new(Vec::with_capacity((out.len() + n) * 2));
            bigger.extend_from_slice(&out);
            out = bigger;
        }
        out.extend_from_slice(&chunk[..n]);
    }
}

pub(crate) struct Helper<'a> {
    cert: &'a Cert,
}

impl<'a> Helper<'a> {
    pub(crate) fn new(cert: &'a Cert) -> Self {
        Self { cert }
    }
}

impl VerificationHelper for Helper<'_> {
    fn get_certs(&mut self, _ids: &[KeyHandle]) -> openpgp::Result<Vec<Cert>> {
        Ok(Vec::new())
    }

    fn check(&mut self, _structure: MessageStructure<'_>) -> openpgp::Result<()> {
        // Submissions and replies are not signed; there is nothing to verify.
        Ok(())
    }
}

impl DecryptionHelper for Helper<'_> {
    fn decrypt(
        &mut self,
        pkesks: &[PKESK],
        _skesks: &[SKESK],
        sym_algo: Option<SymmetricAlgorithm>,
        decrypt: &mut dyn FnMut(Option<SymmetricAlgorithm>, &SessionKey) -> bool,
    ) -> openpgp::Result<Option<Cert>> {
        let policy = StandardPolicy::new();
        let keys = self.cert.keys().with_policy(&policy, None).for_transport_encryption().for_storage_encryption();
        for ka in keys.secret() {
            let Ok(mut pair) = ka.key().clone().into_keypair() else { continue };
            for pkesk in pkesks {
                if let Some((algo, sk)) = pkesk.decrypt(&mut pair, sym_algo)
                    && decrypt(algo, &sk)
                {
                    return Ok(None);
                }
            }
        }
        Err(anyhow::anyhow!("no key to decrypt the message"))
    }
}

/// The packet versions of an encrypted message, for asserting the format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketVersions {
    /// Versions of the PKESK packets (3 for v4 keys with SEIPDv1, 6 for SEIPDv2).
    pub pkesk: Vec<u8>,
    /// Version of the encrypted data packet: 1 (SEIPDv1, GnuPG 2.2) or 2 (SEIPDv2, AEAD).
    pub seipd: u8,
}

/// Reads the top-level packets of `ciphertext` without decrypting.
pub fn packet_versions(ciphertext: &[u8]) -> Result<PacketVersions, CryptoError> {
    let mut versions = PacketVersions { pkesk: Vec::new(), seipd: 0 };
    let mut ppr = PacketParser::from_bytes(ciphertext).map_err(CryptoError::decrypt)?;
    while let PacketParserResult::Some(pp) = ppr {
        match &pp.packet {
            Packet::PKESK(p) => versions.pkesk.push(p.version()),
            Packet::SEIP(s) => versions.seipd = s.version(),
            _ => {}
        }
        ppr = pp.next().map_err(CryptoError::decrypt)?.1;
    }
    Ok(versions)
}
