//! A game's public record, its embed snippet and its oEmbed answer, and the
//! configuration its page hands the browser runtime.

use serde::{Deserialize, Serialize};

use super::code::ShortCode;
use super::difficulty::Difficulty;
use super::level::Level;
use super::theme::Theme;

/// The game frame's size in CSS pixels for embeds (the runtime's logical
/// resolution; it scales to any size).
pub const FRAME_WIDTH: u32 = 640;

/// See [`FRAME_WIDTH`].
pub const FRAME_HEIGHT: u32 = 400;

/// Where a game is in its making.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GameStatus {
    /// Waiting for the pipeline.
    Queued,
    /// The pipeline runs.
    Running,
    /// Playable.
    Ready,
    /// The pipeline gave up; the job says why.
    Failed,
}

impl GameStatus {
    /// The status as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            GameStatus::Queued => "queued",
            GameStatus::Running => "running",
            GameStatus::Ready => "ready",
            GameStatus::Failed => "failed",
        }
    }

    /// Parses a stored status.
    pub fn parse(s: &str) -> Option<GameStatus> {
        [GameStatus::Queued, GameStatus::Running, GameStatus::Ready, GameStatus::Failed].into_iter().find(|g| g.as_str() == s)
    }
}

/// How long one pipeline stage took.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageTime {
    /// The stage (`decode`, `cutout`, `pixel_art`, `levels`, `store`).
    pub stage: String,
    /// Milliseconds of wall time.
    pub ms: f64,
}

/// A game as the API shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GameRecord {
    /// The public short code.
    pub code: ShortCode,
    /// The title.
    pub name: String,
    /// The theme.
    pub theme: Theme,
    /// The difficulty.
    pub difficulty: Difficulty,
    /// How many levels.
    pub level_count: u8,
    /// Where it is in its making.
    pub status: GameStatus,
    /// Times it was started.
    pub plays: u64,
    /// Unix seconds.
    pub created_at: u64,
    /// Unix seconds when it became playable.
    pub ready_at: Option<u64>,
    /// The job that makes it (`GET /api/v1/jobs/{job}`).
    pub job: String,
    /// The photo asset it was made from.
    pub asset: String,
    /// Pipeline stage times, once ready.
    pub stages: Vec<StageTime>,
}

/// What the game page hands the browser runtime.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PageConfig {
    /// The game's short code.
    pub code: ShortCode,
    /// The title.
    pub name: String,
    /// The theme.
    pub theme: Theme,
    /// The levels, each with its solution.
    pub levels: Vec<Level>,
    /// The sprite sheet PNG.
    pub sheet_url: String,
    /// The sheet's atlas (TexturePacker JSON Hash).
    pub atlas: crate::pixelart::Atlas,
    /// The still sprite PNG, for the start screen.
    pub still_url: String,
    /// Where the runtime records a play (`POST`).
    pub plays_url: String,
}

/// The game page's URL under `origin` (`https://host`, no trailing slash).
pub fn play_url(origin: &str, code: &ShortCode) -> String {
    format!("{origin}/g/{code}")
}

/// The `<iframe>` snippet that embeds a game.
pub fn embed_html(origin: &str, code: &ShortCode, name: &str) -> String {
    format!(
        "<iframe src=\"{}\" width=\"{FRAME_WIDTH}\" height=\"{FRAME_HEIGHT}\" style=\"border:0;max-width:100%\" title=\"{}\" allow=\"fullscreen\" loading=\"lazy\"></iframe>",
        html_escape(&play_url(origin, code)),
        html_escape(&format!("{name}: a pet game")),
    )
}

/// An oEmbed 1.0 answer of type `rich`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OEmbed {
    /// Always `"1.0"`.
    pub version: String,
    /// Always `"rich"`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The game's title.
    pub title: String,
    /// `edgepix`.
    pub provider_name: String,
    /// The provider's origin.
    pub provider_url: String,
    /// The embed snippet.
    pub html: String,
    /// The frame's width.
    pub width: u32,
    /// The frame's height.
    pub height: u32,
    /// The pet's still sprite.
    pub thumbnail_url: String,
}

impl OEmbed {
    /// The answer for a game.
    pub fn new(origin: &str, code: &ShortCode, name: &str) -> OEmbed {
        OEmbed {
            version: "1.0".to_owned(),
            kind: "rich".to_owned(),
            title: name.to_owned(),
            provider_name: "edgepix".to_owned(),
            provider_url: origin.to_owned(),
            html: embed_html(origin, code, name),
            width: FRAME_WIDTH,
            height: FRAME_HEIGHT,
            thumbnail_url: format!("{origin}/g/{code}/sprite.png"),
        }
    }
}

/// The game code in an oEmbed `url` that points at a game page of
/// `origin` (`{origin}/g/{code}`, with or without a trailing slash or query).
pub fn code_from_url(url: &str, origin: &str) -> Option<ShortCode> {
    let rest = url.strip_prefix(origin)?.strip_prefix("/g/")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if !rest[end..].is_empty() && !rest[end..].starts_with(['?', '#']) && &rest[end..] != "/" {
        return None;
    }
    ShortCode::parse(&rest[..end])
}

/// `s` with `&`, `<`, `>`, `"` and `'` escaped for HTML text and attributes.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON for a `<script type="application/json">` element: `<`, `>` and `&`
/// become `\u003c`-style escapes, so no text can close the element.
pub fn script_json(json: &str) -> String {
    json.replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code() -> ShortCode {
        ShortCode::parse("AbCdEf012345").unwrap()
    }

    #[test]
    fn the_snippet_escapes_the_name() {
        let html = embed_html("https://e.example", &code(), "Rex <script>\"&'");
        assert!(html.starts_with("<iframe src=\"https://e.example/g/AbCdEf012345\" width=\"640\" height=\"400\""));
        assert!(html.contains("Rex &lt;script&gt;&quot;&amp;&#39;: a pet game"));
        assert!(!html.contains("<script"));
    }

    #[test]
    fn oembed_urls_name_our_games_only() {
        let o = "https://e.example";
        assert_eq!(code_from_url("https://e.example/g/AbCdEf012345", o), Some(code()));
        assert_eq!(code_from_url("https://e.example/g/AbCdEf012345/", o), Some(code()));
        assert_eq!(code_from_url("https://e.example/g/AbCdEf012345?x=1", o), Some(code()));
        assert_eq!(code_from_url("https://e.example/g/AbCdEf012345/sprite.png", o), None);
        assert_eq!(code_from_url("https://other.example/g/AbCdEf012345", o), None);
        assert_eq!(code_from_url("https://e.example/g/short", o), None);
        assert_eq!(code_from_url("https://e.example.evil/g/AbCdEf012345", o), None);
        let json = serde_json::to_value(OEmbed::new(o, &code(), "Rex")).unwrap();
        assert_eq!(json["type"], "rich");
        assert_eq!(json["version"], "1.0");
        assert_eq!(json["thumbnail_url"], "https://e.example/g/AbCdEf012345/sprite.png");
    }

    #[test]
    fn script_json_cannot_close_its_element() {
        let s = script_json(r#"{"name":"</script><b>&"}"#);
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back["name"], "</script><b>&");
    }
}
