//! Document IDs in Convex's "ID v6" string format (§2.7): the table number
//! (LEB128 VInt), the 16-byte internal id and a 2-byte Fletcher-16 footer,
//! written in lowercase Crockford base32 without padding. Decoding is strict:
//! only the canonical encoding of a valid ID is accepted.

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// Tables numbered below this are reserved for system tables.
pub const FIRST_USER_TABLE: u32 = 10001;

/// The number of a table, as embedded in its documents' IDs (≥ 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TableNumber(pub u32);

impl fmt::Display for TableNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A document's 16-byte id within its table: 14 random bytes, then the
/// big-endian number of days since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InternalId(pub [u8; 16]);

const MILLIS_PER_DAY: u64 = 86_400_000;

impl InternalId {
    /// A fresh id: 14 bytes from `rng`, then the day of `unix_millis`.
    pub fn generate(rng: &mut impl rand::RngCore, unix_millis: u64) -> InternalId {
        let mut bytes = [0u8; 16];
        rng.fill_bytes(&mut bytes[..14]);
        let days = u16::try_from(unix_millis / MILLIS_PER_DAY).unwrap_or(u16::MAX);
        bytes[14..].copy_from_slice(&days.to_be_bytes());
        InternalId(bytes)
    }
}

/// A document ID: table number and internal id.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocumentId {
    pub table: TableNumber,
    pub internal: InternalId,
}

