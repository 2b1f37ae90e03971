//! The key operations behind `crypto.subtle`: importing a key from one of
//! WebCrypto's formats into one canonical form per kind of key, signing and
//! verifying with it, and exporting it again. The cryptography is ring's;
//! this module parses keys and routes calls. JavaScript holds the canonical
//! bytes inside its `CryptoKey` and hands them back for each operation.
//!
//! Supported: HMAC (SHA-1/256/384/512), RSASSA-PKCS1-v1_5 and RSA-PSS
//! (SHA-256/384/512, salt length = hash length), ECDSA (P-256 with SHA-256,
//! P-384 with SHA-384) and Ed25519, and PBKDF2 (deriveBits). Anything else
//! is a `NotSupportedError`.
//! ECDSA and RSA-PSS signatures take fresh randomness (ring's), so they
//! differ between runs, in queries and mutations too; the other schemes are
//! deterministic.

use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{self, KeyPair as _};
use ring::{hmac, rsa};
use serde_json::{json, Value as JsonValue};

/// A failure, named as the DOMException JavaScript throws for it.
#[derive(Debug)]
pub(crate) enum CryptoError {
    NotSupported(String),
    Data(String),
    InvalidAccess(String),
    Operation(String),
}

impl CryptoError {
    /// `<DOMException name>|<message>`, split again in JavaScript.
    pub(crate) fn encoded(&self) -> String {
        let (name, message) = match self {
            CryptoError::NotSupported(m) => ("NotSupportedError", m),
            CryptoError::Data(m) => ("DataError", m),
            CryptoError::InvalidAccess(m) => ("InvalidAccessError", m),
            CryptoError::Operation(m) => ("OperationError", m),
        };
        format!("{name}|{message}")
    }
}

type Result<T> = std::result::Result<T, CryptoError>;

fn data(message: impl Into<String>) -> CryptoError {
    CryptoError::Data(message.into())
}

fn unsupported(message: impl Into<String>) -> CryptoError {
    CryptoError::NotSupported(message.into())
}

// Canonical key forms: a tag byte, then the key.
const HMAC_SECRET: u8 = 0x01;
const PBKDF2_SECRET: u8 = 0x02;
const RSA_PKCS8: u8 = 0x10;
const RSA_PUBLIC: u8 = 0x11; // PKCS#1 RSAPublicKey DER
const EC_PKCS8: u8 = 0x20;
const EC_PRIVATE: u8 = 0x21; // [len(d)] d, then the uncompressed point
const EC_PUBLIC: u8 = 0x22; // uncompressed point
const ED_PKCS8: u8 = 0x30;
const ED_PRIVATE: u8 = 0x31; // seed (32), public key (32)
const ED_PUBLIC: u8 = 0x32;

// DER object identifiers (the content bytes).
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

/// What importing a key produced.
pub(crate) struct Imported {
    /// "secret", "public" or "private".
    pub(crate) kind: &'static str,
    pub(crate) material: Vec<u8>,
    /// RSA only: modulus length in bits and the public exponent's bytes.
    pub(crate) modulus_bits: Option<usize>,
    pub(crate) public_exponent: Option<Vec<u8>>,
}

impl Imported {
    fn new(kind: &'static str, tag: u8, bytes: &[u8]) -> Self {
        let mut material = Vec::with_capacity(bytes.len() + 1);
        material.push(tag);
        material.extend_from_slice(bytes);
        Imported {
            kind,
            material,
            modulus_bits: None,
            public_exponent: None,
        }
    }
}

// --- DER, just enough to read SPKI and write PKCS#1 / SPKI ---

/// Reads one TLV: (tag, contents, rest).
fn der_read(input: &[u8]) -> Result<(u8, &[u8], &[u8])> {
    let bad = || data("the key data is not valid DER");
    let (&tag, rest) = input.split_first().ok_or_else(bad)?;
    let (&first, mut rest) = rest.split_first().ok_or_else(bad)?;
    let len = if first < 0x80 {
        first as usize
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return Err(bad());
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | *b as usize);
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return Err(bad());
    }
    Ok((tag, &rest[..len], &rest[len..]))
}

