//! Content proofs: a Merkle tree over an asset's view tiles, its root signed
//! with the platform's Ed25519 key.
//!
//! Leaves are `SHA-256(0x00 || index as u32 BE || tile RGBA bytes)` in the
//! grid's row-major order; inner nodes are `SHA-256(0x01 || left || right)`;
//! a tree of `n` leaves splits at the largest power of two below `n`
//! (RFC 6962's shape, so an odd leaf is never duplicated and a path can
//! not be replayed at another index). The signed message binds the root to
//! the asset and the grid: [`statement`]. The verifier ([`verify_inclusion`],
//! [`verify_statement`]) is what the browser module runs too.

use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::account::jwt::Key;
use crate::pixel::RgbaImage;
use crate::protect::grid::Grid;

/// The signature algorithm, as the API names it.
pub const ALGORITHM: &str = "Ed25519";
/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// Why a proof does not verify or cannot be built.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProofError {
    /// The index is not a leaf of the tree.
    #[error("tile {index} is not in a tree of {len} tiles")]
    NoSuchTile {
        /// The index asked for.
        index: usize,
        /// The number of leaves.
        len: usize,
    },
    /// The path does not lead from the leaf to the root.
    #[error("the inclusion path does not lead to the root")]
    PathMismatch,
    /// The signature does not verify under the key.
    #[error("the root's signature does not verify")]
    BadSignature,
    /// A hex or base64 field is malformed.
    #[error("{0} is malformed")]
    Malformed(&'static str),
}

/// The hash of tile `index` whose RGBA bytes are `pixels`.
pub fn leaf_hash(index: u32, pixels: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(index.to_be_bytes());
    h.update(pixels);
    h.finalize().into()
}

fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The leaves of `view` cut by `grid`: each tile's pixels inside the view
/// (tiles at the right and bottom edges are cut to the view, not padded).
pub fn tile_leaves(view: &RgbaImage, grid: &Grid) -> Vec<Hash> {
    let stride = view.width() as usize * 4;
    let mut buf = Vec::new();
    (0..grid.len())
        .map(|i| {
            let r = grid.tile_rect(i).clamp_to(view.width(), view.height());
            buf.clear();
            for y in r.y..r.y + r.h {
                let s = y as usize * stride + r.x as usize * 4;
                buf.extend_from_slice(&view.data()[s..s + r.w as usize * 4]);
            }
            leaf_hash(i as u32, &buf)
        })
        .collect()
}

/// The largest power of two strictly below `n` (`n` >= 2).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// The root over `leaves` (the hash of nothing for an empty tree).
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// The audit path of leaf `index`: sibling hashes from the leaf up.
pub fn inclusion_path(leaves: &[Hash], index: usize) -> Result<Vec<Hash>, ProofError> {
    if index >= leaves.len() {
        return Err(ProofError::NoSuchTile { index, len: leaves.len() });
    }
    let mut path = Vec::new();
    let (mut lo, mut hi, mut i) = (0usize, leaves.len(), index);
    // Walk down, collecting the sibling subtree roots, then reverse.
    while hi - lo > 1 {
        let k = split(hi - lo);
        if i < k {
            path.push(root(&leaves[lo + k..hi]));
            hi = lo + k;
        } else {
            path.push(root(&leaves[lo..lo + k]));
            lo += k;
            i -= k;
        }
    }
    path.reverse();
    Ok(path)
}

/// Whether `path` leads from `leaf` at `index` of a `len`-leaf tree to `root`.
pub fn verify_inclusion(leaf: &Hash, index: usize, len: usize, path: &[Hash], root: &Hash) -> Result<(), ProofError> {
    if index >= len {
        return Err(ProofError::NoSuchTile { index, len });
    }
    // Recompute which side each sibling sits on, top-down, then fold up.
    let mut sides = Vec::new();
    let (mut n, mut i) = (len, index);
    while n > 1 {
        let k = split(n);
        if i < k {
            sides.push(false); // sibling on the right
            n = k;
        } else {
            sides.push(true); // sibling on the left
            i -= k;
            n -= k;
        }
    }
    if sides.len() != path.len() {
        return Err(ProofError::PathMismatch);
    }
    let mut acc = *leaf;
    for (sibling, left) in path.iter().zip(sides.iter().rev()) {
        acc = if *left { node_hash(sibling, &acc) } else { node_hash(&acc, sibling) };
    }
    if acc == *root { Ok(()) } else { Err(ProofError::PathMismatch) }
}

/// What the platform signs: the root bound to the asset and its grid.
pub fn statement(asset: &str, grid: &Grid, root: &Hash) -> Vec<u8> {
    format!(
        "edgepix-proof.v1\nasset={asset}\nview={}x{}\ntile={}\ngrid={}x{}\nroot={}",
        grid.width,
        grid.height,
        grid.tile,
        grid.cols,
        grid.rows,
        hex(root)
    )
    .into_bytes()
}

/// A signed root, as `GET /api/v1/assets/{id}/proof` answers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedRoot {
    /// The asset id.
    pub asset: String,
    /// The Merkle root, hex.
    pub root: String,
    /// The number of tiles (leaves).
    pub tiles: usize,
    /// The view width the tiles cut.
    pub width: u32,
    /// The view height.
    pub height: u32,
    /// The tile side in pixels.
    pub tile: u32,
    /// The message that was signed ([`statement`]), UTF-8.
    pub statement: String,
    /// The Ed25519 signature of `statement`, base64url.
    pub signature: String,
    /// The id of the signing key (`/.well-known/edgepix-keys.json`).
    pub kid: String,
    /// Always [`ALGORITHM`].
    pub alg: String,
}

