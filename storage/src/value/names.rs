//! Name rules (§2.5): object field names, and identifiers (table, index and
//! function names) with the reservations for system tables and indexes.

use super::{Path, ValueError, MAX_FIELD_NAME_LENGTH, MAX_IDENTIFIER_LEN};

/// A field name: non-control ASCII (0x20–0x7E), at most 1024 bytes, not
/// starting with `$`. The empty name is allowed.
pub fn check_field_name(name: &str) -> Result<(), ValueError> {
    check_field_name_at(name, &Path::Root)
}

/// [`check_field_name`] for a field of the object found at `path`.
pub(crate) fn check_field_name_at(name: &str, path: &Path) -> Result<(), ValueError> {
    let bytes = name.as_bytes();
    // Fast path: the common case is a short, plain name.
    if bytes.len() <= MAX_FIELD_NAME_LENGTH
        && bytes.first() != Some(&b'$')
        && bytes.iter().all(|b| (0x20..=0x7e).contains(b))
    {
        return Ok(());
    }
    if bytes.len() > MAX_FIELD_NAME_LENGTH {
        return Err(ValueError::FieldNameTooLong {
            name: name.to_owned(),
            len: bytes.len(),
            path: path.render(),
        });
    }
    if bytes.first() == Some(&b'$') {
        return Err(ValueError::FieldNameReserved {
            name: name.to_owned(),
            path: path.render(),
        });
    }
    let ch = name
        .chars()
        .find(|c| !(' '..='~').contains(c))
        .unwrap_or('\u{FFFD}');
    Err(ValueError::FieldNameInvalidCharacter {
        name: name.to_owned(),
        ch,
        path: path.render(),
    })
}

/// An identifier (table, index, function name): `[A-Za-z_][A-Za-z0-9_]*`, at
/// most 64 characters, not made only of underscores.
pub fn check_identifier(name: &str) -> Result<(), ValueError> {
    check_identifier_as(name, "identifier")
}

fn check_identifier_as(name: &str, kind: &'static str) -> Result<(), ValueError> {
    let invalid = |reason: &'static str| {
        Err(ValueError::InvalidIdentifier {
            kind,
            name: name.to_owned(),
            reason,
        })
    };
    let bytes = name.as_bytes();
    let Some(&first) = bytes.first() else {
        return invalid("it must not be empty");
    };
    if bytes.len() > MAX_IDENTIFIER_LEN {
        return invalid("it must be at most 64 characters long");
    }
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return invalid("it must start with a letter or an underscore");
    }
    if !bytes
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return invalid("it may only contain letters, digits and underscores");
    }
    if bytes.iter().all(|&b| b == b'_') {
        return invalid("it must not consist only of underscores");
    }
    Ok(())
}

/// A table name user code may create: an identifier not starting with `_`
/// (those are system tables).
pub fn check_user_table_name(name: &str) -> Result<(), ValueError> {
    check_identifier_as(name, "table name")?;
    if name.starts_with('_') {
        return Err(ValueError::ReservedTableName {
            name: name.to_owned(),
        });
    }
    Ok(())
}

/// A user index name: an identifier, not starting with `_`, and not one of the
/// system index names `by_id` / `by_creation_time`.
pub fn check_index_name(name: &str) -> Result<(), ValueError> {
    check_identifier_as(name, "index name")?;
    if name.starts_with('_') || name == "by_id" || name == "by_creation_time" {
        return Err(ValueError::ReservedIndexName {
            name: name.to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn field_names() {
        assert_eq!(check_field_name(""), Ok(()));
        assert_eq!(check_field_name("_id"), Ok(()));
        assert_eq!(check_field_name(" ~a$b"), Ok(()));
        assert_eq!(check_field_name(&"x".repeat(1024)), Ok(()));

        let err = check_field_name("$foo").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Field name \"$foo\" starts with a '$', which is reserved."
        );
        let err = check_field_name("a\tb").unwrap_err();
        assert_eq!(
            err,
            ValueError::FieldNameInvalidCharacter {
                name: "a\tb".into(),
                ch: '\t',
                path: String::new()
            }
        );
        assert!(err.to_string().contains("non-control ASCII"));
        assert!(matches!(
            check_field_name("é"),
            Err(ValueError::FieldNameInvalidCharacter { ch: 'é', .. })
        ));
        assert!(matches!(
            check_field_name("a\u{7f}"),
            Err(ValueError::FieldNameInvalidCharacter { ch: '\u{7f}', .. })
        ));
        let err = check_field_name(&"x".repeat(1025)).unwrap_err();
        assert!(matches!(
            err,
            ValueError::FieldNameTooLong { len: 1025, .. }
        ));
        // Long names are shortened in messages.
        assert!(err.to_string().len() < 300, "{err}");
    }

    #[test]
    fn identifiers() {
        for ok in ["a", "_a", "A_1", "messages", "_storage", &"a".repeat(64)] {
            assert_eq!(check_identifier(ok), Ok(()), "{ok}");
        }
        for bad in ["", "_", "___", "1a", "a-b", "a b", "é", &"a".repeat(65)] {
            assert!(
                matches!(
                    check_identifier(bad),
                    Err(ValueError::InvalidIdentifier { .. })
                ),
                "{bad}"
            );
        }
        let err = check_identifier("1a").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid identifier \"1a\": it must start with a letter or an underscore"
        );
    }

    #[test]
    fn table_names() {
        assert_eq!(check_user_table_name("messages"), Ok(()));
        assert_eq!(
            check_user_table_name("_tables"),
            Err(ValueError::ReservedTableName {
                name: "_tables".into()
            })
        );
        let err = check_user_table_name("my-table").unwrap_err();
        assert!(err
            .to_string()
            .starts_with("Invalid table name \"my-table\""));
    }

    #[test]
    fn index_names() {
        assert_eq!(check_index_name("by_author"), Ok(()));
        assert_eq!(check_index_name("by_idx"), Ok(()));
        for reserved in ["by_id", "by_creation_time", "_x"] {
            assert_eq!(
                check_index_name(reserved),
                Err(ValueError::ReservedIndexName {
                    name: reserved.into()
                })
            );
        }
        assert!(matches!(
            check_index_name("by id"),
            Err(ValueError::InvalidIdentifier {
                kind: "index name",
                ..
            })
        ));
    }

    proptest! {
        #[test]
        fn field_name_matches_spec(name in prop_oneof!["[ -~]{0,6}", any::<String>()]) {
            let expected = name.len() <= 1024
                && !name.starts_with('$')
                && name.bytes().all(|b| (0x20..=0x7e).contains(&b));
            prop_assert_eq!(check_field_name(&name).is_ok(), expected);
        }

        #[test]
        fn identifier_matches_spec(name in prop_oneof!["[A-Za-z0-9_-]{0,70}", any::<String>()]) {
            let b = name.as_bytes();
            let expected = !b.is_empty()
                && b.len() <= 64
                && (b[0].is_ascii_alphabetic() || b[0] == b'_')
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
                && !b.iter().all(|c| *c == b'_');
            prop_assert_eq!(check_identifier(&name).is_ok(), expected);
        }
    }
}