fn der_expect(input: &[u8], tag: u8) -> Result<(&[u8], &[u8])> {
    let (t, contents, rest) = der_read(input)?;
    if t != tag {
        return Err(data("the key data has an unexpected DER structure"));
    }
    Ok((contents, rest))
}

fn der_write(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = contents.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(contents);
    out
}

/// A DER INTEGER of the unsigned big-endian `bytes`.
fn der_uint(bytes: &[u8]) -> Vec<u8> {
    let trimmed: &[u8] = match bytes.iter().position(|b| *b != 0) {
        Some(i) => &bytes[i..],
        None => &[0],
    };
    let mut contents = Vec::with_capacity(trimmed.len() + 1);
    if trimmed[0] & 0x80 != 0 {
        contents.push(0);
    }
    contents.extend_from_slice(trimmed);
    der_write(0x02, &contents)
}

/// The parts of a SubjectPublicKeyInfo.
struct Spki<'a> {
    /// The algorithm's OID.
    algorithm: &'a [u8],
    /// The parameters when they are an OID (the named curve, for EC).
    curve: Option<&'a [u8]>,
    key: &'a [u8],
}

fn parse_spki(der: &[u8]) -> Result<Spki<'_>> {
    let (spki, _) = der_expect(der, 0x30)?;
    let (algorithm, rest) = der_expect(spki, 0x30)?;
    let (oid, params) = der_expect(algorithm, 0x06)?;
    let params = match der_read(params) {
        Ok((0x06, curve, _)) => Some(curve),
        _ => None,
    };
    let (bits, _) = der_expect(rest, 0x03)?;
    let (&unused, key) = bits.split_first().ok_or_else(|| data("empty key"))?;
    if unused != 0 {
        return Err(data("malformed public key bits"));
    }
    Ok(Spki {
        algorithm: oid,
        curve: params,
        key,
    })
}

fn spki(algorithm: &[u8], key: &[u8]) -> Vec<u8> {
    let mut bits = vec![0u8];
    bits.extend_from_slice(key);
    let mut contents = der_write(0x30, algorithm);
    contents.extend(der_write(0x03, &bits));
    der_write(0x30, &contents)
}

/// (n, e) of a PKCS#1 RSAPublicKey, leading zeros dropped.
fn rsa_public_parts(der: &[u8]) -> Result<(&[u8], &[u8])> {
    let (seq, _) = der_expect(der, 0x30)?;
    let (n, rest) = der_expect(seq, 0x02)?;
    let (e, _) = der_expect(rest, 0x02)?;
    let trim = |b: &[u8]| -> usize { b.iter().position(|x| *x != 0).unwrap_or(b.len()) };
    Ok((&n[trim(n)..], &e[trim(e)..]))
}

fn b64url(text: &str) -> Result<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|_| data("invalid base64url in JWK"))
}

fn to_b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn jwk_field(jwk: &JsonValue, name: &str) -> Result<Vec<u8>> {
    let text = jwk[name]
        .as_str()
        .ok_or_else(|| data(format!("the JWK has no \"{name}\"")))?;
    b64url(text)
}

fn curve_oid(curve: &str) -> Result<&'static [u8]> {
    match curve {
        "P-256" => Ok(OID_P256),
        "P-384" => Ok(OID_P384),
        other => Err(unsupported(format!("named curve {other} is not supported"))),
    }
}

/// Bytes of an uncompressed point: 0x04, then x and y.
fn point_len(curve: &str) -> Result<usize> {
    match curve {
        "P-256" => Ok(65),
        "P-384" => Ok(97),
        other => Err(unsupported(format!("named curve {other} is not supported"))),
    }
}

fn check_point(curve: &str, point: &[u8]) -> Result<()> {
    if point.len() != point_len(curve)? || point[0] != 0x04 {
        return Err(data(format!("not an uncompressed {curve} public key")));
    }
    Ok(())
}

fn ecdsa_signing(curve: &str) -> Result<&'static signature::EcdsaSigningAlgorithm> {
    match curve {
        "P-256" => Ok(&signature::ECDSA_P256_SHA256_FIXED_SIGNING),
        "P-384" => Ok(&signature::ECDSA_P384_SHA384_FIXED_SIGNING),
        other => Err(unsupported(format!("named curve {other} is not supported"))),
    }
}

