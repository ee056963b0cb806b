//! Prints generated levels as text, with their solutions and clocks, and
//! how often the generator fell back to its plain level.
//!
//! `cargo run --release -p edgepix-core --example game_levels -- [seed] [theme] [difficulty] [count]`

use edgepix_core::game::generate;
use edgepix_core::game::level::moves_to_string;
use edgepix_core::game::{Difficulty, Theme};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seed = args.first().and_then(|s| s.parse().ok()).unwrap_or(1);
    let theme = args.get(1).and_then(|s| Theme::parse(s)).unwrap_or(Theme::Garden);
    let difficulty = args.get(2).and_then(|s| Difficulty::parse(s)).unwrap_or(Difficulty::Normal);
    let count = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(2);
    for (i, level) in generate::levels(seed, theme, difficulty, count).iter().enumerate() {
        println!("level {} ({}x{}, {} enemies, {} s, {} moves): {}", i + 1, level.width, level.height, level.enemies.len(), level.time_limit_s, level.solution.len(), moves_to_string(&level.solution));
        for (y, row) in level.row_strings().iter().enumerate() {
            let mut row: Vec<char> = row.chars().collect();
            for e in &level.enemies {
                if usize::from(e.y) == y {
                    row[usize::from(e.x0)..=usize::from(e.x1)].iter_mut().filter(|c| **c == '.').for_each(|c| *c = '-');
                    row[usize::from(e.x_at(0))] = 'E';
                }
            }
            if usize::from(level.start[1]) == y {
                row[usize::from(level.start[0])] = 'P';
            }
            if usize::from(level.goal[1]) == y {
                row[usize::from(level.goal[0])] = 'G';
            }
            println!("  {}", row.into_iter().collect::<String>());
        }
    }
    for d in Difficulty::ALL {
        let fallbacks = (0..1000u64).filter(|&s| generate::is_fallback(&generate::level(s, theme, d, 0))).count();
        println!("{} {}: {fallbacks} fallbacks in 1000 seeds", theme.as_str(), d.as_str());
    }
}
