//! Drawing a session onto the canvas at its logical resolution: sky,
//! backdrop, tiles, goal, enemies and the pet, the HUD, and each screen's
//! banner. Shapes are whole-pixel rectangles where it matters, in the
//! theme's colours.

use edgepix_core::game::level::Tile;
use edgepix_core::game::rules::Motion;
use edgepix_core::game::theme::Style;
use edgepix_core::game::{Facing, Level, Theme};
use wasm_bindgen::JsValue;
use web_sys::{CanvasGradient, CanvasRenderingContext2d, HtmlImageElement};

use crate::config::{Frames, Rect};
use crate::scale::{HEIGHT, WIDTH};
use crate::session::{Loss, Screen, Session, Pose};

/// Pixels per cell.
pub const CELL: f64 = 32.0;

/// Height of the HUD bar above the level.
pub const HUD: f64 = 16.0;

/// Columns on screen.
const COLS: i32 = (WIDTH / 32) as i32;

/// The camera's left edge in level pixels: the pet centred, clamped to the
/// level (levels narrower than the screen sit at the left).
pub fn camera(pet_x: f32, level_width: u16) -> f64 {
    let max = (f64::from(level_width) * CELL - f64::from(WIDTH)).max(0.0);
    (f64::from(pet_x) * CELL + CELL / 2.0 - f64::from(WIDTH) / 2.0).clamp(0.0, max).round()
}

/// What ended an attempt, in the theme's words.
pub fn loss_text(loss: Loss, style: &Style) -> String {
    match loss {
        Loss::Fell => "You fell into a pit!".to_owned(),
        Loss::Hazard => format!("Ouch, the {}!", style.hazard_name),
        Loss::Caught => format!("Caught by the {}!", style.enemy_name),
        Loss::TimeUp => "Time's up!".to_owned(),
    }
}

/// The theme's name for people.
pub fn theme_title(theme: Theme) -> &'static str {
    match theme {
        Theme::Garden => "Garden",
        Theme::House => "House",
        Theme::Beach => "Beach",
        Theme::Space => "Space",
        Theme::Park => "Park",
    }
}

fn css([r, g, b]: [u8; 3]) -> String {
    format!("rgb({r},{g},{b})")
}

fn shade(c: [u8; 3], f: f32) -> [u8; 3] {
    c.map(|v| (f32::from(v) * f).round().clamp(0.0, 255.0) as u8)
}

/// A small deterministic hash of a cell, for speckles and stars.
fn hash(x: i32, y: i32) -> u32 {
    let mut h = (x as u32).wrapping_mul(0x9E37_79B1) ^ (y as u32).wrapping_mul(0x85EB_CA77);
    h ^= h >> 15;
    h = h.wrapping_mul(0xC2B2_AE3D);
    h ^ (h >> 13)
}

/// Draws sessions onto one canvas.
pub struct Renderer {
    ctx: CanvasRenderingContext2d,
    theme: Theme,
    style: Style,
    sky: CanvasGradient,
    sheet: HtmlImageElement,
    still: HtmlImageElement,
    frames: Frames,
    name: String,
}

impl Renderer {
    /// A renderer for a game called `name`, its theme, sheet, frames and
    /// still image.
    pub fn new(ctx: CanvasRenderingContext2d, theme: Theme, name: String, sheet: HtmlImageElement, still: HtmlImageElement, frames: Frames) -> Result<Renderer, JsValue> {
        let style = theme.style();
        let sky = ctx.create_linear_gradient(0.0, HUD, 0.0, f64::from(HEIGHT));
        sky.add_color_stop(0.0, &css(style.sky_top))?;
        sky.add_color_stop(1.0, &css(style.sky_bottom))?;
        ctx.set_image_smoothing_enabled(false);
        Ok(Renderer { ctx, theme, style, sky, sheet, still, frames, name })
    }

    /// The theme's look.
    pub fn style(&self) -> &Style {
        &self.style
    }