/// Imports `data` (the JWK's JSON text when `format` is "jwk").
pub(crate) fn import(algorithm: &str, format: &str, curve: &str, input: &[u8]) -> Result<Imported> {
    let jwk = || -> Result<JsonValue> {
        serde_json::from_slice(input).map_err(|_| data("the JWK is not valid JSON"))
    };
    match (algorithm, format) {
        ("HMAC", "raw") => {
            if input.is_empty() {
                return Err(data("an HMAC key cannot be empty"));
            }
            Ok(Imported::new("secret", HMAC_SECRET, input))
        }
        ("PBKDF2", "raw") => Ok(Imported::new("secret", PBKDF2_SECRET, input)),
        ("HMAC", "jwk") => {
            let jwk = jwk()?;
            if jwk["kty"] != "oct" {
                return Err(data("an HMAC JWK must have kty \"oct\""));
            }
            Ok(Imported::new("secret", HMAC_SECRET, &jwk_field(&jwk, "k")?))
        }
        ("RSASSA-PKCS1-v1_5" | "RSA-PSS", "pkcs8") => {
            let pair = rsa::KeyPair::from_pkcs8(input)
                .map_err(|e| data(format!("invalid RSA private key: {e}")))?;
            let e = public_exponent_of(&pair)?;
            let mut imported = Imported::new("private", RSA_PKCS8, input);
            imported.modulus_bits = Some(pair.public().modulus_len() * 8);
            imported.public_exponent = Some(e);
            Ok(imported)
        }
        ("RSASSA-PKCS1-v1_5" | "RSA-PSS", "spki") => {
            let spki = parse_spki(input)?;
            if spki.algorithm != OID_RSA {
                return Err(data("not an RSA public key"));
            }
            rsa_public(spki.key)
        }
        ("RSASSA-PKCS1-v1_5" | "RSA-PSS", "jwk") => {
            let jwk = jwk()?;
            if jwk["kty"] != "RSA" {
                return Err(data("an RSA JWK must have kty \"RSA\""));
            }
            if jwk.get("d").is_some() {
                return Err(unsupported(
                    "RSA private keys as JWK are not supported yet; import them as pkcs8",
                ));
            }
            let (n, e) = (jwk_field(&jwk, "n")?, jwk_field(&jwk, "e")?);
            let mut contents = der_uint(&n);
            contents.extend(der_uint(&e));
            rsa_public(&der_write(0x30, &contents))
        }
        ("ECDSA", "pkcs8") => {
            signature::EcdsaKeyPair::from_pkcs8(ecdsa_signing(curve)?, input, &SystemRandom::new())
                .map_err(|e| data(format!("invalid {curve} private key: {e}")))?;
            Ok(Imported::new("private", EC_PKCS8, input))
        }
        ("ECDSA", "spki") => {
            let spki = parse_spki(input)?;
            if spki.algorithm != OID_EC || spki.curve != Some(curve_oid(curve)?) {
                return Err(data(format!("not a {curve} public key")));
            }
            check_point(curve, spki.key)?;
            Ok(Imported::new("public", EC_PUBLIC, spki.key))
        }
        ("ECDSA", "raw") => {
            check_point(curve, input)?;
            Ok(Imported::new("public", EC_PUBLIC, input))
        }
        ("ECDSA", "jwk") => {
            let jwk = jwk()?;
            if jwk["kty"] != "EC" || jwk["crv"] != curve {
                return Err(data(format!("the JWK is not an EC key on {curve}")));
            }
            let mut point = vec![0x04];
            point.extend(jwk_field(&jwk, "x")?);
            point.extend(jwk_field(&jwk, "y")?);
            check_point(curve, &point)?;
            if jwk.get("d").is_none() {
                return Ok(Imported::new("public", EC_PUBLIC, &point));
            }
            let d = jwk_field(&jwk, "d")?;
            signature::EcdsaKeyPair::from_private_key_and_public_key(
                ecdsa_signing(curve)?,
                &d,
                &point,
                &SystemRandom::new(),
            )
            .map_err(|e| data(format!("invalid {curve} private key: {e}")))?;
            let mut bytes = vec![d.len() as u8];
            bytes.extend(d);
            bytes.extend(point);
            Ok(Imported::new("private", EC_PRIVATE, &bytes))
        }
        ("Ed25519", "pkcs8") => {
            signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(input)
                .map_err(|e| data(format!("invalid Ed25519 private key: {e}")))?;
            Ok(Imported::new("private", ED_PKCS8, input))
        }
        ("Ed25519", "spki") => {
            let spki = parse_spki(input)?;
            if spki.algorithm != OID_ED25519 || spki.key.len() != 32 {
                return Err(data("not an Ed25519 public key"));
            }
            Ok(Imported::new("public", ED_PUBLIC, spki.key))
        }
        ("Ed25519", "raw") => {
            if input.len() != 32 {
                return Err(data("an Ed25519 public key is 32 bytes"));
            }
            Ok(Imported::new("public", ED_PUBLIC, input))
        }
        ("Ed25519", "jwk") => {
            let jwk = jwk()?;
            if jwk["kty"] != "OKP" || jwk["crv"] != "Ed25519" {
                return Err(data("the JWK is not an Ed25519 key"));
            }
            let x = jwk_field(&jwk, "x")?;
            if jwk.get("d").is_none() {
                return import("Ed25519", "raw", curve, &x);
            }
            let d = jwk_field(&jwk, "d")?;
            signature::Ed25519KeyPair::from_seed_and_public_key(&d, &x)
                .map_err(|e| data(format!("invalid Ed25519 private key: {e}")))?;
            let mut bytes = d;
            bytes.extend(x);
            Ok(Imported::new("private", ED_PRIVATE, &bytes))
        }
        (algorithm, format) => Err(unsupported(format!(
            "importing {algorithm} keys in the {format} format is not supported"
        ))),
    }
}

