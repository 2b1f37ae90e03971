//! The host functions behind `crypto.subtle` (`js/crypto.js`): each takes
//! its arguments from JavaScript, calls [`super::webcrypto`], and hands back
//! bytes, or throws `<DOMException name>|<message>`.

use rquickjs::{ArrayBuffer, Ctx, Exception, Function, Object, TypedArray};

use super::webcrypto;

/// The bytes of a typed array, copied (key material and messages are small).
fn bytes_of(array: &TypedArray<'_, u8>) -> Vec<u8> {
    // SAFETY: copied before any JavaScript runs.
    unsafe { array.as_bytes() }.unwrap_or(&[]).to_vec()
}

fn crypto_error(ctx: &Ctx<'_>, error: webcrypto::CryptoError) -> rquickjs::Error {
    Exception::throw_message(ctx, &error.encoded())
}

/// Adds `cryptoImport`, `cryptoSign`, `cryptoVerify`, `cryptoDeriveBits` and
/// `cryptoExport` to the host object.
pub(super) fn install<'js>(ctx: &Ctx<'js>, host: &Object<'js>) -> rquickjs::Result<()> {
    host.set(
        "cryptoImport",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             algorithm: String,
             format: String,
             curve: String,
             data: TypedArray<'js, u8>| {
                let imported = webcrypto::import(&algorithm, &format, &curve, &bytes_of(&data))
                    .map_err(|e| crypto_error(&ctx, e))?;
                let out = Object::new(ctx.clone())?;
                out.set("kind", imported.kind)?;
                out.set(
                    "material",
                    TypedArray::<u8>::new(ctx.clone(), imported.material)?,
                )?;
                if let Some(bits) = imported.modulus_bits {
                    out.set("modulusLength", bits)?;
                }
                if let Some(e) = imported.public_exponent {
                    out.set("publicExponent", TypedArray::<u8>::new(ctx.clone(), e)?)?;
                }
                Ok::<_, rquickjs::Error>(out)
            },
        )?,
    )?;
    host.set(
        "cryptoSign",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             algorithm: String,
             hash: String,
             curve: String,
             key: TypedArray<'js, u8>,
             data: TypedArray<'js, u8>| {
                let signature =
                    webcrypto::sign(&algorithm, &hash, &curve, &bytes_of(&key), &bytes_of(&data))
                        .map_err(|e| crypto_error(&ctx, e))?;
                ArrayBuffer::new(ctx, signature)
            },
        )?,
    )?;
    host.set(
        "cryptoVerify",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             algorithm: String,
             hash: String,
             curve: String,
             key: TypedArray<'js, u8>,
             signature: TypedArray<'js, u8>,
             data: TypedArray<'js, u8>| {
                webcrypto::verify(
                    &algorithm,
                    &hash,
                    &curve,
                    &bytes_of(&key),
                    &bytes_of(&signature),
                    &bytes_of(&data),
                )
                .map_err(|e| crypto_error(&ctx, e))
            },
        )?,
    )?;
    host.set(
        "cryptoDeriveBits",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             hash: String,
             key: TypedArray<'js, u8>,
             salt: TypedArray<'js, u8>,
             iterations: u32,
             length: usize| {
                let bits = webcrypto::derive_bits(
                    &hash,
                    &bytes_of(&key),
                    &bytes_of(&salt),
                    iterations,
                    length,
                )
                .map_err(|e| crypto_error(&ctx, e))?;
                ArrayBuffer::new(ctx, bits)
            },
        )?,
    )?;
    host.set(
        "cryptoExport",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, format: String, curve: String, key: TypedArray<'js, u8>| {
                let exported = webcrypto::export(&format, &curve, &bytes_of(&key))
                    .map_err(|e| crypto_error(&ctx, e))?;
                match exported {
                    webcrypto::Exported::Bytes(bytes) => {
                        ArrayBuffer::new(ctx, bytes).map(|b| b.into_value())
                    }
                    webcrypto::Exported::Jwk(jwk) => {
                        rquickjs::String::from_str(ctx, &jwk.to_string()).map(|s| s.into_value())
                    }
                }
            },
        )?,
    )?;
    Ok(())
}