    fn rect(&self, c: [u8; 3], x: f64, y: f64, w: f64, h: f64) {
        self.ctx.set_fill_style_str(&css(c));
        self.ctx.fill_rect(x, y, w, h);
    }

    fn circle(&self, c: [u8; 3], x: f64, y: f64, r: f64) {
        self.ctx.set_fill_style_str(&css(c));
        self.ctx.begin_path();
        let _ = self.ctx.arc(x, y, r, 0.0, std::f64::consts::TAU);
        self.ctx.fill();
    }

    /// Text with a one-pixel shadow; `size` in pixels, `align` a canvas
    /// `textAlign`.
    fn text(&self, s: &str, x: f64, y: f64, size: u32, align: &str, c: [u8; 3]) {
        self.ctx.set_font(&format!("bold {size}px ui-monospace, Menlo, Consolas, monospace"));
        self.ctx.set_text_align(align);
        self.ctx.set_text_baseline("middle");
        self.ctx.set_fill_style_str("rgba(0,0,0,0.75)");
        let _ = self.ctx.fill_text(s, x + 1.0, y + 1.0);
        self.ctx.set_fill_style_str(&css(c));
        let _ = self.ctx.fill_text(s, x, y);
    }

    /// Draws the whole frame.
    pub fn draw(&self, s: &Session) {
        let level = s.level();
        let pose = s.pose();
        let cam = camera(pose.x, level.width);
        let clock = s.clock();
        self.ctx.set_fill_style_canvas_gradient(&self.sky);
        self.ctx.fill_rect(0.0, HUD, f64::from(WIDTH), f64::from(HEIGHT) - HUD);
        self.backdrop(cam, clock);
        self.tiles(level, cam);
        self.goal(level, cam, clock);
        for e in &level.enemies {
            let x = (f64::from(s.enemy_x(e)) * CELL - cam).round();
            if x > -CELL && x < f64::from(WIDTH) {
                self.enemy(x, HUD + f64::from(e.y) * CELL, clock);
            }
        }
        self.pet(&pose, cam, clock);
        self.hud(s);
        match s.screen() {
            Screen::Start => self.start_screen(s),
            Screen::Playing => {}
            Screen::LevelComplete => {
                let secs = f64::from(s.elapsed_ms()) / 1000.0;
                let lines = [format!("{} moves in {secs:.1} s", s.moves()), "Enter or tap: next level".to_owned()];
                self.banner(&format!("Level {} complete!", s.level_number()), &lines, clock);
            }
            Screen::Lost(loss) => {
                let lines = [loss_text(loss, &self.style), "Enter, R or tap: try again".to_owned()];
                self.banner("Oh no!", &lines, clock);
            }
            Screen::Won => {
                let lines = [
                    format!("All {} levels done: the {} is yours!", s.level_count(), self.style.goal_name),
                    "Enter or tap: play again".to_owned(),
                ];
                self.banner("You won!", &lines, clock);
            }
        }
    }