fn public_exponent_of(pair: &rsa::KeyPair) -> Result<Vec<u8>> {
    let (_, e) = rsa_public_parts(pair.public().as_ref())?;
    Ok(e.to_vec())
}

fn rsa_public(pkcs1: &[u8]) -> Result<Imported> {
    let (n, e) = rsa_public_parts(pkcs1)?;
    if n.len() < 256 {
        return Err(unsupported(
            "RSA keys shorter than 2048 bits are not supported",
        ));
    }
    let (bits, e) = (n.len() * 8, e.to_vec());
    let mut imported = Imported::new("public", RSA_PUBLIC, pkcs1);
    imported.modulus_bits = Some(bits);
    imported.public_exponent = Some(e);
    Ok(imported)
}

fn split(material: &[u8]) -> Result<(u8, &[u8])> {
    material
        .split_first()
        .map(|(t, k)| (*t, k))
        .ok_or_else(|| CryptoError::InvalidAccess("empty key".into()))
}

fn hmac_algorithm(hash: &str) -> Result<hmac::Algorithm> {
    Ok(match hash {
        "SHA-1" => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        "SHA-256" => hmac::HMAC_SHA256,
        "SHA-384" => hmac::HMAC_SHA384,
        "SHA-512" => hmac::HMAC_SHA512,
        other => return Err(unsupported(format!("HMAC with {other} is not supported"))),
    })
}

fn rsa_signing(algorithm: &str, hash: &str) -> Result<&'static dyn signature::RsaEncoding> {
    Ok(match (algorithm, hash) {
        ("RSASSA-PKCS1-v1_5", "SHA-256") => &signature::RSA_PKCS1_SHA256,
        ("RSASSA-PKCS1-v1_5", "SHA-384") => &signature::RSA_PKCS1_SHA384,
        ("RSASSA-PKCS1-v1_5", "SHA-512") => &signature::RSA_PKCS1_SHA512,
        ("RSA-PSS", "SHA-256") => &signature::RSA_PSS_SHA256,
        ("RSA-PSS", "SHA-384") => &signature::RSA_PSS_SHA384,
        ("RSA-PSS", "SHA-512") => &signature::RSA_PSS_SHA512,
        _ => {
            return Err(unsupported(format!(
                "{algorithm} with {hash} is not supported"
            )))
        }
    })
}

