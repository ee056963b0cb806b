//! The page's game config and the sprite atlas, parsed and checked.

use edgepix_core::game::PageConfig;
use edgepix_core::pixelart::{Atlas, AtlasRect};

/// What the page gives the runtime (`<script id="game-config">`): the
/// shared crate's [`PageConfig`], which the Worker writes.
pub type Config = PageConfig;

/// A rectangle of the sprite sheet, in pixels.
pub type Rect = AtlasRect;

/// Parses and checks a config: at least one level, each well formed.
pub fn parse(json: &str) -> Result<Config, String> {
    let config: Config = serde_json::from_str(json).map_err(|e| format!("game config: {e}"))?;
    if config.levels.is_empty() {
        return Err("game config: no levels".to_owned());
    }
    if let Some(i) = config.levels.iter().position(|l| !l.is_well_formed()) {
        return Err(format!("game config: level {} is not well formed", i + 1));
    }
    Ok(config)
}

/// The pet's animations as frame rectangles; a missing animation falls back
/// to `idle`, a missing `idle` to every frame in name order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frames {
    /// Standing.
    pub idle: Vec<Rect>,
    /// Walking.
    pub walk: Vec<Rect>,
    /// Leaping and falling.
    pub jump: Vec<Rect>,
}

impl Frames {
    /// Resolves an atlas's animations (unknown frame names are skipped).
    pub fn from_atlas(atlas: &Atlas) -> Frames {
        let anim = |name: &str| -> Vec<Rect> {
            let names = atlas.animations.get(name).map(Vec::as_slice).unwrap_or_default();
            let mut rects: Vec<Rect> = names.iter().filter_map(|n| atlas.frames.get(n)).map(|f| f.frame).collect();
            if rects.is_empty() {
                // Frames named like `walk_0`, `walk_1`, ... without an animation list.
                rects = atlas.frames.iter().filter(|(n, _)| n.strip_prefix(name).is_some_and(|r| r.starts_with('_'))).map(|(_, f)| f.frame).collect();
            }
            rects.retain(|r| r.w > 0 && r.h > 0);
            rects
        };
        let mut idle = anim("idle");
        if idle.is_empty() {
            idle = atlas.frames.values().map(|f| f.frame).filter(|r| r.w > 0 && r.h > 0).take(1).collect();
        }
        let or_idle = |v: Vec<Rect>| if v.is_empty() { idle.clone() } else { v };
        Frames { walk: or_idle(anim("walk")), jump: or_idle(anim("jump")), idle }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgepix_core::game::{Difficulty, Level, Theme, generate};

    fn config_json(levels: &[Level], atlas: serde_json::Value) -> String {
        serde_json::json!({
            "code": "abcdefghjkmn", "name": "Rex's run", "theme": "garden", "levels": levels,
            "sheet_url": "/s.png", "atlas": atlas, "still_url": "/still.png", "plays_url": "/api/plays"
        })
        .to_string()
    }

    fn atlas() -> serde_json::Value {
        atlas_of(serde_json::json!({"idle_0": 0, "idle_1": 48, "walk_0": 96, "walk_1": 144, "jump_0": 192}), serde_json::json!({"idle": ["idle_0", "idle_1"], "walk": ["walk_0", "walk_1", "nope"]}))
    }

    /// A full atlas with 48x32 frames at the given x offsets.
    fn atlas_of(frames: serde_json::Value, animations: serde_json::Value) -> serde_json::Value {
        let size = serde_json::json!({"w": 48, "h": 32});
        let frames: serde_json::Map<String, serde_json::Value> = frames
            .as_object()
            .unwrap()
            .iter()
            .map(|(n, x)| (n.clone(), serde_json::json!({"frame": {"x": x, "y": 0, "w": 48, "h": 32}, "rotated": false, "trimmed": false, "spriteSourceSize": {"x": 0, "y": 0, "w": 48, "h": 32}, "sourceSize": size})))
            .collect();
        serde_json::json!({
            "frames": frames,
            "animations": animations,
            "meta": {"app": "edgepix", "version": "1", "image": "sheet.png", "format": "RGBA8888", "size": {"w": 240, "h": 32}, "scale": "1"}
        })
    }

    #[test]
    fn a_config_parses_with_generated_levels() {
        let levels = generate::levels(3, Theme::Beach, Difficulty::Easy, 2);
        let c = parse(&config_json(&levels, atlas())).unwrap();
        assert_eq!((c.theme, c.levels.len(), c.plays_url.as_str()), (Theme::Garden, 2, "/api/plays"));
        assert_eq!(c.levels, levels);
        let frames = Frames::from_atlas(&c.atlas);
        assert_eq!(frames.idle.iter().map(|r| r.x).collect::<Vec<_>>(), [0, 48]);
        assert_eq!(frames.walk.iter().map(|r| r.x).collect::<Vec<_>>(), [96, 144]);
        // No `jump` animation list: the `jump_*` frames.
        assert_eq!(frames.jump.iter().map(|r| r.x).collect::<Vec<_>>(), [192]);
    }

    #[test]
    fn bad_configs_are_refused() {
        assert!(parse("{}").is_err());
        assert!(parse(&config_json(&[], atlas())).unwrap_err().contains("no levels"));
        let mut level = generate::levels(3, Theme::Beach, Difficulty::Easy, 1).remove(0);
        level.goal = [level.width, 0];
        assert!(parse(&config_json(&[level], atlas())).unwrap_err().contains("level 1"));
    }

    #[test]
    fn missing_animations_fall_back_to_idle_or_any_frame() {
        let mut atlas: Atlas = serde_json::from_value(atlas_of(serde_json::json!({"pet": 1}), serde_json::json!({}))).unwrap();
        if let Some(f) = atlas.frames.get_mut("pet") {
            f.frame = Rect { x: 1, y: 2, w: 3, h: 4 };
        }
        let f = Frames::from_atlas(&atlas);
        let r = Rect { x: 1, y: 2, w: 3, h: 4 };
        assert_eq!(f, Frames { idle: vec![r], walk: vec![r], jump: vec![r] });
        let empty: Atlas = serde_json::from_value(atlas_of(serde_json::json!({}), serde_json::json!({}))).unwrap();
        assert_eq!(Frames::from_atlas(&empty), Frames::default());
    }
}