    fn backdrop(&self, cam: f64, clock: u32) {
        let c = self.style.backdrop;
        let bottom = f64::from(HEIGHT);
        let par = |period: f64, f: f64| (cam * f).rem_euclid(period);
        match self.theme {
            Theme::Garden | Theme::Park => {
                let off = par(192.0, 0.25);
                for i in -1..5 {
                    let x = f64::from(i) * 192.0 - off;
                    self.circle(c, x + 96.0, bottom - 30.0, 120.0);
                    if self.theme == Theme::Park {
                        let tx = x + 40.0;
                        self.rect(shade(c, 0.6), tx + 12.0, bottom - 190.0, 8.0, 40.0);
                        self.circle(shade(c, 0.8), tx + 16.0, bottom - 200.0, 22.0);
                    } else {
                        // Flowers on the hills.
                        for k in 0..3 {
                            let fx = x + 50.0 + f64::from(k) * 40.0;
                            let fy = bottom - 130.0 + f64::from(k % 2) * 12.0;
                            self.rect([250, 250, 250], fx, fy, 4.0, 4.0);
                            self.rect([250, 210, 60], fx + 1.0, fy + 1.0, 2.0, 2.0);
                        }
                    }
                }
            }
            Theme::House => {
                let off = par(224.0, 0.3);
                self.rect(shade(c, 0.9), 0.0, bottom - 120.0, f64::from(WIDTH), 6.0);
                for i in -1..4 {
                    let x = (f64::from(i) * 224.0 - off + 64.0).round();
                    self.rect(shade(c, 0.75), x - 6.0, 70.0, 108.0, 100.0);
                    self.rect(self.style.sky_top.map(|v| v.saturating_sub(40)), x, 76.0, 96.0, 88.0);
                    self.rect([150, 200, 240], x + 4.0, 80.0, 40.0, 80.0);
                    self.rect([150, 200, 240], x + 52.0, 80.0, 40.0, 80.0);
                    self.rect(shade(c, 0.75), x + 130.0, 110.0, 40.0, 30.0);
                    self.rect([230, 200, 120], x + 134.0, 114.0, 32.0, 22.0);
                }
            }
            Theme::Beach => {
                self.circle([255, 236, 150], 540.0, 70.0, 28.0);
                let horizon = bottom - 130.0;
                self.rect(c, 0.0, horizon, f64::from(WIDTH), bottom - horizon);
                let off = par(64.0, 0.3) + f64::from((clock / 20) % 2) * 4.0;
                for row in 0..4 {
                    let y = horizon + 10.0 + f64::from(row) * 28.0;
                    let mut x = -off + f64::from(row % 2) * 32.0;
                    while x < f64::from(WIDTH) {
                        self.rect(shade(c, 1.25), x.round(), y, 16.0, 3.0);
                        x += 64.0;
                    }
                }
            }
            Theme::Space => {
                for i in 0..70 {
                    let h = hash(i, 7);
                    let x = (f64::from(h % 1280) - cam * 0.1).rem_euclid(f64::from(WIDTH));
                    let y = HUD + f64::from((h >> 11) % 360);
                    let twinkle = (h >> 3).wrapping_add(clock / 10).is_multiple_of(7);
                    let size = if h.is_multiple_of(5) { 2.0 } else { 1.0 };
                    self.rect(if twinkle { [255, 255, 180] } else { [220, 220, 255] }, x.floor(), y, size, size);
                }
                let px = (480.0 - cam * 0.15).rem_euclid(f64::from(WIDTH) + 200.0) - 100.0;
                self.circle(c, px, 110.0, 44.0);
                self.rect(shade(c, 1.3), px - 70.0, 108.0, 140.0, 4.0);
                self.circle(shade(c, 0.7), (px + 320.0).rem_euclid(f64::from(WIDTH) + 200.0) - 100.0, 220.0, 16.0);
            }
        }
    }

