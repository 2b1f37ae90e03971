//! Read timestamps on the wire: a u64 (nanoseconds) sent as base64 of its
//! 8 little-endian bytes, as `query_ts` answers and `query_at_ts` takes.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::error::ApiError;

/// A database timestamp as the functions API exchanges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// `base64(u64 little-endian)`, e.g. `"AAAAAAAAAAA="` for 0.
    pub fn encode(self) -> String {
        STANDARD.encode(self.0.to_le_bytes())
    }

    /// Inverse of `encode`; anything else is 400 `InvalidTimestamp`.
    pub fn decode(text: &str) -> Result<Self, ApiError> {
        let invalid = || {
            ApiError::bad_request(
                "InvalidTimestamp",
                format!(
                    "Invalid timestamp {text:?}: expected the base64 text of 8 little-endian bytes, as returned by /api/query_ts"
                ),
            )
        };
        let bytes = STANDARD.decode(text).map_err(|_| invalid())?;
        let bytes: [u8; 8] = bytes.try_into().map_err(|_| invalid())?;
        Ok(Self(u64::from_le_bytes(bytes)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for ts in [0, 1, 1_700_000_000_000_000_000, u64::MAX] {
            let text = Timestamp(ts).encode();
            assert_eq!(Timestamp::decode(&text).expect("decodes"), Timestamp(ts));
        }
        assert_eq!(Timestamp(0).encode(), "AAAAAAAAAAA=");
        assert_eq!(Timestamp(1).encode(), "AQAAAAAAAAA=");
    }

    #[test]
    fn rejects_bad_text() {
        for bad in ["", "not base64!", "AQID", "AAAAAAAAAAAAAAAA"] {
            let error = Timestamp::decode(bad).expect_err("invalid");
            assert_eq!(
                (error.status().as_u16(), error.code()),
                (400, "InvalidTimestamp")
            );
        }
    }
}