/// Why a string is not a valid v6 document ID.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum IdError {
    #[error("Invalid ID: length {len} is not between 31 and 37 characters")]
    InvalidLength { len: usize },
    #[error(
        "Invalid ID: character {ch:?} at position {position} is not in the ID alphabet \
         (digits and lowercase letters except i, l, o, u)"
    )]
    InvalidCharacter { ch: char, position: usize },
    #[error("Invalid ID: its table number does not fit in 32 bits")]
    TableNumberOverflow,
    #[error("Invalid ID: table number 0 is not allowed")]
    ZeroTableNumber,
    #[error("Invalid ID: too short for its table number")]
    Truncated,
    #[error("Invalid ID: unexpected bytes after the checksum")]
    LeftoverBytes,
    #[error("Invalid ID: checksum mismatch (invalid ID version)")]
    InvalidFooter,
    #[error("Invalid ID: not in canonical form")]
    NotCanonical,
}

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
const INVALID: u8 = 0xff;
const DECODE: [u8; 128] = {
    let mut table = [INVALID; 128];
    let mut i = 0;
    while i < 32 {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// VInt (≤ 5) + internal id (16) + footer (2).
const MAX_BINARY: usize = 23;
/// ceil(23 · 8 / 5).
const MAX_CHARS: usize = 37;
const MIN_CHARS: usize = 31;
const VERSION: u16 = 0;

fn fletcher16(bytes: &[u8]) -> u16 {
    let (mut c0, mut c1) = (0u8, 0u8);
    for &b in bytes {
        c0 = c0.wrapping_add(b);
        c1 = c1.wrapping_add(c0);
    }
    (u16::from(c1) << 8) | u16::from(c0)
}

/// Base32 (MSB-first, no padding) of `bytes` into `out`; returns the length.
fn base32_encode(bytes: &[u8], out: &mut [u8; MAX_CHARS]) -> usize {
    let mut n = 0;
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out[n] = ALPHABET[((acc >> bits) & 31) as usize];
            n += 1;
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        out[n] = ALPHABET[((acc << (5 - bits)) & 31) as usize];
        n += 1;
    }
    n
}

impl DocumentId {
    pub fn new(table: TableNumber, internal: InternalId) -> DocumentId {
        DocumentId { table, internal }
    }

    /// The binary form `VInt(table) ‖ internal ‖ footer`, and its length.
    fn to_binary(self) -> ([u8; MAX_BINARY], usize) {
        let mut buf = [0u8; MAX_BINARY];
        let mut n = 0;
        let mut t = self.table.0;
        loop {
            let low = (t & 0x7f) as u8;
            t >>= 7;
            if t == 0 {
                buf[n] = low;
                n += 1;
                break;
            }
            buf[n] = low | 0x80;
            n += 1;
        }
        buf[n..n + 16].copy_from_slice(&self.internal.0);
        n += 16;
        let footer = (fletcher16(&buf[..n]) ^ VERSION).to_le_bytes();
        buf[n..n + 2].copy_from_slice(&footer);
        (buf, n + 2)
    }

    fn encode_into(self, out: &mut [u8; MAX_CHARS]) -> usize {
        let (bin, len) = self.to_binary();
        base32_encode(&bin[..len], out)
    }

    /// The canonical ID string (31–37 characters; 32 for user tables).
    pub fn encode(&self) -> String {
        let mut buf = [0u8; MAX_CHARS];
        let n = self.encode_into(&mut buf);
        buf[..n].iter().map(|&c| char::from(c)).collect()
    }

    /// Strictly decodes an ID string: length 31..=37, alphabet, table number
    /// ≥ 1 and < 2^32, footer, no leftover bytes, and canonical form.
    pub fn decode(s: &str) -> Result<DocumentId, IdError> {
        let chars = s.as_bytes();
        if !(MIN_CHARS..=MAX_CHARS).contains(&chars.len()) {
            return Err(IdError::InvalidLength { len: chars.len() });
        }
        let mut bin = [0u8; MAX_BINARY];
        let mut n = 0;
        let mut acc: u32 = 0;
        let mut bits = 0;
        for (position, &c) in chars.iter().enumerate() {
            let v = DECODE.get(usize::from(c)).copied().unwrap_or(INVALID);
            if v == INVALID {
                let ch = s[position..].chars().next().unwrap_or('\u{FFFD}');
                return Err(IdError::InvalidCharacter { ch, position });
            }
            acc = (acc << 5) | u32::from(v);
            bits += 5;
            if bits >= 8 {
                bits -= 8;
                bin[n] = (acc >> bits) as u8;
                n += 1;
                acc &= (1 << bits) - 1;
            }
        }
        let bin = &bin[..n];

        let mut table: u64 = 0;
        let mut i = 0;
        loop {
            if i == 5 {
                return Err(IdError::TableNumberOverflow);
            }
            let b = bin[i];
            table |= u64::from(b & 0x7f) << (7 * i);
            i += 1;
            if b & 0x80 == 0 {
                break;
            }
        }
        let table = u32::try_from(table).map_err(|_| IdError::TableNumberOverflow)?;
        if table == 0 {
            return Err(IdError::ZeroTableNumber);
        }
        let end = i + 16 + 2;
        if bin.len() < end {
            return Err(IdError::Truncated);
        }
        if bin.len() > end {
            return Err(IdError::LeftoverBytes);
        }
        let footer = u16::from_le_bytes([bin[i + 16], bin[i + 17]]);
        if footer ^ VERSION != fletcher16(&bin[..i + 16]) {
            return Err(IdError::InvalidFooter);
        }
        let mut internal = [0u8; 16];
        internal.copy_from_slice(&bin[i..i + 16]);
        let id = DocumentId::new(TableNumber(table), InternalId(internal));

        let mut again = [0u8; MAX_CHARS];
        let len = id.encode_into(&mut again);
        if again[..len] != *chars {
            return Err(IdError::NotCanonical);
        }
        Ok(id)
    }
}

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; MAX_CHARS];
        let n = self.encode_into(&mut buf);
        for &c in &buf[..n] {
            fmt::Write::write_char(f, char::from(c))?;
        }
        Ok(())
    }
}

impl fmt::Debug for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocumentId({}, table {})", self, self.table.0)
    }
}

impl FromStr for DocumentId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DocumentId::decode(s)
    }
}