    fn tiles(&self, level: &Level, cam: f64) {
        let first = (cam / CELL).floor() as i32;
        let st = &self.style;
        for y in 0..i32::from(level.height) {
            let sy = HUD + f64::from(y) * CELL;
            for x in first..=first + COLS {
                let sx = f64::from(x) * CELL - cam;
                match level.tile(x, y) {
                    Tile::Empty => {}
                    Tile::Solid => {
                        self.rect(st.ground, sx, sy, CELL, CELL);
                        let h = hash(x, y);
                        let dark = shade(st.ground, 0.82);
                        self.rect(dark, sx + f64::from(h % 6) * 4.0 + 2.0, sy + f64::from((h >> 4) % 5) * 4.0 + 10.0, 4.0, 4.0);
                        self.rect(dark, sx + f64::from((h >> 8) % 6) * 4.0 + 4.0, sy + f64::from((h >> 12) % 4) * 4.0 + 14.0, 4.0, 2.0);
                        if level.tile(x, y - 1) != Tile::Solid && y > 0 {
                            self.rect(st.ground_top, sx, sy, CELL, 8.0);
                            self.rect(shade(st.ground_top, 0.75), sx, sy + 8.0, CELL, 2.0);
                            self.rect(shade(st.ground_top, 1.15), sx, sy, CELL, 2.0);
                            if h.is_multiple_of(3) {
                                self.rect(st.ground_top, sx + f64::from((h >> 16) % 24) + 2.0, sy - 2.0, 4.0, 2.0);
                            }
                        }
                    }
                    Tile::Hazard => {
                        let c = st.hazard;
                        let light = shade(c, 1.35);
                        for k in 0..3 {
                            let bx = sx + 1.0 + f64::from(k) * 10.0;
                            // A stepped spike, 10 wide and 14 tall.
                            for row in 0..7 {
                                let w = 10.0 - f64::from(row) * 1.5;
                                let y0 = sy + CELL - 2.0 * f64::from(row + 1);
                                let x0 = (bx + (10.0 - w) / 2.0).round();
                                self.rect(c, x0, y0, w.round().max(2.0), 2.0);
                                self.rect(light, x0, y0, 1.0, 2.0);
                            }
                        }
                    }
                }
            }
        }
    }

    fn goal(&self, level: &Level, cam: f64, clock: u32) {
        let x = f64::from(level.goal[0]) * CELL - cam;
        if x < -CELL || x > f64::from(WIDTH) {
            return;
        }
        let y = HUD + f64::from(level.goal[1]) * CELL;
        let c = self.style.goal;
        self.rect([60, 60, 70], x + 10.0, y + 2.0, 3.0, 30.0);
        self.rect([240, 240, 240], x + 9.0, y, 5.0, 3.0);
        let wave = f64::from((clock / 12) % 2);
        self.rect(c, x + 13.0, y + 3.0, 14.0, 10.0 - wave);
        self.rect(shade(c, 0.8), x + 13.0, y + 9.0 - wave, 14.0, 2.0);
        self.rect(c, x + 27.0, y + 4.0 + wave, 3.0, 6.0);
        // A glow on the ground that pulses.
        let pulse = 1.0 + f64::from((clock / 15) % 2) * 2.0;
        self.rect(shade(c, 1.2), x + 4.0 - pulse, y + 30.0, 16.0 + 2.0 * pulse, 2.0);
    }

    fn enemy(&self, x: f64, y: f64, clock: u32) {
        let c = self.style.enemy;
        let bob = f64::from((clock / 8) % 2);
        let y = y - bob;
        match self.theme {
            Theme::Garden | Theme::Space | Theme::Park => {
                let flap = (clock / 4).is_multiple_of(2);
                let wing = [235, 245, 255];
                let wy = if flap { y + 4.0 } else { y + 8.0 };
                self.rect(wing, x + 8.0, wy, 7.0, 5.0);
                self.rect(wing, x + 17.0, wy, 7.0, 5.0);
            }
            Theme::Beach => {
                for k in 0..3 {
                    let ky = y + 20.0 + f64::from(k) * 3.0;
                    self.rect(shade(c, 0.7), x + 2.0, ky, 4.0, 2.0);
                    self.rect(shade(c, 0.7), x + 26.0, ky, 4.0, 2.0);
                }
            }
            Theme::House => {
                self.rect([40, 40, 40], x + 7.0, y + 27.0 + bob, 5.0, 5.0 - bob);
                self.rect([40, 40, 40], x + 20.0, y + 27.0 + bob, 5.0, 5.0 - bob);
            }
        }
        self.rect(c, x + 6.0, y + 12.0, 20.0, 16.0);
        self.rect(c, x + 8.0, y + 10.0, 16.0, 2.0);
        self.rect(shade(c, 0.7), x + 6.0, y + 26.0, 20.0, 2.0);
        if self.theme == Theme::Garden {
            self.rect([40, 30, 20], x + 6.0, y + 18.0, 20.0, 3.0);
        }
        self.rect([255, 255, 255], x + 10.0, y + 14.0, 5.0, 5.0);
        self.rect([255, 255, 255], x + 18.0, y + 14.0, 5.0, 5.0);
        self.rect([20, 20, 30], x + 12.0, y + 16.0, 2.0, 2.0);
        self.rect([20, 20, 30], x + 20.0, y + 16.0, 2.0, 2.0);
    }

