//! Prints a game config (what the game page's `game-config` script holds)
//! for generated levels, with an atlas of 48x32 frames in one row of a
//! 384x32 sheet: idle 0-1, walk 2-5, jump 6-7. For trying the runtime on a
//! static page.
//!
//! `cargo run -p edgepix-game --example game_config -- [seed] [theme] [difficulty] [count] > config.json`

use edgepix_core::game::{Difficulty, Theme, generate};
use serde_json::{Map, Value, json};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seed = args.first().and_then(|s| s.parse().ok()).unwrap_or(1);
    let theme = args.get(1).and_then(|s| Theme::parse(s)).unwrap_or(Theme::Garden);
    let difficulty = args.get(2).and_then(|s| Difficulty::parse(s)).unwrap_or(Difficulty::Normal);
    let count = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(3);
    let mut frames = Map::new();
    let mut animations = Map::new();
    let mut i = 0;
    for (anim, n) in [("idle", 2), ("walk", 4), ("jump", 2)] {
        let names: Vec<String> = (0..n).map(|k| format!("{anim}_{k}")).collect();
        for name in &names {
            frames.insert(name.clone(), json!({"frame": {"x": i * 48, "y": 0, "w": 48, "h": 32}, "rotated": false, "trimmed": false}));
            i += 1;
        }
        animations.insert(anim.to_owned(), json!(names));
    }
    let config = json!({
        "code": "test00000000",
        "name": "Rex's big day",
        "theme": theme,
        "levels": generate::levels(seed, theme, difficulty, count),
        "sheet_url": "/sheet.png",
        "atlas": {"frames": frames, "animations": animations, "meta": {"app": "edgepix", "image": "sheet.png", "size": {"w": i * 48, "h": 32}, "scale": "1"}},
        "still_url": "/still.png",
        "plays_url": "/api/plays",
    });
    println!("{}", Value::to_string(&config));
}