fn verification(
    algorithm: &str,
    hash: &str,
    curve: &str,
) -> Result<&'static dyn signature::VerificationAlgorithm> {
    Ok(match (algorithm, hash, curve) {
        ("RSASSA-PKCS1-v1_5", "SHA-256", _) => &signature::RSA_PKCS1_2048_8192_SHA256,
        ("RSASSA-PKCS1-v1_5", "SHA-384", _) => &signature::RSA_PKCS1_2048_8192_SHA384,
        ("RSASSA-PKCS1-v1_5", "SHA-512", _) => &signature::RSA_PKCS1_2048_8192_SHA512,
        ("RSA-PSS", "SHA-256", _) => &signature::RSA_PSS_2048_8192_SHA256,
        ("RSA-PSS", "SHA-384", _) => &signature::RSA_PSS_2048_8192_SHA384,
        ("RSA-PSS", "SHA-512", _) => &signature::RSA_PSS_2048_8192_SHA512,
        ("ECDSA", "SHA-256", "P-256") => &signature::ECDSA_P256_SHA256_FIXED,
        ("ECDSA", "SHA-384", "P-384") => &signature::ECDSA_P384_SHA384_FIXED,
        ("Ed25519", _, _) => &signature::ED25519,
        _ => {
            return Err(unsupported(format!(
                "{algorithm} with {hash} {curve} is not supported"
            )))
        }
    })
}

/// Signs `message`. `hash` is the key's hash (HMAC, RSA) or the call's
/// (ECDSA); `curve` the key's named curve (ECDSA).
pub(crate) fn sign(
    algorithm: &str,
    hash: &str,
    curve: &str,
    material: &[u8],
    message: &[u8],
) -> Result<Vec<u8>> {
    let (tag, key) = split(material)?;
    let rng = SystemRandom::new();
    let failed =
        |e: ring::error::Unspecified| CryptoError::Operation(format!("signing failed: {e}"));
    let not_private = || CryptoError::InvalidAccess("the key cannot sign".into());
    match (algorithm, tag) {
        ("HMAC", HMAC_SECRET) => {
            let key = hmac::Key::new(hmac_algorithm(hash)?, key);
            Ok(hmac::sign(&key, message).as_ref().to_vec())
        }
        ("RSASSA-PKCS1-v1_5" | "RSA-PSS", RSA_PKCS8) => {
            let pair = rsa::KeyPair::from_pkcs8(key).map_err(|e| data(e.to_string()))?;
            let mut out = vec![0; pair.public().modulus_len()];
            pair.sign(rsa_signing(algorithm, hash)?, &rng, message, &mut out)
                .map_err(failed)?;
            Ok(out)
        }
        ("ECDSA", EC_PKCS8 | EC_PRIVATE) => {
            if verification(algorithm, hash, curve).is_err() {
                return Err(unsupported(format!(
                    "ECDSA on {curve} with {hash} is not supported"
                )));
            }
            let alg = ecdsa_signing(curve)?;
            let pair = if tag == EC_PKCS8 {
                signature::EcdsaKeyPair::from_pkcs8(alg, key, &rng)
            } else {
                let (d_len, rest) = key.split_first().ok_or_else(not_private)?;
                let (d, point) = rest.split_at((*d_len as usize).min(rest.len()));
                signature::EcdsaKeyPair::from_private_key_and_public_key(alg, d, point, &rng)
            }
            .map_err(|e| data(e.to_string()))?;
            Ok(pair.sign(&rng, message).map_err(failed)?.as_ref().to_vec())
        }
        ("Ed25519", ED_PKCS8 | ED_PRIVATE) => {
            let pair = if tag == ED_PKCS8 {
                signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(key)
            } else {
                let (seed, public) = key.split_at(32.min(key.len()));
                signature::Ed25519KeyPair::from_seed_and_public_key(seed, public)
            }
            .map_err(|e| data(e.to_string()))?;
            Ok(pair.sign(message).as_ref().to_vec())
        }
        _ => Err(not_private()),
    }
}

