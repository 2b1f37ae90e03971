//! The instance's admin key: `<instance-name>|<64 hex chars>`, generated from
//! the OS random source on first start, kept in `<data-dir>/admin_key` (mode
//! 0600), and checked in constant time. The key never contains `:`, which
//! Convex clients use to append an acting-as-user identity (§1.3).

use std::fmt;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rand::rngs::OsRng;
use rand::RngCore;

/// File name of the admin key inside the data directory.
pub const ADMIN_KEY_FILE: &str = "admin_key";

#[derive(Debug, thiserror::Error)]
pub enum AdminKeyError {
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} does not hold a valid admin key ({reason}); remove it to generate a new one")]
    Malformed { path: PathBuf, reason: &'static str },
    #[error("no admin key in {0}: start `basalt serve` with this data directory first")]
    Missing(PathBuf),
}

/// A validated admin key. `Debug` does not show the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminKey(String);

impl fmt::Debug for AdminKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AdminKey({}|…)", self.instance_name())
    }
}

/// What `load_or_create` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOrigin {
    Generated,
    Loaded,
}

impl AdminKey {
    /// A fresh key for `instance_name` with 256 bits from the OS random source.
    pub fn generate(instance_name: &str) -> Self {
        let mut secret = [0u8; 32];
        OsRng.fill_bytes(&mut secret);
        let mut key = String::with_capacity(instance_name.len() + 1 + 64);
        key.push_str(instance_name);
        key.push('|');
        for byte in secret {
            key.push(char::from(HEX[usize::from(byte >> 4)]));
            key.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
        Self(key)
    }

    /// Validates the stored form `<name>|<64 lowercase hex>`.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let (name, secret) = text.split_once('|').ok_or("no '|' separator")?;
        if crate::cli::parse_instance_name(name).is_err() {
            return Err("bad instance name");
        }
        if secret.len() != 64 || !secret.bytes().all(|b| HEX.contains(&b)) {
            return Err("the secret is not 64 lowercase hex characters");
        }
        Ok(Self(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before `|`.
    pub fn instance_name(&self) -> &str {
        self.0.split_once('|').map_or("", |(name, _)| name)
    }

    /// Whether `presented` is this key, in time independent of where they
    /// differ (the length may leak; it is public anyway).
    pub fn matches(&self, presented: &str) -> bool {
        constant_time_eq(self.0.as_bytes(), presented.as_bytes())
    }

    /// Path of the key file in `data_dir`.
    pub fn path_in(data_dir: &Path) -> PathBuf {
        data_dir.join(ADMIN_KEY_FILE)
    }

    /// Reads the key stored in `data_dir`.
    pub fn load(data_dir: &Path) -> Result<Self, AdminKeyError> {
        let path = Self::path_in(data_dir);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(AdminKeyError::Missing(path));
            }
            Err(source) => {
                return Err(AdminKeyError::Io {
                    action: "read",
                    path,
                    source,
                })
            }
        };
        Self::parse(text.trim()).map_err(|reason| AdminKeyError::Malformed { path, reason })
    }

    /// Loads the key from `data_dir`, or on first start creates the directory
    /// and a new key for `instance_name`, written atomically with mode 0600.
    pub fn load_or_create(
        data_dir: &Path,
        instance_name: &str,
    ) -> Result<(Self, KeyOrigin), AdminKeyError> {
        match Self::load(data_dir) {
            Ok(key) => {
                warn_if_readable_by_others(&Self::path_in(data_dir));
                return Ok((key, KeyOrigin::Loaded));
            }
            Err(AdminKeyError::Missing(_)) => {}
            Err(other) => return Err(other),
        }
        fs::create_dir_all(data_dir).map_err(|source| AdminKeyError::Io {
            action: "create directory",
            path: data_dir.to_path_buf(),
            source,
        })?;
        let key = Self::generate(instance_name);
        let path = Self::path_in(data_dir);
        let tmp = data_dir.join(format!("{ADMIN_KEY_FILE}.tmp"));
        let io = |action: &'static str, path: &Path| {
            let path = path.to_path_buf();
            move |source| AdminKeyError::Io {
                action,
                path,
                source,
            }
        };
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(io("create", &tmp))?;
        // `mode` applies only when the file is created; a leftover temp file
        // keeps its old mode, so set it explicitly.
        file.set_permissions(fs::Permissions::from_mode(0o600))
            .map_err(io("set permissions of", &tmp))?;
        writeln!(file, "{}", key.as_str()).map_err(io("write", &tmp))?;
        file.sync_all().map_err(io("sync", &tmp))?;
        drop(file);
        fs::rename(&tmp, &path).map_err(io("rename", &tmp))?;
        // Make the rename durable.
        if let Ok(dir) = fs::File::open(data_dir) {
            let _ = dir.sync_all();
        }
        Ok((key, KeyOrigin::Generated))
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

fn warn_if_readable_by_others(path: &Path) {
    if let Ok(meta) = fs::metadata(path) {
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                path = %path.display(),
                mode = format!("{mode:o}"),
                "the admin key file is readable by other users; consider `chmod 600`"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_key_has_the_documented_shape() {
        let key = AdminKey::generate("basalt");
        let (name, secret) = key.as_str().split_once('|').expect("has '|'");
        assert_eq!(name, "basalt");
        assert_eq!(secret.len(), 64);
        assert!(secret.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(!key.as_str().contains(':'));
        assert_eq!(key.instance_name(), "basalt");
        assert!(AdminKey::parse(key.as_str()).is_ok());
        assert_ne!(key, AdminKey::generate("basalt"));
    }

    #[test]
    fn parse_rejects_bad_keys() {
        assert!(AdminKey::parse("basalt").is_err());
        assert!(AdminKey::parse("basalt|abc").is_err());
        assert!(AdminKey::parse(&format!("a:b|{}", "0".repeat(64))).is_err());
        assert!(AdminKey::parse(&format!("basalt|{}", "G".repeat(64))).is_err());
    }

    #[test]
    fn matches_only_the_same_key() {
        let key = AdminKey::generate("basalt");
        assert!(key.matches(key.as_str()));
        assert!(!key.matches(""));
        assert!(!key.matches(&key.as_str()[1..]));
        let mut other = key.as_str().to_string();
        other.pop();
        other.push('x');
        assert!(!key.matches(&other));
    }

    #[test]
    fn load_or_create_persists_with_mode_0600() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data_dir = dir.path().join("nested/data");
        let (first, origin) = AdminKey::load_or_create(&data_dir, "inst").expect("create");
        assert_eq!(origin, KeyOrigin::Generated);
        let mode = fs::metadata(AdminKey::path_in(&data_dir))
            .expect("key file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let (second, origin) = AdminKey::load_or_create(&data_dir, "inst").expect("load");
        assert_eq!(origin, KeyOrigin::Loaded);
        assert_eq!(first, second);
        assert_eq!(AdminKey::load(&data_dir).expect("load"), first);
    }

    #[test]
    fn load_reports_missing_and_malformed_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(matches!(
            AdminKey::load(dir.path()),
            Err(AdminKeyError::Missing(_))
        ));
        fs::write(AdminKey::path_in(dir.path()), "garbage").expect("write");
        assert!(matches!(
            AdminKey::load_or_create(dir.path(), "basalt"),
            Err(AdminKeyError::Malformed { .. })
        ));
    }
}