    fn pet(&self, pose: &Pose, cam: f64, clock: u32) {
        let x = f64::from(pose.x) * CELL - cam;
        let y = HUD + f64::from(pose.y) * CELL;
        if y > f64::from(HEIGHT) {
            return;
        }
        let (anim, every) = match pose.motion {
            Some(Motion::Walk) => (&self.frames.walk, 5),
            Some(Motion::Leap | Motion::Fall) => (&self.frames.jump, 6),
            Some(Motion::Stay) | None => (&self.frames.idle, 15),
        };
        let frame = anim.get((clock / every) as usize % anim.len().max(1)).copied();
        let loaded = self.sheet.complete() && self.sheet.natural_width() > 0;
        match frame.filter(|_| loaded) {
            Some(r) => self.sprite(r, x, y, pose.facing),
            None => self.placeholder(x, y, pose.facing),
        }
    }

    /// Draws frame `r` bottom-centred in the cell at (`x`, `y`), mirrored
    /// when facing left.
    fn sprite(&self, r: Rect, x: f64, y: f64, facing: Facing) {
        let (w, h) = (f64::from(r.w), f64::from(r.h));
        let dx = (x + CELL / 2.0 - w / 2.0).round();
        let dy = (y + CELL - h).round();
        let (sx, sy) = (f64::from(r.x), f64::from(r.y));
        if facing == Facing::Left {
            self.ctx.save();
            let _ = self.ctx.translate(dx + w, dy);
            let _ = self.ctx.scale(-1.0, 1.0);
            let _ = self.ctx.draw_image_with_html_image_element_and_sw_and_sh_and_dx_and_dy_and_dw_and_dh(&self.sheet, sx, sy, w, h, 0.0, 0.0, w, h);
            self.ctx.restore();
        } else {
            let _ = self.ctx.draw_image_with_html_image_element_and_sw_and_sh_and_dx_and_dy_and_dw_and_dh(&self.sheet, sx, sy, w, h, dx, dy, w, h);
        }
    }

    fn placeholder(&self, x: f64, y: f64, facing: Facing) {
        let (x, y) = (x.round(), y.round());
        let body = [236, 150, 80];
        self.rect(body, x + 6.0, y + 12.0, 20.0, 18.0);
        self.rect(shade(body, 0.8), x + 6.0, y + 28.0, 20.0, 4.0);
        self.rect(body, x + 6.0, y + 8.0, 5.0, 4.0);
        self.rect(body, x + 21.0, y + 8.0, 5.0, 4.0);
        let ex = if facing == Facing::Right { x + 17.0 } else { x + 9.0 };
        self.rect([20, 20, 30], ex, y + 16.0, 2.0, 3.0);
        self.rect([20, 20, 30], ex + 5.0, y + 16.0, 2.0, 3.0);
    }