/// Whether `sig` is a valid signature of `message`.
pub(crate) fn verify(
    algorithm: &str,
    hash: &str,
    curve: &str,
    material: &[u8],
    sig: &[u8],
    message: &[u8],
) -> Result<bool> {
    let (tag, key) = split(material)?;
    if algorithm == "HMAC" {
        if tag != HMAC_SECRET {
            return Err(CryptoError::InvalidAccess("the key cannot verify".into()));
        }
        let key = hmac::Key::new(hmac_algorithm(hash)?, key);
        return Ok(hmac::verify(&key, message, sig).is_ok());
    }
    let public: Vec<u8> = match tag {
        RSA_PUBLIC | EC_PUBLIC | ED_PUBLIC => key.to_vec(),
        _ => public_of(tag, key, curve)?,
    };
    let alg = verification(algorithm, hash, curve)?;
    Ok(signature::UnparsedPublicKey::new(alg, public)
        .verify(message, sig)
        .is_ok())
}

/// The public half of a private key, in its public canonical form.
fn public_of(tag: u8, key: &[u8], curve: &str) -> Result<Vec<u8>> {
    let rng = SystemRandom::new();
    let bad = |e: ring::error::KeyRejected| data(e.to_string());
    Ok(match tag {
        RSA_PKCS8 => rsa::KeyPair::from_pkcs8(key)
            .map_err(bad)?
            .public()
            .as_ref()
            .to_vec(),
        EC_PKCS8 => signature::EcdsaKeyPair::from_pkcs8(ecdsa_signing(curve)?, key, &rng)
            .map_err(bad)?
            .public_key()
            .as_ref()
            .to_vec(),
        EC_PRIVATE => {
            let d_len = *key.first().unwrap_or(&0) as usize;
            key.get(1 + d_len..).unwrap_or_default().to_vec()
        }
        ED_PKCS8 => signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(key)
            .map_err(bad)?
            .public_key()
            .as_ref()
            .to_vec(),
        ED_PRIVATE => key.get(32..).unwrap_or_default().to_vec(),
        _ => return Err(CryptoError::InvalidAccess("not a key pair".into())),
    })
}

/// PBKDF2: `length` bytes derived from the key with `salt` and `iterations`.
pub(crate) fn derive_bits(
    hash: &str,
    material: &[u8],
    salt: &[u8],
    iterations: u32,
    length: usize,
) -> Result<Vec<u8>> {
    let (tag, secret) = split(material)?;
    if tag != PBKDF2_SECRET {
        return Err(CryptoError::InvalidAccess(
            "the key is not a PBKDF2 key".into(),
        ));
    }
    let algorithm = match hash {
        "SHA-1" => ring::pbkdf2::PBKDF2_HMAC_SHA1,
        "SHA-256" => ring::pbkdf2::PBKDF2_HMAC_SHA256,
        "SHA-384" => ring::pbkdf2::PBKDF2_HMAC_SHA384,
        "SHA-512" => ring::pbkdf2::PBKDF2_HMAC_SHA512,
        other => return Err(unsupported(format!("PBKDF2 with {other} is not supported"))),
    };
    let iterations = std::num::NonZeroU32::new(iterations)
        .ok_or_else(|| CryptoError::Operation("PBKDF2 needs at least one iteration".into()))?;
    let mut out = vec![0; length];
    ring::pbkdf2::derive(algorithm, iterations, salt, secret, &mut out);
    Ok(out)
}

/// What exporting produced: bytes, or a JWK.
pub(crate) enum Exported {
    Bytes(Vec<u8>),
    Jwk(JsonValue),
}

