//! Airbyte stream and column names made valid for Convex, as Convex does it:
//! a name that is valid and does not start with `_` is kept; any other
//! becomes `source_` + its slug (lowercase ASCII letters and digits, runs of
//! anything else turned into one `_`, no `_` at either end). A field renamed
//! onto a name the record already has gets `source_` again, up to three times.

use storage::value::names::{check_field_name, check_user_table_name};

use crate::error::ApiError;

const PREFIX: &str = "source_";
/// How many times a colliding field name may be prefixed again.
const MAX_TRIES: usize = 3;
/// Longest identifier.
const MAX_TABLE_NAME: usize = 64;

/// `slugify`: lowercase ASCII alphanumerics joined by single `_`. Letters
/// with accents lose them (`é` → `e`) where the base letter is ASCII.
fn slug(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut gap = false;
    for c in name.chars().map(fold_accent) {
        if c.is_ascii_alphanumeric() {
            if gap && !out.is_empty() {
                out.push('_');
            }
            gap = false;
            out.push(c.to_ascii_lowercase());
        } else {
            gap = true;
        }
    }
    out
}

/// The ASCII letters of common accented Latin letters; others unchanged.
fn fold_accent(c: char) -> char {
    const FOLDS: &[(&str, char)] = &[
        ("àáâãäåā", 'a'),
        ("çćč", 'c'),
        ("èéêëēę", 'e'),
        ("ìíîïī", 'i'),
        ("ñń", 'n'),
        ("òóôõöøō", 'o'),
        ("ùúûüū", 'u'),
        ("ýÿ", 'y'),
        ("śšß", 's'),
        ("źżž", 'z'),
        ("ł", 'l'),
    ];
    let lower = c.to_lowercase().next().unwrap_or(c);
    for (from, to) in FOLDS {
        if from.contains(lower) {
            return *to;
        }
    }
    c
}

/// A valid user table name for an Airbyte stream name.
pub fn coerce_table_name(name: &str) -> Result<String, ApiError> {
    if check_user_table_name(name).is_ok() {
        return Ok(name.to_string());
    }
    let mut out = format!("{PREFIX}{}", slug(name));
    out.truncate(MAX_TABLE_NAME);
    let out = out.trim_end_matches('_').to_string();
    check_user_table_name(&out).map_err(|_| invalid(name))?;
    Ok(out)
}

/// A valid field name for an Airbyte column; `original` says whether a
/// name is one of the object's own (original) keys.
pub fn coerce_field_name(name: &str, original: impl Fn(&str) -> bool) -> Result<String, ApiError> {
    let valid = |n: &str| check_field_name(n).is_ok() && !n.starts_with('_');
    if valid(name) {
        return Ok(name.to_string());
    }
    let mut out = format!("{PREFIX}{}", slug(name));
    for _ in 0..MAX_TRIES {
        if !original(&out) {
            return if valid(&out) {
                Ok(out)
            } else {
                Err(invalid(name))
            };
        }
        out.insert_str(0, PREFIX);
    }
    Err(ApiError::bad_request(
        "InvalidFieldName",
        format!("Too many duplicate field names found for modified field {name:?}"),
    ))
}

fn invalid(name: &str) -> ApiError {
    ApiError::bad_request(
        "InvalidIdentifier",
        format!("Failed to create a valid identifier from {name:?}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables() {
        let t = |n: &str| coerce_table_name(n).expect("valid");
        assert_eq!(t("users"), "users");
        assert_eq!(t("my-table"), "source_my_table");
        assert_eq!(t("public.Users"), "source_public_users");
        assert_eq!(t("_airbyte_raw"), "source_airbyte_raw");
        assert_eq!(t("1st"), "source_1st");
        assert!(check_user_table_name(&t(&"x-".repeat(50))).is_ok());
    }

    #[test]
    fn fields() {
        let none = |_: &str| false;
        let f = |n: &str| coerce_field_name(n, none).expect("valid");
        assert_eq!(f("name"), "name");
        assert_eq!(f("first name"), "first name", "spaces are fine in fields");
        assert_eq!(f("_id"), "source_id");
        assert_eq!(f("_ab_cdc_deleted_at"), "source_ab_cdc_deleted_at");
        assert_eq!(f("$price"), "source_price");
        assert_eq!(f("café"), "source_cafe");
        assert_eq!(
            coerce_field_name("_id", |n: &str| n == "source_id").expect("valid"),
            "source_source_id"
        );
        assert!(coerce_field_name("_id", |_: &str| true).is_err());
    }
}