    fn hud(&self, s: &Session) {
        self.ctx.set_fill_style_str("rgba(10,10,20,0.85)");
        self.ctx.fill_rect(0.0, 0.0, f64::from(WIDTH), HUD);
        let white = [240, 240, 240];
        self.text(&format!("LEVEL {}/{}", s.level_number(), s.level_count()), 6.0, 8.0, 11, "left", white);
        let left = s.time_left_ms();
        let secs = left.div_ceil(1000);
        let warn = s.screen() == Screen::Playing && left < 10_000;
        self.text(&format!("TIME {}:{:02}", secs / 60, secs % 60), 320.0, 8.0, 11, "center", if warn { [255, 110, 90] } else { white });
        self.text(&format!("MOVES {}", s.moves()), 596.0, 8.0, 11, "right", white);
        if s.sound() {
            self.text("\u{266A}", 622.0, 8.0, 11, "center", white);
        } else {
            self.text("\u{266A}", 622.0, 8.0, 11, "center", [110, 110, 120]);
            self.rect([200, 80, 80], 615.0, 7.0, 14.0, 2.0);
        }
    }

    fn dim(&self) {
        self.ctx.set_fill_style_str("rgba(8,8,20,0.6)");
        self.ctx.fill_rect(0.0, HUD, f64::from(WIDTH), f64::from(HEIGHT) - HUD);
    }

    fn start_screen(&self, s: &Session) {
        self.dim();
        let mid = f64::from(WIDTH) / 2.0;
        let (w, h) = (f64::from(self.still.natural_width()), f64::from(self.still.natural_height()));
        if self.still.complete() && w > 0.0 && h > 0.0 {
            let k = (128.0 / w).min(112.0 / h).floor().max(1.0);
            let (dw, dh) = (w * k, h * k);
            let _ = self.ctx.draw_image_with_html_image_element_and_dw_and_dh(&self.still, (mid - dw / 2.0).round(), (176.0 - dh).round(), dw, dh);
        } else {
            self.placeholder(mid - 16.0, 140.0, Facing::Right);
        }
        self.text(&self.name, mid, 208.0, 26, "center", [255, 255, 255]);
        let count = s.level_count();
        let plural = if count == 1 { "level" } else { "levels" };
        self.text(&format!("{} \u{00B7} {count} {plural}", theme_title(self.theme)), mid, 240.0, 14, "center", [220, 220, 235]);
        if (s.clock() / 30).is_multiple_of(2) {
            self.text("Press Enter or tap to start", mid, 290.0, 16, "center", [255, 230, 120]);
        }
        self.text("\u{2190} \u{2192} move   \u{2191} jump   \u{2193} wait   R restart   M sound", mid, 350.0, 11, "center", [190, 190, 210]);
    }

    fn banner(&self, title: &str, lines: &[String], clock: u32) {
        self.dim();
        let (w, h) = (420.0, 132.0);
        let (x, y) = ((f64::from(WIDTH) - w) / 2.0, HUD + (f64::from(HEIGHT) - HUD - h) / 2.0);
        self.rect([20, 20, 36], x, y, w, h);
        self.rect(self.style.goal, x, y, w, 4.0);
        self.rect(shade(self.style.goal, 0.6), x, y + h - 4.0, w, 4.0);
        let mid = f64::from(WIDTH) / 2.0;
        self.text(title, mid, y + 32.0, 24, "center", [255, 255, 255]);
        for (i, line) in lines.iter().enumerate() {
            let last = i + 1 == lines.len();
            if last && (clock / 30) % 2 == 1 {
                continue;
            }
            let c = if last { [255, 230, 120] } else { [220, 220, 235] };
            self.text(line, mid, y + 70.0 + 24.0 * i as f64, 14, "center", c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_camera_follows_and_stops_at_the_edges() {
        assert_eq!(camera(0.0, 60), 0.0);
        assert_eq!(camera(30.0, 60), 30.0 * 32.0 + 16.0 - 320.0);
        assert_eq!(camera(59.0, 60), 60.0 * 32.0 - 640.0);
        assert_eq!(camera(5.0, 10), 0.0);
    }

    #[test]
    fn losses_are_told_in_the_theme_words() {
        let style = Theme::House.style();
        assert_eq!(loss_text(Loss::Hazard, &style), "Ouch, the pins!");
        assert_eq!(loss_text(Loss::Caught, &style), "Caught by the vacuum cleaner!");
    }
}
