//! Packing frames into one sheet, with a TexturePacker "JSON Hash" atlas.
//!
//! The atlas is what Phaser (`this.load.atlas(key, "sheet.png",
//! "sheet.json")`) and PixiJS (`Assets.load("sheet.json")`, whose
//! `animations` it turns into frame lists) read without conversion.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::frames::Animation;
use crate::pixel::RgbaImage;

/// Transparent pixels between neighbouring frames, so that filtering or
/// rounding in a game engine never shows a neighbour's edge.
pub const SPACING: u32 = 1;
/// The file name the atlas gives the sheet.
pub const IMAGE_NAME: &str = "sheet.png";

/// A rectangle in the atlas.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtlasRect {
    /// Left.
    pub x: u32,
    /// Top.
    pub y: u32,
    /// Width.
    pub w: u32,
    /// Height.
    pub h: u32,
}

/// A size in the atlas.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtlasSize {
    /// Width.
    pub w: u32,
    /// Height.
    pub h: u32,
}

/// One frame of the atlas.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AtlasFrame {
    /// Where the frame lies in the sheet.
    pub frame: AtlasRect,
    /// Always false: frames are stored upright.
    pub rotated: bool,
    /// Always false: frames keep their transparent margins.
    pub trimmed: bool,
    /// The frame within its untrimmed source: all of it.
    pub sprite_source_size: AtlasRect,
    /// The untrimmed size: the frame's.
    pub source_size: AtlasSize,
}

/// The atlas's `meta` block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtlasMeta {
    /// `edgepix`.
    pub app: String,
    /// The atlas layout version, `1`.
    pub version: String,
    /// The sheet's file name.
    pub image: String,
    /// `RGBA8888`.
    pub format: String,
    /// The sheet's size.
    pub size: AtlasSize,
    /// `1`.
    pub scale: String,
}

/// A TexturePacker "JSON Hash" atlas with PixiJS's `animations`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Atlas {
    /// Frames by name (`idle_0`, `walk_3`, ...).
    pub frames: BTreeMap<String, AtlasFrame>,
    /// Each animation's frame names, in playing order.
    pub animations: BTreeMap<String, Vec<String>>,
    /// About the sheet.
    pub meta: AtlasMeta,
}

