//! Assets: content-addressed originals and their records.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::signing::hex;

/// An asset's id: the SHA-256 of its bytes, 64 lower-case hex digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AssetId(String);

/// A string that is not an asset id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an asset id (64 lower-case hex digits): {0:?}")]
pub struct BadAssetId(String);

impl AssetId {
    /// The id of `bytes`.
    pub fn of(bytes: &[u8]) -> AssetId {
        AssetId(hex(&Sha256::digest(bytes)))
    }

    /// Parses an id from a URL or a row.
    pub fn parse(s: &str) -> Result<AssetId, BadAssetId> {
        if s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            Ok(AssetId(s.to_owned()))
        } else {
            Err(BadAssetId(s.chars().take(80).collect()))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The R2 key of the original.
    pub fn original_key(&self) -> String {
        format!("originals/{}", self.0)
    }

    /// The R2 prefix under which derivatives of this asset live.
    pub fn derived_prefix(&self) -> String {
        format!("derived/{}/", self.0)
    }
}

impl TryFrom<String> for AssetId {
    type Error = BadAssetId;
    fn try_from(s: String) -> Result<AssetId, BadAssetId> {
        AssetId::parse(&s)
    }
}

impl From<AssetId> for String {
    fn from(id: AssetId) -> String {
        id.0
    }
}

impl fmt::Display for AssetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An asset as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetRecord {
    /// Content id.
    pub id: AssetId,
    /// Who uploaded it.
    pub owner: String,
    /// Displayed width (EXIF orientation applied).
    pub width: u32,
    /// Displayed height.
    pub height: u32,
    /// Source format (`jpeg`, `png`, `gif`, `webp`).
    pub format: String,
    /// Size of the original in bytes.
    pub bytes: u64,
    /// EXIF orientation of the original (1-8).
    pub orientation: u8,
    /// Upload time, Unix seconds.
    pub created_at: u64,
}

/// A position in the caller's asset list: `(created_at, id)` of the last
/// item seen, as an opaque token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    /// `created_at` of the last item.
    pub created_at: u64,
    /// `id` of the last item.
    pub id: AssetId,
}

impl Cursor {
    /// The token: `<created_at>.<id>`.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.created_at, self.id)
    }

    /// Parses a token; `None` if it is not one we made.
    pub fn decode(token: &str) -> Option<Cursor> {
        let (t, id) = token.split_once('.')?;
        Some(Cursor { created_at: t.parse().ok()?, id: AssetId::parse(id).ok()? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_sha256_and_validated() {
        let id = AssetId::of(b"abc");
        assert_eq!(id.as_str(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(AssetId::parse(id.as_str()), Ok(id.clone()));
        assert_eq!(id.original_key(), format!("originals/{id}"));
        for bad in ["", "abc", &"A".repeat(64), &"g".repeat(64), &"a".repeat(65), "../../etc/passwd"] {
            assert!(AssetId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cursors_round_trip_and_reject_junk() {
        let c = Cursor { created_at: 1_700_000_000, id: AssetId::of(b"x") };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        for bad in ["", "1.2", "x.abc", &format!("-1.{}", AssetId::of(b"x"))] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }
}
