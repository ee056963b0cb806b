//! The five themes: each its own tile palette, background and obstacle set,
//! and its own lean in the level generator.

use serde::{Deserialize, Serialize};

/// A game's theme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    /// Flower beds, thorns and bees.
    Garden,
    /// Rooms, furniture, pins and a vacuum cleaner.
    House,
    /// Sand, water gaps, urchins and crabs.
    Beach,
    /// Asteroids, floating platforms, lasers and drones.
    Space,
    /// Grass, benches, cones and pigeons.
    Park,
}

/// How a theme looks: colours as `[r, g, b]`, names of its obstacles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Style {
    /// Sky at the top of the screen.
    pub sky_top: [u8; 3],
    /// Sky at the horizon.
    pub sky_bottom: [u8; 3],
    /// Far background shapes (hills, walls, dunes, planets, trees).
    pub backdrop: [u8; 3],
    /// The top row of solid ground.
    pub ground_top: [u8; 3],
    /// Solid ground below its top row.
    pub ground: [u8; 3],
    /// Hazard tiles.
    pub hazard: [u8; 3],
    /// Enemies.
    pub enemy: [u8; 3],
    /// The goal marker.
    pub goal: [u8; 3],
    /// What the hazard tiles are.
    pub hazard_name: &'static str,
    /// What the enemies are.
    pub enemy_name: &'static str,
    /// What the goal is.
    pub goal_name: &'static str,
}

/// How a theme's levels lean: relative weights of the generator's sections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lean {
    /// Pits to jump.
    pub gaps: u32,
    /// Steps up and down.
    pub steps: u32,
    /// Hazard rows on the ground.
    pub hazards: u32,
    /// Patrolling enemies.
    pub enemies: u32,
    /// Floating platforms over pits.
    pub platforms: u32,
}

impl Theme {
    /// Every theme, in a fixed order.
    pub const ALL: [Theme; 5] = [Theme::Garden, Theme::House, Theme::Beach, Theme::Space, Theme::Park];

    /// The theme's name in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Garden => "garden",
            Theme::House => "house",
            Theme::Beach => "beach",
            Theme::Space => "space",
            Theme::Park => "park",
        }
    }

    /// Parses an API name.
    pub fn parse(s: &str) -> Option<Theme> {
        Theme::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// How the theme looks.
    pub fn style(self) -> Style {
        match self {
            Theme::Garden => Style {
                sky_top: [120, 192, 240],
                sky_bottom: [200, 236, 255],
                backdrop: [140, 200, 120],
                ground_top: [88, 168, 64],
                ground: [120, 84, 52],
                hazard: [150, 40, 90],
                enemy: [240, 200, 40],
                goal: [230, 90, 60],
                hazard_name: "thorns",
                enemy_name: "bee",
                goal_name: "food bowl",
            },
            Theme::House => Style {
                sky_top: [236, 220, 196],
                sky_bottom: [250, 242, 228],
                backdrop: [210, 186, 160],
                ground_top: [176, 112, 64],
                ground: [120, 76, 44],
                hazard: [170, 170, 190],
                enemy: [90, 90, 110],
                goal: [220, 60, 80],
                hazard_name: "pins",
                enemy_name: "vacuum cleaner",
                goal_name: "cushion",
            },
            Theme::Beach => Style {
                sky_top: [90, 180, 250],
                sky_bottom: [190, 230, 255],
                backdrop: [60, 140, 210],
                ground_top: [240, 214, 150],
                ground: [214, 180, 110],
                hazard: [70, 40, 90],
                enemy: [230, 80, 50],
                goal: [250, 120, 160],
                hazard_name: "sea urchins",
                enemy_name: "crab",
                goal_name: "sandcastle",
            },
            Theme::Space => Style {
                sky_top: [10, 10, 34],
                sky_bottom: [40, 24, 80],
                backdrop: [90, 70, 150],
                ground_top: [170, 170, 190],
                ground: [100, 100, 120],
                hazard: [250, 60, 60],
                enemy: [80, 240, 200],
                goal: [250, 220, 80],
                hazard_name: "lasers",
                enemy_name: "drone",
                goal_name: "rocket",
            },
            Theme::Park => Style {
                sky_top: [140, 200, 250],
                sky_bottom: [220, 240, 250],
                backdrop: [70, 150, 80],
                ground_top: [110, 190, 80],
                ground: [110, 110, 110],
                hazard: [250, 130, 30],
                enemy: [130, 130, 150],
                goal: [200, 60, 60],
                hazard_name: "traffic cones",
                enemy_name: "pigeon",
                goal_name: "ball",
            },
        }
    }

    /// How the theme's levels lean.
    pub fn lean(self) -> Lean {
        match self {
            Theme::Garden => Lean { gaps: 3, steps: 3, hazards: 4, enemies: 3, platforms: 1 },
            Theme::House => Lean { gaps: 2, steps: 5, hazards: 3, enemies: 3, platforms: 1 },
            Theme::Beach => Lean { gaps: 5, steps: 2, hazards: 3, enemies: 3, platforms: 1 },
            Theme::Space => Lean { gaps: 3, steps: 2, hazards: 2, enemies: 3, platforms: 5 },
            Theme::Park => Lean { gaps: 3, steps: 3, hazards: 3, enemies: 4, platforms: 2 },
        }
    }
}