impl Atlas {
    /// The atlas as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// Packs `animations` into one sheet, an animation a row, frames left to
/// right, [`SPACING`] transparent pixels between cells, and describes it.
/// Frames are taken to share one size (the first frame's).
pub fn pack(animations: &[Animation]) -> (RgbaImage, Atlas) {
    let first = animations.iter().flat_map(|a| a.frames.first()).next();
    let (fw, fh) = first.map_or((0, 0), |f| (f.width(), f.height()));
    let cols = animations.iter().map(|a| a.frames.len() as u32).max().unwrap_or(0);
    let rows = animations.len() as u32;
    let span = |n: u32, cell: u32| if n == 0 { 0 } else { n * cell + (n - 1) * SPACING };
    let (sw, sh) = (span(cols, fw), span(rows, fh));
    let mut sheet = RgbaImage::filled(sw, sh, [0; 4]);
    let mut frames = BTreeMap::new();
    let mut names = BTreeMap::new();
    for (row, a) in animations.iter().enumerate() {
        let mut list = Vec::new();
        for (col, f) in a.frames.iter().enumerate() {
            let (x, y) = (col as u32 * (fw + SPACING), row as u32 * (fh + SPACING));
            blit(&mut sheet, f, x, y);
            let name = format!("{}_{col}", a.name);
            let (w, h) = (f.width().min(fw), f.height().min(fh));
            frames.insert(
                name.clone(),
                AtlasFrame { frame: AtlasRect { x, y, w, h }, rotated: false, trimmed: false, sprite_source_size: AtlasRect { x: 0, y: 0, w, h }, source_size: AtlasSize { w, h } },
            );
            list.push(name);
        }
        names.insert(a.name.to_owned(), list);
    }
    let meta = AtlasMeta {
        app: "edgepix".to_owned(),
        version: "1".to_owned(),
        image: IMAGE_NAME.to_owned(),
        format: "RGBA8888".to_owned(),
        size: AtlasSize { w: sw, h: sh },
        scale: "1".to_owned(),
    };
    (sheet, Atlas { frames, animations: names, meta })
}

/// Copies `src` into `dst` at `(x, y)`, clipped to `dst`.
fn blit(dst: &mut RgbaImage, src: &RgbaImage, x: u32, y: u32) {
    let (dw, dh) = (dst.width(), dst.height());
    let w = src.width().min(dw.saturating_sub(x)) as usize;
    for r in 0..src.height().min(dh.saturating_sub(y)) {
        let s = (r * src.width()) as usize * 4;
        let d = (((y + r) * dw + x) as usize) * 4;
        dst.data_mut()[d..d + w * 4].copy_from_slice(&src.data()[s..s + w * 4]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(w: u32, h: u32, v: u8) -> RgbaImage {
        RgbaImage::filled(w, h, [v, v, v, 255])
    }

    #[test]
    fn packs_a_row_per_animation() {
        let anims = vec![
            Animation { name: "idle", frames: (0..4).map(|i| frame(5, 7, i)).collect() },
            Animation { name: "walk", frames: (10..16).map(|i| frame(5, 7, i)).collect() },
        ];
        let (sheet, atlas) = pack(&anims);
        assert_eq!((sheet.width(), sheet.height()), (6 * 5 + 5, 2 * 7 + 1));
        assert_eq!(atlas.meta.size, AtlasSize { w: 35, h: 15 });
        assert_eq!(atlas.frames.len(), 10);
        assert_eq!(atlas.animations["walk"], vec!["walk_0", "walk_1", "walk_2", "walk_3", "walk_4", "walk_5"]);
        assert_eq!(atlas.frames["walk_2"].frame, AtlasRect { x: 12, y: 8, w: 5, h: 7 });
        // Each rectangle holds its frame; the gaps are transparent.
        for (row, a) in anims.iter().enumerate() {
            for (col, f) in a.frames.iter().enumerate() {
                let r = atlas.frames[&format!("{}_{col}", a.name)].frame;
                assert_eq!((r.x, r.y), (col as u32 * 6, row as u32 * 8));
                let px = |x: u32, y: u32| &sheet.data()[((y * 35 + x) * 4) as usize..((y * 35 + x) * 4 + 4) as usize];
                assert_eq!(px(r.x + 4, r.y + 6), &f.data()[..4]);
            }
        }
        assert_eq!(sheet.data()[((7 * 35 + 0) * 4 + 3) as usize], 0);
        assert_eq!(sheet.data()[((0 * 35 + 5) * 4 + 3) as usize], 0);
        // The idle row's last cells are empty.
        assert_eq!(sheet.data()[((0 * 35 + 30) * 4 + 3) as usize], 0);
    }

    #[test]
    fn atlas_json_has_the_texturepacker_layout_and_round_trips() {
        let (_, atlas) = pack(&[Animation { name: "jump", frames: vec![frame(3, 4, 1), frame(3, 4, 2)] }]);
        let json = atlas.to_json();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let f = &v["frames"]["jump_1"];
        assert_eq!(f["frame"], serde_json::json!({"x": 4, "y": 0, "w": 3, "h": 4}));
        assert_eq!(f["rotated"], false);
        assert_eq!(f["trimmed"], false);
        assert_eq!(f["spriteSourceSize"], serde_json::json!({"x": 0, "y": 0, "w": 3, "h": 4}));
        assert_eq!(f["sourceSize"], serde_json::json!({"w": 3, "h": 4}));
        assert_eq!(v["animations"]["jump"], serde_json::json!(["jump_0", "jump_1"]));
        assert_eq!(v["meta"], serde_json::json!({"app": "edgepix", "version": "1", "image": "sheet.png", "format": "RGBA8888", "size": {"w": 7, "h": 4}, "scale": "1"}));
        let back: Atlas = serde_json::from_str(&json).unwrap();
        assert_eq!(back, atlas);
    }

    #[test]
    fn nothing_packs_to_an_empty_sheet() {
        let (sheet, atlas) = pack(&[]);
        assert_eq!((sheet.width(), sheet.height()), (0, 0));
        assert!(atlas.frames.is_empty());
    }
}