/// Exports a key. Private keys leave only as the PKCS#8 they came in.
pub(crate) fn export(format: &str, curve: &str, material: &[u8]) -> Result<Exported> {
    let (tag, key) = split(material)?;
    let refuse = || unsupported(format!("exporting this key as {format} is not supported"));
    Ok(match (format, tag) {
        ("raw", HMAC_SECRET | EC_PUBLIC | ED_PUBLIC) => Exported::Bytes(key.to_vec()),
        ("pkcs8", RSA_PKCS8 | EC_PKCS8 | ED_PKCS8) => Exported::Bytes(key.to_vec()),
        ("spki", RSA_PUBLIC) => {
            let mut algorithm = der_write(0x06, OID_RSA);
            algorithm.extend([0x05, 0x00]);
            Exported::Bytes(spki(&algorithm, key))
        }
        ("spki", EC_PUBLIC) => {
            let mut algorithm = der_write(0x06, OID_EC);
            algorithm.extend(der_write(0x06, curve_oid(curve)?));
            Exported::Bytes(spki(&algorithm, key))
        }
        ("spki", ED_PUBLIC) => Exported::Bytes(spki(&der_write(0x06, OID_ED25519), key)),
        ("jwk", HMAC_SECRET) => Exported::Jwk(json!({"kty": "oct", "k": to_b64url(key)})),
        ("jwk", RSA_PUBLIC) => {
            let (n, e) = rsa_public_parts(key)?;
            Exported::Jwk(json!({"kty": "RSA", "n": to_b64url(n), "e": to_b64url(e)}))
        }
        ("jwk", EC_PUBLIC) => {
            let coordinate = (key.len() - 1) / 2;
            Exported::Jwk(json!({
                "kty": "EC", "crv": curve,
                "x": to_b64url(&key[1..1 + coordinate]),
                "y": to_b64url(&key[1 + coordinate..]),
            }))
        }
        ("jwk", ED_PUBLIC) => {
            Exported::Jwk(json!({"kty": "OKP", "crv": "Ed25519", "x": to_b64url(key)}))
        }
        _ => return Err(refuse()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_integers_and_lengths_round_trip() {
        // A leading zero is added for a set high bit and dropped otherwise.
        assert_eq!(der_uint(&[0x80]), vec![0x02, 0x02, 0x00, 0x80]);
        assert_eq!(der_uint(&[0x00, 0x01]), vec![0x02, 0x01, 0x01]);
        let long = der_write(0x04, &[7u8; 300]);
        assert_eq!(&long[..4], &[0x04, 0x82, 0x01, 0x2c]);
        let (tag, contents, rest) = der_read(&long).unwrap();
        assert_eq!((tag, contents.len(), rest.len()), (0x04, 300, 0));
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let key = import("HMAC", "raw", "", b"Jefe").unwrap();
        let mac = sign(
            "HMAC",
            "SHA-256",
            "",
            &key.material,
            b"what do ya want for nothing?",
        )
        .unwrap();
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(verify(
            "HMAC",
            "SHA-256",
            "",
            &key.material,
            &mac,
            b"what do ya want for nothing?"
        )
        .unwrap());
        assert!(!verify(
            "HMAC",
            "SHA-256",
            "",
            &key.material,
            &mac,
            b"something else"
        )
        .unwrap());
    }

    #[test]
    fn pbkdf2_matches_rfc_6070() {
        // RFC 6070 test case 2 (HMAC-SHA1, 2 iterations).
        let key = import("PBKDF2", "raw", "", b"password").unwrap();
        let out = derive_bits("SHA-1", &key.material, b"salt", 2, 20).unwrap();
        let hex: String = out.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957");
    }

    #[test]
    fn public_keys_export_as_they_were_imported() {
        let rng = SystemRandom::new();
        let pkcs8 = signature::EcdsaKeyPair::generate_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &rng,
        )
        .unwrap();
        let private = import("ECDSA", "pkcs8", "P-256", pkcs8.as_ref()).unwrap();
        let point = public_of(EC_PKCS8, &private.material[1..], "P-256").unwrap();
        let Exported::Bytes(spki_der) =
            export("spki", "P-256", &[&[EC_PUBLIC][..], &point].concat()).unwrap()
        else {
            panic!("spki is bytes")
        };
        let public = import("ECDSA", "spki", "P-256", &spki_der).unwrap();
        assert_eq!(public.material[1..], point[..]);
        let sig = sign("ECDSA", "SHA-256", "P-256", &private.material, b"m").unwrap();
        assert!(verify("ECDSA", "SHA-256", "P-256", &public.material, &sig, b"m").unwrap());
        assert!(!verify("ECDSA", "SHA-256", "P-256", &public.material, &sig, b"n").unwrap());
    }
}
