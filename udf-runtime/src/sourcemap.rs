//! A minimal source-map (v3) reader: decodes the VLQ `mappings` of the maps
//! the Convex bundler uploads next to each module, and maps generated
//! positions back to original files, lines and columns.

use serde::Deserialize;

/// One decoded mapping segment of a generated line.
#[derive(Clone, Copy, Debug)]
struct Segment {
    generated_column: u32,
    source: u32,
    original_line: u32,
    original_column: u32,
    name: Option<u32>,
}

/// A parsed source map.
#[derive(Debug)]
pub struct SourceMap {
    sources: Vec<String>,
    names: Vec<String>,
    /// Segments per generated line (0-based), sorted by generated column.
    lines: Vec<Vec<Segment>>,
}

/// An original position: file, 1-based line and column, and the original
/// identifier name when the map records one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OriginalPosition {
    pub source: String,
    pub line: u32,
    pub column: u32,
    pub name: Option<String>,
}

#[derive(Deserialize)]
struct RawMap {
    #[serde(default)]
    sources: Vec<Option<String>>,
    #[serde(default)]
    names: Vec<String>,
    #[serde(default)]
    mappings: String,
    #[serde(default, rename = "sourceRoot")]
    source_root: Option<String>,
}

fn base64_digit(c: u8) -> Option<i64> {
    Some(match c {
        b'A'..=b'Z' => (c - b'A') as i64,
        b'a'..=b'z' => (c - b'a') as i64 + 26,
        b'0'..=b'9' => (c - b'0') as i64 + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    })
}

/// Decodes the VLQ fields of one segment.
fn decode_segment(text: &[u8], out: &mut Vec<i64>) -> Result<(), String> {
    out.clear();
    let mut value: i64 = 0;
    let mut shift = 0u32;
    for &c in text {
        let digit =
            base64_digit(c).ok_or_else(|| format!("invalid VLQ character {:?}", c as char))?;
        let continuation = digit & 32 != 0;
        value += (digit & 31) << shift;
        if continuation {
            shift += 5;
            if shift > 60 {
                return Err("VLQ value too large".into());
            }
        } else {
            let negative = value & 1 == 1;
            let magnitude = value >> 1;
            out.push(if negative { -magnitude } else { magnitude });
            value = 0;
            shift = 0;
        }
    }
    if shift != 0 {
        return Err("truncated VLQ value".into());
    }
    Ok(())
}

fn add(base: i64, delta: i64) -> Result<i64, String> {
    let v = base + delta;
    if v < 0 || v > u32::MAX as i64 {
        return Err("mapping out of range".into());
    }
    Ok(v)
}

impl SourceMap {
    /// Parses a v3 source map from its JSON text.
    pub fn parse(json: &str) -> Result<SourceMap, String> {
        let raw: RawMap = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let root = raw.source_root.unwrap_or_default();
        let sources = raw
            .sources
            .into_iter()
            .map(|s| {
                let s = s.unwrap_or_default();
                if root.is_empty() {
                    s
                } else {
                    format!("{}/{}", root.trim_end_matches('/'), s)
                }
            })
            .collect();
        let mut lines = Vec::new();
        let (mut source, mut original_line, mut original_column, mut name) =
            (0i64, 0i64, 0i64, 0i64);
        let mut fields = Vec::with_capacity(5);
        for line in raw.mappings.split(';') {
            let mut segments = Vec::new();
            let mut generated_column = 0i64;
            for text in line.split(',').filter(|s| !s.is_empty()) {
                decode_segment(text.as_bytes(), &mut fields)?;
                match fields.len() {
                    1 => {
                        generated_column = add(generated_column, fields[0])?;
                        continue;
                    }
                    4 | 5 => {}
                    n => return Err(format!("segment with {n} fields")),
                }
                generated_column = add(generated_column, fields[0])?;
                source = add(source, fields[1])?;
                original_line = add(original_line, fields[2])?;
                original_column = add(original_column, fields[3])?;
                let segment_name = if fields.len() == 5 {
                    name = add(name, fields[4])?;
                    Some(name as u32)
                } else {
                    None
                };
                segments.push(Segment {
                    generated_column: generated_column as u32,
                    source: source as u32,
                    original_line: original_line as u32,
                    original_column: original_column as u32,
                    name: segment_name,
                });
            }
            segments.sort_by_key(|s| s.generated_column);
            lines.push(segments);
        }
        Ok(SourceMap {
            sources,
            names: raw.names,
            lines,
        })
    }

    /// Maps a 1-based generated `line`/`column` to the original position.
    pub fn lookup(&self, line: u32, column: u32) -> Option<OriginalPosition> {
        let segments = self.lines.get(line.checked_sub(1)? as usize)?;
        let column0 = column.saturating_sub(1);
        let index = segments.partition_point(|s| s.generated_column <= column0);
        let segment = if index == 0 {
            segments.first()?
        } else {
            &segments[index - 1]
        };
        Some(OriginalPosition {
            source: self.sources.get(segment.source as usize)?.clone(),
            line: segment.original_line + 1,
            column: segment.original_column + 1,
            name: segment
                .name
                .and_then(|n| self.names.get(n as usize))
                .cloned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_looks_up() {
        // Generated line 1: col 0 -> a.ts 1:0, col 4 -> a.ts 2:2 (name "x").
        // Line 2: col 2 -> b.ts 1:0.
        let map =
            r#"{"version":3,"sources":["a.ts","b.ts"],"names":["x"],"mappings":"AAAA,IACEA;ECDF"}"#;
        let sm = SourceMap::parse(map).expect("test input is valid");
        let p = sm.lookup(1, 1).expect("test input is valid");
        assert_eq!((p.source.as_str(), p.line, p.column), ("a.ts", 1, 1));
        let p = sm.lookup(1, 9).expect("test input is valid");
        assert_eq!((p.source.as_str(), p.line, p.column), ("a.ts", 2, 3));
        assert_eq!(p.name.as_deref(), Some("x"));
        let p = sm.lookup(2, 3).expect("test input is valid");
        assert_eq!(p.source, "b.ts");
        assert!(sm.lookup(5, 1).is_none());
    }

    #[test]
    fn rejects_garbage() {
        assert!(SourceMap::parse(r#"{"version":3,"sources":[],"mappings":"!!"}"#).is_err());
        assert!(SourceMap::parse("not json").is_err());
    }
}