/// Signs the root of `leaves` for `asset` with `key`.
pub fn sign(key: &Key, asset: &str, grid: &Grid, leaves: &[Hash]) -> SignedRoot {
    let r = root(leaves);
    let msg = statement(asset, grid, &r);
    let sig = key.sign(&msg);
    SignedRoot {
        asset: asset.to_owned(),
        root: hex(&r),
        tiles: leaves.len(),
        width: grid.width,
        height: grid.height,
        tile: grid.tile,
        statement: String::from_utf8_lossy(&msg).into_owned(),
        signature: b64(&sig),
        kid: key.kid().to_owned(),
        alg: ALGORITHM.to_owned(),
    }
}

/// Checks that `signed` is signed by `public` and that its statement names
/// its own root, asset and grid (so a valid signature over another root
/// does not pass).
pub fn verify_statement(signed: &SignedRoot, public: &[u8; 32]) -> Result<(), ProofError> {
    let key = VerifyingKey::from_bytes(public).map_err(|_| ProofError::Malformed("public key"))?;
    let sig = unb64(&signed.signature).ok_or(ProofError::Malformed("signature"))?;
    let sig = Signature::from_slice(&sig).map_err(|_| ProofError::Malformed("signature"))?;
    let root = unhex(&signed.root).ok_or(ProofError::Malformed("root"))?;
    let grid = Grid { width: signed.width, height: signed.height, tile: signed.tile, cols: signed.width.div_ceil(signed.tile.max(1)), rows: signed.height.div_ceil(signed.tile.max(1)) };
    if statement(&signed.asset, &grid, &root) != signed.statement.as_bytes() || grid.len() != signed.tiles {
        return Err(ProofError::BadSignature);
    }
    key.verify(signed.statement.as_bytes(), &sig).map_err(|_| ProofError::BadSignature)
}

/// An Ed25519 public key from its base64url form (a JWK's `x`).
pub fn public_key(x: &str) -> Option<[u8; 32]> {
    unb64(x)?.try_into().ok()
}

/// Lower-case hex of a hash.
pub fn hex(h: &Hash) -> String {
    crate::signing::hex(h)
}

/// A hash from 64 hex digits.
pub fn unhex(s: &str) -> Option<Hash> {
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(i as u32, &[i as u8; 7])).collect()
    }

    #[test]
    fn every_leaf_proves_its_inclusion_for_every_tree_size() {
        for n in 1..40 {
            let l = leaves(n);
            let r = root(&l);
            for i in 0..n {
                let p = inclusion_path(&l, i).unwrap();
                verify_inclusion(&l[i], i, n, &p, &r).unwrap();
                // The same path does not prove another leaf or index.
                if n > 1 {
                    let other = (i + 1) % n;
                    assert_eq!(verify_inclusion(&l[other], i, n, &p, &r), Err(ProofError::PathMismatch));
                    assert!(verify_inclusion(&l[i], other, n, &p, &r).is_err());
                }
            }
            assert!(inclusion_path(&l, n).is_err());
        }
    }

    #[test]
    fn a_changed_tile_changes_the_root_and_fails_its_path() {
        let l = leaves(37);
        let r = root(&l);
        let p = inclusion_path(&l, 5).unwrap();
        let changed = leaf_hash(5, &[99; 7]);
        assert_eq!(verify_inclusion(&changed, 5, 37, &p, &r), Err(ProofError::PathMismatch));
        let mut l2 = l.clone();
        l2[5] = changed;
        assert_ne!(root(&l2), r);
    }

    #[test]
    fn leaves_and_nodes_are_domain_separated() {
        // An inner node's preimage is never a valid leaf of the same bytes.
        let l = leaves(2);
        let mut inner = vec![];
        inner.extend_from_slice(&l[0]);
        inner.extend_from_slice(&l[1]);
        assert_ne!(leaf_hash(0, &inner), root(&l));
    }

    fn grid() -> Grid {
        Grid { width: 100, height: 60, tile: 16, cols: 7, rows: 4 }
    }

    #[test]
    fn signed_roots_verify_and_forgeries_fail() {
        let key = Key::from_seed("p1", [7; 32]);
        let l = leaves(28);
        let s = sign(&key, "abc", &grid(), &l);
        verify_statement(&s, &key.public()).unwrap();
        let stranger = Key::from_seed("p1", [8; 32]);
        assert_eq!(verify_statement(&s, &stranger.public()), Err(ProofError::BadSignature));
        // A forged root under the real signature.
        let mut forged = s.clone();
        forged.root = hex(&root(&leaves(27)));
        assert_eq!(verify_statement(&forged, &key.public()), Err(ProofError::BadSignature));
        // A re-signed statement for another asset does not pass as this one.
        let mut moved = s.clone();
        moved.asset = "other".into();
        assert_eq!(verify_statement(&moved, &key.public()), Err(ProofError::BadSignature));
        let mut garbled = s;
        garbled.signature = "!!".into();
        assert_eq!(verify_statement(&garbled, &key.public()), Err(ProofError::Malformed("signature")));
    }

    #[test]
    fn tile_leaves_hash_the_visible_pixels_of_each_tile() {
        let img = RgbaImage::filled(100, 60, [1, 2, 3, 255]);
        let g = grid();
        let l = tile_leaves(&img, &g);
        assert_eq!(l.len(), 28);
        // The corner tile holds 4x12 visible pixels.
        assert_eq!(l[27], leaf_hash(27, &[1, 2, 3, 255].repeat(4 * 12)));
    }
}