/// Reads a legacy (pre-v6) internal id string, for `db.normalizeId`: v5 ids
/// (≤ 22 characters) are the unpadded URL-safe base64 of the 16 bytes.
/// v4 ids (> 22 characters: base62 of 17 bytes, mapped to 16 bytes through
/// SHA-256) are not supported and give `None`, as does anything invalid.
pub fn legacy_internal_id_from_str(s: &str) -> Option<InternalId> {
    if s.len() > 22 {
        return None;
    }
    let mut buf = [0u8; 18];
    let n = URL_SAFE_NO_PAD.decode_slice(s, &mut buf).ok()?;
    if n != 16 {
        return None;
    }
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&buf[..16]);
    Some(InternalId(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn seq_internal() -> InternalId {
        let mut b = [0u8; 16];
        for (i, x) in b.iter_mut().enumerate() {
            *x = i as u8;
        }
        InternalId(b)
    }

    const VECTORS: &[(u32, &str)] = &[
        (1, "040020g30g2gc1r81450p30d1r7qke8"),
        (127, "fw0020g30g2gc1r81450p30d1r7ze5r"),
        (128, "g00g00820c20a1g7104gm2rc1m70zyds"),
        (10001, "j57000820c20a1g7104gm2rc1m70ynr8"),
        (16384, "g2002001081g81860w40j2gb1g6gw3vs74"),
        (4294967295, "zzzzzzrf000g40r40m30e209185gr38e1y1nj"),
    ];

    #[test]
    fn spec_vectors() {
        for &(table, s) in VECTORS {
            let id = DocumentId::new(TableNumber(table), seq_internal());
            assert_eq!(id.encode(), s, "table {table}");
            assert_eq!(id.to_string(), s);
            assert_eq!(DocumentId::decode(s), Ok(id));
            assert_eq!(s.parse::<DocumentId>(), Ok(id));
        }
    }

    #[test]
    fn upstream_stability_vector() {
        let mut b = [0u8; 16];
        let mut x: u8 = 251;
        for byte in b.iter_mut() {
            *byte = x;
            x = x.wrapping_mul(251);
        }
        assert_eq!(b[..4], [0xfb, 0x19, 0x83, 0x71]);
        let id = DocumentId::new(TableNumber(1017), InternalId(b));
        assert_eq!(id.encode(), "z43zp6c3e75gkmz1kfwj6mbbx5sw281h");
        assert_eq!(
            DocumentId::decode("z43zp6c3e75gkmz1kfwj6mbbx5sw281h"),
            Ok(id)
        );
    }

    #[test]
    fn lengths_by_table_number() {
        for (table, len) in [
            (1, 31),
            (127, 31),
            (128, 32),
            (16383, 32),
            (16384, 34),
            ((1 << 21) - 1, 34),
            (1 << 21, 36),
            ((1 << 28) - 1, 36),
            (1 << 28, 37),
        ] {
            let id = DocumentId::new(TableNumber(table), InternalId([0xab; 16]));
            assert_eq!(id.encode().len(), len, "table {table}");
        }
    }

    #[test]
    fn rejections() {
        let good = "j57000820c20a1g7104gm2rc1m70ynr8";
        assert!(DocumentId::decode(good).is_ok());

        assert_eq!(
            DocumentId::decode(&good.to_uppercase()),
            Err(IdError::InvalidCharacter {
                ch: 'J',
                position: 0
            })
        );
        for bad_char in ["i", "l", "o", "u", "-", "é"] {
            let s = format!("{}{}", &good[..31], bad_char);
            assert!(
                matches!(
                    DocumentId::decode(&s),
                    Err(IdError::InvalidCharacter { position: 31, .. })
                ),
                "{s}"
            );
        }
        assert!(matches!(
            DocumentId::decode(&format!("{good}0")),
            Err(IdError::LeftoverBytes | IdError::NotCanonical | IdError::InvalidFooter)
        ));
        assert_eq!(
            DocumentId::decode(""),
            Err(IdError::InvalidLength { len: 0 })
        );
        assert_eq!(
            DocumentId::decode(&good[..30]),
            Err(IdError::InvalidLength { len: 30 })
        );
        assert_eq!(
            DocumentId::decode(&"0".repeat(38)),
            Err(IdError::InvalidLength { len: 38 })
        );

        // Flip a character inside the internal id: the footer no longer matches.
        let mut s = good.as_bytes().to_vec();
        s[10] = if s[10] == b'a' { b'b' } else { b'a' };
        let s = String::from_utf8(s).expect("test input is valid");
        assert_eq!(DocumentId::decode(&s), Err(IdError::InvalidFooter));

        // Table 0 with a valid footer.
        let mut bin = vec![0u8];
        bin.extend_from_slice(&seq_internal().0);
        bin.extend_from_slice(&fletcher16(&bin).to_le_bytes());
        let mut buf = [0u8; MAX_CHARS];
        let n = base32_encode(&bin, &mut buf);
        let s = std::str::from_utf8(&buf[..n]).expect("test input is valid");
        assert_eq!(DocumentId::decode(s), Err(IdError::ZeroTableNumber));

        // Non-zero unused low bits in the last character (31 chars = 155 bits
        // for 152): same bytes, not canonical.
        let table1 = "040020g30g2gc1r81450p30d1r7qke8";
        let s = format!("{}9", &table1[..30]);
        assert_eq!(DocumentId::decode(&s), Err(IdError::NotCanonical));

        // A table number needing more than 32 bits.
        let mut bin = vec![0xff, 0xff, 0xff, 0xff, 0x1f];
        bin.extend_from_slice(&[0u8; 18]);
        let n = base32_encode(&bin, &mut buf);
        let s = std::str::from_utf8(&buf[..n]).expect("test input is valid");
        assert_eq!(DocumentId::decode(s), Err(IdError::TableNumberOverflow));

        // A non-minimal VInt for table 1 (0x81 0x00) is caught by the
        // canonical re-encoding.
        let mut bin = vec![0x81, 0x00];
        bin.extend_from_slice(&seq_internal().0);
        bin.extend_from_slice(&fletcher16(&bin).to_le_bytes());
        let n = base32_encode(&bin, &mut buf);
        let s = std::str::from_utf8(&buf[..n]).expect("test input is valid");
        assert_eq!(DocumentId::decode(s), Err(IdError::NotCanonical));
    }

    #[test]
    fn generate_layout() {
        let mut rng = StdRng::seed_from_u64(7);
        let millis = 1_700_000_000_000u64;
        let a = InternalId::generate(&mut rng, millis);
        let b = InternalId::generate(&mut rng, millis);
        assert_ne!(a, b);
        let days = (millis / MILLIS_PER_DAY) as u16;
        assert_eq!(a.0[14..], days.to_be_bytes());
        let id = DocumentId::new(TableNumber(FIRST_USER_TABLE), a);
        assert_eq!(id.encode().len(), 32);
        assert_eq!(DocumentId::decode(&id.encode()), Ok(id));
    }

    #[test]
    fn legacy_ids() {
        let internal = seq_internal();
        let v5 = URL_SAFE_NO_PAD.encode(internal.0);
        assert_eq!(v5.len(), 22);
        assert_eq!(legacy_internal_id_from_str(&v5), Some(internal));
        assert_eq!(
            legacy_internal_id_from_str("AAECAwQFBgcICQoLDA0ODw"),
            Some(internal)
        );
        assert_eq!(legacy_internal_id_from_str(""), None);
        assert_eq!(legacy_internal_id_from_str("AAECAwQFBgcICQoLDA0O"), None);
        assert_eq!(legacy_internal_id_from_str("AAECAwQFBgcICQoLDA0ODx"), None); // trailing bits
        assert_eq!(legacy_internal_id_from_str("AAECAwQFBgcICQoLDA0OD+"), None);
        assert_eq!(legacy_internal_id_from_str(&"a".repeat(23)), None);
    }

    proptest! {
        #[test]
        fn roundtrip(table in prop_oneof![1u32..200, 1u32..=u32::MAX, Just(u32::MAX)], internal in any::<[u8; 16]>()) {
            let id = DocumentId::new(TableNumber(table), InternalId(internal));
            let s = id.encode();
            prop_assert!((31..=37).contains(&s.len()));
            prop_assert!(s.len() != 33 && s.len() != 35);
            prop_assert_eq!(DocumentId::decode(&s), Ok(id));
            prop_assert_eq!(id.to_string(), s);
        }

        #[test]
        fn decode_accepts_only_canonical(s in "[0-9a-hjkmnp-tv-z]{31,37}") {
            if let Ok(id) = DocumentId::decode(&s) {
                prop_assert_eq!(id.encode(), s);
            }
        }
    }
}
