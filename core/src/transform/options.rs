//! Cloudflare Images options: parsing into a typed, canonical form.
//!
//! The syntax is Cloudflare's `/cdn-cgi/image/<OPTIONS>/<SOURCE>`: a
//! comma-separated list of `key=value`, no spaces. [`parse`] turns it into
//! [`Options`], whose every field is valid by construction, and
//! [`Options::canonical`] writes it back in one form (fixed key order, long
//! names, defaults dropped) so that equal requests share a cache key.
//!
//! Values may be percent-encoded (`background=%23ff0000`,
//! `background=rgb%28240%2C40%2C145%29`), as Cloudflare requires for `#`
//! and `,`; a comma inside parentheses (already decoded) does not split
//! options either.
//!
//! Decimals (`dpr`, `sharpen`, `brightness`, `contrast`, `gamma`,
//! `saturation`, gravity coordinates) are kept as integer thousandths,
//! rounded half up from the text, so a canonical string parses back
//! exactly.
//!
//! Where edgepix differs from Cloudflare:
//! - `gravity=auto` is the centre (no saliency detection); `gravity=face`
//!   parses and is kept, and the geometry treats it as the centre, which is
//!   what Cloudflare does when it finds no face.
//! - `quality=high|medium-high|medium-low|low` are kept as levels; the
//!   numbers they encode at ([`Perceptual::value`]) are ours, Cloudflare
//!   does not publish its own.
//! - `width=auto` / `height=auto` (client hints) mean "not set".
//! - `blur=0` means no blur, and `brightness=0`, `contrast=0`, `gamma=0`
//!   mean no change (Cloudflare: "0 is ignored").
//! - `trim=border`, the `trim.*` keys, `border`, `compression`, `segment`,
//!   `zoom`, `slow-connection-quality` and `upscale` are refused with an
//!   explicit "not supported" error; `hsl()` colours are refused.
//! - edgepix adds `pixelate`, `blur-region`, `pixelate-region`, `policy`,
//!   `policy-wait` and `reveal`.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use super::orient::Orientation;
use crate::pixel::Rect;

/// The longest options string accepted, in bytes (checked first).
pub const MAX_OPTIONS_LEN: usize = 2048;
/// The most options accepted in one string (checked before any value is read).
pub const MAX_OPTIONS: usize = 64;
/// The most `blur-region` and `pixelate-region` options together.
pub const MAX_REGIONS: usize = 32;
/// The largest `width` or `height`, in pixels.
pub const MAX_DIMENSION: u32 = 12_000;
/// The largest source-pixel number in `trim` and regions.
pub const MAX_SOURCE_COORD: u32 = 100_000;
/// The canonical form of options that are all defaults; [`parse`] accepts it.
pub const ORIGINAL: &str = "original";
/// The quality used when none is given (Cloudflare's default).
pub const DEFAULT_QUALITY: u8 = 85;

/// Why an options string was refused. Each message names the option and
/// what it accepts.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OptionError {
    /// The string is empty.
    #[error("no options given: give at least one, such as `width=800`, or `original`")]
    Empty,
    /// The string is longer than [`MAX_OPTIONS_LEN`].
    #[error("the options are {len} bytes long, over the limit of {max}")]
    TooLong {
        /// Bytes given.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// More than [`MAX_OPTIONS`] options.
    #[error("more than {max} options given")]
    TooMany {
        /// The limit.
        max: usize,
    },
    /// More than [`MAX_REGIONS`] regions.
    #[error("more than {max} regions given (blur-region and pixelate-region together)")]
    TooManyRegions {
        /// The limit.
        max: usize,
    },
    /// An entry without `=`, or an empty entry.
    #[error("`{entry}` is not an option: write key=value, options separated by commas")]
    Malformed {
        /// The entry, shortened.
        entry: String,
    },
    /// A key we do not know.
    #[error("unknown option `{key}`; known options: {KNOWN_OPTIONS}")]
    Unknown {
        /// The key, shortened.
        key: String,
    },
    /// A Cloudflare option (or form of one) that edgepix does not implement.
    #[error("option `{option}` is not supported: {hint}")]
    Unsupported {
        /// The option.
        option: String,
        /// What to use instead.
        hint: &'static str,
    },
    /// A value that is not of the option's syntax or not in its range.
    #[error("invalid value `{value}` for option `{option}`: expected {expected}")]
    InvalidValue {
        /// The option (long name).
        option: &'static str,
        /// The value, shortened.
        value: String,
        /// What the option accepts.
        expected: &'static str,
    },
    /// The same option twice (under its long or short name).
    #[error("option `{option}` is given more than once")]
    Duplicate {
        /// The option (long name).
        option: &'static str,
    },
    /// An option that only means something beside another.
    #[error("option `{option}` needs `{needs}` beside it")]
    Requires {
        /// The option given.
        option: &'static str,
        /// The option it needs.
        needs: &'static str,
    },
    /// Two options that cannot be given together.
    #[error("option `{option}` cannot be combined with `{with}`")]
    Conflicts {
        /// The option given.
        option: &'static str,
        /// The option it excludes.
        with: &'static str,
    },
}

/// The options [`OptionError::Unknown`] lists.
const KNOWN_OPTIONS: &str = "width (w), height (h), dpr, fit, gravity (g), trim, flip, rotate, background, blur, pixelate, sharpen, brightness, \
contrast, gamma, saturation, blur-region, pixelate-region, quality (q), format (f), metadata, anim, onerror, policy, policy-wait, reveal";

/// Defines a keyword enum with its URL spellings.
macro_rules! keywords {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vm])* $variant),+
        }

        impl $name {
            /// Every value, in documentation order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as written in options.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            fn from_keyword(s: &str) -> Option<$name> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

keywords! {
    /// How the image fits `width` x `height` (Cloudflare's `fit`).
    #[derive(Default)]
    Fit {
        /// Like `contain`, but never enlarges (the default).
        #[default]
        ScaleDown = "scale-down",
        /// The largest size inside the box, aspect kept; may enlarge.
        Contain = "contain",
        /// Fills the box exactly, cropping the overflow; may enlarge.
        Cover = "cover",
        /// Like `cover`, but never enlarges: shrinks to cover, crops the rest.
        Crop = "crop",
        /// Crops to the box's aspect ratio, shrinking but never enlarging.
        AspectCrop = "aspect-crop",
        /// Like `contain`, then pads to exactly the box with `background`.
        Pad = "pad",
        /// Stretches to exactly the box, ignoring the aspect ratio.
        Squeeze = "squeeze",
    }
}

keywords! {
    /// The output format (Cloudflare's `format`).
    Format {
        /// The best format the client accepts; see [`negotiate`].
        Auto = "auto",
        /// AVIF (the pipeline writes WebP instead, see
        /// [`super::pipeline::output_format`]).
        Avif = "avif",
        /// WebP.
        Webp = "webp",
        /// Progressive JPEG.
        Jpeg = "jpeg",
        /// Baseline (sequential) JPEG.
        BaselineJpeg = "baseline-jpeg",
        /// PNG.
        Png = "png",
        /// A JSON description of the image instead of pixels.
        Json = "json",
    }
}

keywords! {
    /// Which metadata the output keeps (Cloudflare's `metadata`).
    #[derive(Default)]
    Metadata {
        /// Most EXIF metadata, GPS included.
        Keep = "keep",
        /// Only the copyright tag (the default).
        #[default]
        Copyright = "copyright",
        /// None.
        None = "none",
    }
}

keywords! {
    /// A mirror, applied before `rotate` (as Cloudflare does).
    Flip {
        /// Left and right swap.
        H = "h",
        /// Top and bottom swap.
        V = "v",
        /// Both.
        Hv = "hv",
    }
}

keywords! {
    /// A rotation (clockwise; Cloudflare does not document the direction).
    #[derive(Default)]
    Rotate {
        /// None (the default).
        #[default]
        Deg0 = "0",
        /// A quarter turn.
        Deg90 = "90",
        /// A half turn.
        Deg180 = "180",
        /// Three quarter turns.
        Deg270 = "270",
    }
}

impl Rotate {
    /// Clockwise quarter turns, 0-3.
    pub fn quarter_turns(self) -> u8 {
        match self {
            Rotate::Deg0 => 0,
            Rotate::Deg90 => 1,
            Rotate::Deg180 => 2,
            Rotate::Deg270 => 3,
        }
    }
}

keywords! {
    /// Cloudflare's perceptual quality levels.
    Perceptual {
        /// High.
        High = "high",
        /// Medium-high.
        MediumHigh = "medium-high",
        /// Medium-low.
        MediumLow = "medium-low",
        /// Low.
        Low = "low",
    }
}

impl Perceptual {
    /// The encoder quality edgepix uses for this level (our choice:
    /// Cloudflare does not publish numbers).
    pub fn value(self) -> u8 {
        match self {
            Perceptual::High => 90,
            Perceptual::MediumHigh => 80,
            Perceptual::MediumLow => 65,
            Perceptual::Low => 50,
        }
    }
}

keywords! {
    /// What to do when the transformation fails (Cloudflare's `onerror`).
    OnError {
        /// Redirect to the source image.
        Redirect = "redirect",
    }
}

/// Defines an integer newtype valid only in `MIN..=MAX`.
macro_rules! bounded {
    ($(#[$m:meta])* $name:ident($t:ty), $min:expr, $max:expr) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name($t);

        impl $name {
            /// The smallest value.
            pub const MIN: $t = $min;
            /// The largest value.
            pub const MAX: $t = $max;

            /// `v`, if in range.
            pub const fn new(v: $t) -> Option<$name> {
                if v >= $min && v <= $max { Some($name(v)) } else { None }
            }

            /// The value.
            pub const fn get(self) -> $t {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

bounded!(
    /// A requested width or height in pixels, 1 to [`MAX_DIMENSION`].
    Dimension(u32), 1, MAX_DIMENSION
);
bounded!(
    /// A blur radius, 1 to 250 (Cloudflare's range).
    BlurRadius(u32), 1, 250
);
bounded!(
    /// A pixelation cell size in pixels, 1 to 256.
    CellSize(u32), 1, 256
);
bounded!(
    /// A fixed encoder quality, 1 to 100.
    Percent(u8), 1, 100
);

/// Defines a decimal newtype held in thousandths, valid only in a range.
macro_rules! decimal {
    ($(#[$m:meta])* $name:ident, $min:literal, $max:literal) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(u32);

        impl $name {
            /// The smallest value, in thousandths.
            pub const MIN_MILLI: u32 = $min;
            /// The largest value, in thousandths.
            pub const MAX_MILLI: u32 = $max;

            /// `milli` / 1000, if in range.
            pub const fn from_milli(milli: u32) -> Option<$name> {
                if matches!(milli, $min..=$max) { Some($name(milli)) } else { None }
            }

            /// The value in thousandths.
            pub const fn milli(self) -> u32 {
                self.0
            }

            /// The value.
            pub fn get(self) -> f64 {
                f64::from(self.0) / 1000.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&fmt_milli(self.0))
            }
        }
    };
}

decimal!(
    /// The device pixel ratio, 0.1 to 3 (default 1); it multiplies `width`,
    /// `height` and `trim`.
    Dpr, 100, 3000
);
decimal!(
    /// A brightness, contrast or gamma factor, 0.001 to 10; 1 is no change.
    Factor, 1, 10_000
);
decimal!(
    /// A saturation factor, 0 to 10: 1 is no change, 0 is greyscale.
    Saturation, 0, 10_000
);
decimal!(
    /// A sharpening strength, 0 (none, the default) to 10.
    Sharpen, 0, 10_000
);
decimal!(
    /// A gravity coordinate, 0 (left or top) to 1 (right or bottom).
    Coord, 0, 1000
);

impl Dpr {
    /// 1, the default.
    pub const ONE: Dpr = Dpr(1000);
}

impl Factor {
    /// 1, no change.
    pub const ONE: Factor = Factor(1000);
}

impl Saturation {
    /// 1, no change.
    pub const ONE: Saturation = Saturation(1000);
}

impl Sharpen {
    /// 0, no sharpening.
    pub const ZERO: Sharpen = Sharpen(0);
}

/// Where `cover`, `crop` and `aspect-crop` keep the image when they crop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Gravity {
    /// Cloudflare: saliency. edgepix: the centre.
    #[default]
    Auto,
    /// Cloudflare: the faces. edgepix: the centre (as Cloudflare without faces).
    Face,
    /// Keep the left edge.
    Left,
    /// Keep the right edge.
    Right,
    /// Keep the top edge.
    Top,
    /// Keep the bottom edge.
    Bottom,
    /// Keep as much as possible around this point (`XxY`, fractions of the
    /// source's width and height).
    Point {
        /// From 0 (left) to 1 (right).
        x: Coord,
        /// From 0 (top) to 1 (bottom).
        y: Coord,
    },
}

impl Gravity {
    /// The focal point as fractions in thousandths (x, y); the sides and
    /// `auto`/`face` map to the middle of the kept edge or the centre.
    pub fn focus_milli(self) -> (u32, u32) {
        match self {
            Gravity::Auto | Gravity::Face => (500, 500),
            Gravity::Left => (0, 500),
            Gravity::Right => (1000, 500),
            Gravity::Top => (500, 0),
            Gravity::Bottom => (500, 1000),
            Gravity::Point { x, y } => (x.milli(), y.milli()),
        }
    }
}

impl fmt::Display for Gravity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Gravity::Auto => f.write_str("auto"),
            Gravity::Face => f.write_str("face"),
            Gravity::Left => f.write_str("left"),
            Gravity::Right => f.write_str("right"),
            Gravity::Top => f.write_str("top"),
            Gravity::Bottom => f.write_str("bottom"),
            Gravity::Point { x, y } => write!(f, "{x}x{y}"),
        }
    }
}

/// The encoder quality.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Quality {
    /// A number, 1-100.
    Fixed(Percent),
    /// A perceptual level.
    Perceptual(Perceptual),
}

impl Quality {
    /// [`DEFAULT_QUALITY`].
    pub const DEFAULT: Quality = Quality::Fixed(Percent(DEFAULT_QUALITY));

    /// The encoder quality, 1-100.
    pub fn value(self) -> u8 {
        match self {
            Quality::Fixed(p) => p.get(),
            Quality::Perceptual(p) => p.value(),
        }
    }
}

impl Default for Quality {
    fn default() -> Quality {
        Quality::DEFAULT
    }
}

impl fmt::Display for Quality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Quality::Fixed(p) => write!(f, "{p}"),
            Quality::Perceptual(p) => f.write_str(p.as_str()),
        }
    }
}

/// An sRGB colour with straight (not premultiplied) alpha.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rgba {
    /// Red.
    pub r: u8,
    /// Green.
    pub g: u8,
    /// Blue.
    pub b: u8,
    /// Alpha: 0 transparent, 255 opaque.
    pub a: u8,
}

impl Rgba {
    /// Opaque white.
    pub const WHITE: Rgba = Rgba { r: 255, g: 255, b: 255, a: 255 };
    /// Opaque black.
    pub const BLACK: Rgba = Rgba { r: 0, g: 0, b: 0, a: 255 };
    /// Fully transparent.
    pub const TRANSPARENT: Rgba = Rgba { r: 0, g: 0, b: 0, a: 0 };

    /// As `[r, g, b, a]`, the layout of [`crate::pixel::RgbaImage`].
    pub fn to_array(self) -> [u8; 4] {
        [self.r, self.g, self.b, self.a]
    }
}

/// Pixels cut from each side of the source (Cloudflare's
/// `trim=top;right;bottom;left`), before `dpr` scales them. Never all zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Trim {
    top: u32,
    right: u32,
    bottom: u32,
    left: u32,
}

impl Trim {
    /// A trim, unless all sides are zero or one is over [`MAX_SOURCE_COORD`].
    pub fn new(top: u32, right: u32, bottom: u32, left: u32) -> Option<Trim> {
        let sides = [top, right, bottom, left];
        if sides.iter().all(|&s| s == 0) || sides.iter().any(|&s| s > MAX_SOURCE_COORD) {
            return None;
        }
        Some(Trim { top, right, bottom, left })
    }

    /// Pixels cut from the top.
    pub fn top(self) -> u32 {
        self.top
    }

    /// Pixels cut from the right.
    pub fn right(self) -> u32 {
        self.right
    }

    /// Pixels cut from the bottom.
    pub fn bottom(self) -> u32 {
        self.bottom
    }

    /// Pixels cut from the left.
    pub fn left(self) -> u32 {
        self.left
    }
}

impl fmt::Display for Trim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{};{};{};{}", self.top, self.right, self.bottom, self.left)
    }
}

/// What a [`Region`] does to its pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegionEffect {
    /// A blur of this radius.
    Blur(BlurRadius),
    /// A pixelation with cells of this size.
    Pixelate(CellSize),
}

/// A rectangle of the source to blur or pixelate (edgepix's `blur-region`
/// and `pixelate-region`). Its coordinates are pixels of the upright source
/// (after EXIF orientation, before `trim`, `flip` and `rotate`); it is never
/// empty and no number in it exceeds [`MAX_SOURCE_COORD`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    rect: Rect,
    effect: RegionEffect,
}

impl Region {
    /// A region, unless `rect` is empty or over [`MAX_SOURCE_COORD`].
    pub fn new(rect: Rect, effect: RegionEffect) -> Option<Region> {
        let Rect { x, y, w, h } = rect;
        if rect.is_empty() || [x, y, w, h].iter().any(|&v| v > MAX_SOURCE_COORD) {
            return None;
        }
        Some(Region { rect, effect })
    }

    /// The rectangle, in upright source pixels (it may reach past the
    /// source; clamp it with [`Rect::clamp_to`]).
    pub fn rect(self) -> Rect {
        self.rect
    }

    /// The effect.
    pub fn effect(self) -> RegionEffect {
        self.effect
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Rect { x, y, w, h } = self.rect;
        match self.effect {
            RegionEffect::Blur(r) => write!(f, "blur-region={x};{y};{w};{h};{r}"),
            RegionEffect::Pixelate(c) => write!(f, "pixelate-region={x};{y};{w};{h};{c}"),
        }
    }
}

/// A policy name (`[a-z0-9-]{1,32}`), carried for the policy layer.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PolicyName(String);

impl PolicyName {
    /// `name`, if it is 1-32 characters of `a-z`, `0-9` and `-`.
    pub fn new(name: &str) -> Option<PolicyName> {
        let ok = (1..=32).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        ok.then(|| PolicyName(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PolicyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parsed, validated transformation options. `Default` is "change
/// nothing"; its canonical form is [`ORIGINAL`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// `width`/`w`: the requested width (`None`: the source's).
    pub width: Option<Dimension>,
    /// `height`/`h`: the requested height (`None`: the source's).
    pub height: Option<Dimension>,
    /// `dpr`: multiplies `width`, `height` and `trim`.
    pub dpr: Dpr,
    /// `fit` (default `scale-down`).
    pub fit: Fit,
    /// `gravity`/`g` (default `auto`).
    pub gravity: Gravity,
    /// `trim=top;right;bottom;left`.
    pub trim: Option<Trim>,
    /// `flip`, applied before `rotate`.
    pub flip: Option<Flip>,
    /// `rotate`; `width` and `height` refer to the axes after it.
    pub rotate: Rotate,
    /// `background`: under transparency and around `fit=pad` (`None`: the
    /// pipeline's choice).
    pub background: Option<Rgba>,
    /// `blur`.
    pub blur: Option<BlurRadius>,
    /// `pixelate` (edgepix): the whole image, in cells of this size.
    pub pixelate: Option<CellSize>,
    /// `sharpen`.
    pub sharpen: Sharpen,
    /// `brightness`.
    pub brightness: Factor,
    /// `contrast`.
    pub contrast: Factor,
    /// `gamma`.
    pub gamma: Factor,
    /// `saturation`.
    pub saturation: Saturation,
    /// `blur-region` and `pixelate-region` (edgepix), in the order given:
    /// overlapping regions apply in this order.
    pub regions: Vec<Region>,
    /// `quality`/`q`.
    pub quality: Quality,
    /// `format`/`f` (`None`: the source's format).
    pub format: Option<Format>,
    /// `metadata` (default `copyright`).
    pub metadata: Metadata,
    /// `anim` (default `true`): keep animation frames.
    pub anim: bool,
    /// `onerror`.
    pub onerror: Option<OnError>,
    /// `policy` (edgepix).
    pub policy: Option<PolicyName>,
    /// `policy-wait` (edgepix, default `false`): with `policy`, wait a
    /// bounded time for an analysis in progress instead of answering
    /// `409 analysis_required` at once.
    pub policy_wait: bool,
    /// `reveal=N` (edgepix): with `policy`, only detection `N`'s region,
    /// unredacted, if the policy lets viewers reveal it ("tap to reveal").
    pub reveal: Option<u32>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            width: None,
            height: None,
            dpr: Dpr::ONE,
            fit: Fit::ScaleDown,
            gravity: Gravity::Auto,
            trim: None,
            flip: None,
            rotate: Rotate::Deg0,
            background: None,
            blur: None,
            pixelate: None,
            sharpen: Sharpen::ZERO,
            brightness: Factor::ONE,
            contrast: Factor::ONE,
            gamma: Factor::ONE,
            saturation: Saturation::ONE,
            regions: Vec::new(),
            quality: Quality::DEFAULT,
            format: None,
            metadata: Metadata::Copyright,
            anim: true,
            onerror: None,
            policy: None,
            policy_wait: false,
            reveal: None,
        }
    }
}

impl Options {
    /// The one form of these options: keys in the order of the fields of
    /// [`Options`], long names, defaults left out, regions in their order;
    /// [`ORIGINAL`] when everything is a default. `parse(&o.canonical())`
    /// gives `o` back.
    pub fn canonical(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        let d = Options::default();
        let mut push = |key: &str, value: &dyn fmt::Display| parts.push(format!("{key}={value}"));
        if let Some(w) = self.width {
            push("width", &w);
        }
        if let Some(h) = self.height {
            push("height", &h);
        }
        if self.dpr != d.dpr {
            push("dpr", &self.dpr);
        }
        if self.fit != d.fit {
            push("fit", &self.fit);
        }
        if self.gravity != d.gravity {
            push("gravity", &self.gravity);
        }
        if let Some(t) = self.trim {
            push("trim", &t);
        }
        if let Some(f) = self.flip {
            push("flip", &f);
        }
        if self.rotate != d.rotate {
            push("rotate", &self.rotate);
        }
        if let Some(c) = self.background {
            let hex = if c.a == 255 { format!("%23{:02x}{:02x}{:02x}", c.r, c.g, c.b) } else { format!("%23{:02x}{:02x}{:02x}{:02x}", c.r, c.g, c.b, c.a) };
            push("background", &hex);
        }
        if let Some(b) = self.blur {
            push("blur", &b);
        }
        if let Some(p) = self.pixelate {
            push("pixelate", &p);
        }
        if self.sharpen != d.sharpen {
            push("sharpen", &self.sharpen);
        }
        if self.brightness != d.brightness {
            push("brightness", &self.brightness);
        }
        if self.contrast != d.contrast {
            push("contrast", &self.contrast);
        }
        if self.gamma != d.gamma {
            push("gamma", &self.gamma);
        }
        if self.saturation != d.saturation {
            push("saturation", &self.saturation);
        }
        for r in &self.regions {
            parts.push(r.to_string());
        }
        let mut push = |key: &str, value: &dyn fmt::Display| parts.push(format!("{key}={value}"));
        if self.quality != d.quality {
            push("quality", &self.quality);
        }
        if let Some(f) = self.format {
            push("format", &f);
        }
        if self.metadata != d.metadata {
            push("metadata", &self.metadata);
        }
        if self.anim != d.anim {
            push("anim", &self.anim);
        }
        if let Some(o) = self.onerror {
            push("onerror", &o);
        }
        if let Some(p) = &self.policy {
            push("policy", p);
        }
        if self.policy_wait {
            push("policy-wait", &true);
        }
        if let Some(n) = self.reveal {
            push("reveal", &n);
        }
        if parts.is_empty() { ORIGINAL.to_owned() } else { parts.join(",") }
    }

    /// `flip` then `rotate`, as one orientation (applied after any EXIF
    /// orientation of the source).
    pub fn orientation(&self) -> Orientation {
        let flip = match self.flip {
            None => Orientation::IDENTITY,
            Some(Flip::H) => Orientation::flip(true, false),
            Some(Flip::V) => Orientation::flip(false, true),
            Some(Flip::Hv) => Orientation::flip(true, true),
        };
        flip.then(Orientation::rotate_cw(self.rotate.quarter_turns()))
    }
}

impl fmt::Display for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

impl FromStr for Options {
    type Err = OptionError;

    fn from_str(s: &str) -> Result<Options, OptionError> {
        parse(s)
    }
}

/// An option key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    Width,
    Height,
    Dpr,
    Fit,
    Gravity,
    Trim,
    Flip,
    Rotate,
    Background,
    Blur,
    Pixelate,
    Sharpen,
    Brightness,
    Contrast,
    Gamma,
    Saturation,
    BlurRegion,
    PixelateRegion,
    Quality,
    Format,
    Metadata,
    Anim,
    OnError,
    Policy,
    PolicyWait,
    Reveal,
}

/// Every key: long name, short name.
const KEYS: [(Key, &str, Option<&str>); 26] = [
    (Key::Width, "width", Some("w")),
    (Key::Height, "height", Some("h")),
    (Key::Dpr, "dpr", None),
    (Key::Fit, "fit", None),
    (Key::Gravity, "gravity", Some("g")),
    (Key::Trim, "trim", None),
    (Key::Flip, "flip", None),
    (Key::Rotate, "rotate", None),
    (Key::Background, "background", None),
    (Key::Blur, "blur", None),
    (Key::Pixelate, "pixelate", None),
    (Key::Sharpen, "sharpen", None),
    (Key::Brightness, "brightness", None),
    (Key::Contrast, "contrast", None),
    (Key::Gamma, "gamma", None),
    (Key::Saturation, "saturation", None),
    (Key::BlurRegion, "blur-region", None),
    (Key::PixelateRegion, "pixelate-region", None),
    (Key::Quality, "quality", Some("q")),
    (Key::Format, "format", Some("f")),
    (Key::Metadata, "metadata", None),
    (Key::Anim, "anim", None),
    (Key::OnError, "onerror", None),
    (Key::Policy, "policy", None),
    (Key::PolicyWait, "policy-wait", None),
    (Key::Reveal, "reveal", None),
];

/// Cloudflare options edgepix refuses, and what to say.
const UNSUPPORTED: [(&str, &str); 9] = [
    ("border", "borders are not implemented; use fit=pad with background"),
    ("compression", "edgepix chooses the compression itself"),
    ("segment", "background removal is not implemented"),
    ("zoom", "face zoom is not implemented (gravity=face is the centre)"),
    ("face-zoom", "face zoom is not implemented (gravity=face is the centre)"),
    ("slow-connection-quality", "use quality"),
    ("scq", "use quality"),
    ("upscale", "generative upscaling is not implemented"),
    ("trim.", "use trim=top;right;bottom;left"),
];

impl Key {
    fn lookup(key: &str) -> Option<Key> {
        KEYS.iter().find(|(_, long, short)| *long == key || *short == Some(key)).map(|(k, _, _)| *k)
    }

    fn name(self) -> &'static str {
        KEYS.iter().find(|(k, _, _)| *k == self).map_or("", |(_, long, _)| long)
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }

    fn repeatable(self) -> bool {
        matches!(self, Key::BlurRegion | Key::PixelateRegion)
    }

    fn expected(self) -> &'static str {
        match self {
            Key::Width | Key::Height => "a whole number of pixels from 1 to 12000, or auto",
            Key::Dpr => "a number from 0.1 to 3",
            Key::Fit => "one of scale-down, contain, cover, crop, aspect-crop, pad, squeeze",
            Key::Gravity => "one of auto, face, left, right, top, bottom, or XxY with X and Y from 0 to 1 (such as 0.5x0.33)",
            Key::Trim => "top;right;bottom;left, whole pixels from 0 to 100000, not all 0",
            Key::Flip => "one of h, v, hv",
            Key::Rotate => "one of 0, 90, 180, 270",
            Key::Background => {
                "a CSS colour: #rgb, #rgba, #rrggbb or #rrggbbaa (# written %23), rgb(r,g,b), rgba(r,g,b,a), or a name such as white, black, transparent"
            }
            Key::Blur => "a whole number from 0 (none) to 250",
            Key::Pixelate => "a whole cell size in pixels from 1 to 256",
            Key::Sharpen => "a number from 0 to 10",
            Key::Brightness | Key::Contrast | Key::Gamma => "a number from 0 to 10 (1 is no change, 0 is ignored)",
            Key::Saturation => "a number from 0 to 10 (1 is no change, 0 is greyscale)",
            Key::BlurRegion => "x;y;w;h;radius: whole source pixels from 0 to 100000 (w and h at least 1), radius from 1 to 250",
            Key::PixelateRegion => "x;y;w;h;cell: whole source pixels from 0 to 100000 (w and h at least 1), cell from 1 to 256",
            Key::Quality => "a whole number from 1 to 100, or one of high, medium-high, medium-low, low",
            Key::Format => "one of auto, avif, webp, jpeg, baseline-jpeg, png, json",
            Key::Metadata => "one of keep, copyright, none",
            Key::Anim | Key::PolicyWait => "true or false",
            Key::OnError => "redirect",
            Key::Policy => "a name of 1 to 32 characters from a-z, 0-9 and -",
            Key::Reveal => "a detection index from 0 to 99",
        }
    }
}

/// Parses Cloudflare-style options (`width=800,fit=cover,...`).
///
/// The length is checked first, then the number of options, before any
/// value is read. [`ORIGINAL`] alone gives the defaults.
pub fn parse(s: &str) -> Result<Options, OptionError> {
    if s.len() > MAX_OPTIONS_LEN {
        return Err(OptionError::TooLong { len: s.len(), max: MAX_OPTIONS_LEN });
    }
    if s.is_empty() {
        return Err(OptionError::Empty);
    }
    if s == ORIGINAL {
        return Ok(Options::default());
    }
    let entries = split_entries(s)?;
    let mut opts = Options::default();
    let mut seen = 0u32;
    for entry in entries {
        let Some((key, raw)) = entry.split_once('=') else {
            return Err(OptionError::Malformed { entry: shorten(entry) });
        };
        let Some(k) = Key::lookup(key) else {
            return Err(match UNSUPPORTED.iter().find(|(name, _)| key == *name || (name.ends_with('.') && key.starts_with(name))) {
                Some((_, hint)) => OptionError::Unsupported { option: shorten(key), hint },
                None => OptionError::Unknown { key: shorten(key) },
            });
        };
        if !k.repeatable() {
            if seen & k.bit() != 0 {
                return Err(OptionError::Duplicate { option: k.name() });
            }
            seen |= k.bit();
        }
        let invalid = || OptionError::InvalidValue { option: k.name(), value: shorten(raw), expected: k.expected() };
        let value = percent_decode(raw).ok_or_else(invalid)?;
        set(&mut opts, k, &value).ok_or_else(invalid)??;
    }
    if opts.policy_wait && opts.policy.is_none() {
        return Err(OptionError::Requires { option: "policy-wait", needs: "policy" });
    }
    if opts.reveal.is_some() {
        if opts.policy.is_none() {
            return Err(OptionError::Requires { option: "reveal", needs: "policy" });
        }
        // The revealed region becomes the trim, in upright pixels.
        if opts.trim.is_some() {
            return Err(OptionError::Conflicts { option: "reveal", with: "trim" });
        }
        if opts.dpr != Dpr::ONE {
            return Err(OptionError::Conflicts { option: "reveal", with: "dpr" });
        }
    }
    Ok(opts)
}

/// Sets option `k` from its decoded value: `None` for a bad value, an inner
/// error for a value refused with its own message.
fn set(o: &mut Options, k: Key, v: &str) -> Option<Result<(), OptionError>> {
    match k {
        Key::Width => o.width = dimension(v)?,
        Key::Height => o.height = dimension(v)?,
        Key::Dpr => o.dpr = Dpr::from_milli(parse_milli(v)?)?,
        Key::Fit => o.fit = Fit::from_keyword(v)?,
        Key::Gravity => o.gravity = parse_gravity(v)?,
        Key::Trim => {
            if v == "border" {
                return Some(Err(OptionError::Unsupported { option: "trim=border".to_owned(), hint: "use trim=top;right;bottom;left" }));
            }
            let [t, r, b, l] = numbers::<4>(v)?;
            o.trim = if [t, r, b, l] == [0; 4] { None } else { Some(Trim::new(t, r, b, l)?) };
        }
        Key::Flip => o.flip = Some(if v == "vh" { Flip::Hv } else { Flip::from_keyword(v)? }),
        Key::Rotate => o.rotate = Rotate::from_keyword(v)?,
        Key::Background => o.background = Some(parse_color(v)?),
        Key::Blur => {
            let r = parse_u32(v)?;
            o.blur = if r == 0 { None } else { Some(BlurRadius::new(r)?) };
        }
        Key::Pixelate => o.pixelate = Some(CellSize::new(parse_u32(v)?)?),
        Key::Sharpen => o.sharpen = Sharpen::from_milli(parse_milli(v)?)?,
        Key::Brightness => o.brightness = factor(v)?,
        Key::Contrast => o.contrast = factor(v)?,
        Key::Gamma => o.gamma = factor(v)?,
        Key::Saturation => o.saturation = Saturation::from_milli(parse_milli(v)?)?,
        Key::BlurRegion | Key::PixelateRegion => {
            let [x, y, w, h, n] = numbers::<5>(v)?;
            let effect = if k == Key::BlurRegion { RegionEffect::Blur(BlurRadius::new(n)?) } else { RegionEffect::Pixelate(CellSize::new(n)?) };
            o.regions.push(Region::new(Rect { x, y, w, h }, effect)?);
            if o.regions.len() > MAX_REGIONS {
                return Some(Err(OptionError::TooManyRegions { max: MAX_REGIONS }));
            }
        }
        Key::Quality => {
            o.quality = match Perceptual::from_keyword(v) {
                Some(p) => Quality::Perceptual(p),
                None => Quality::Fixed(Percent::new(u8::try_from(parse_u32(v)?).ok()?)?),
            }
        }
        Key::Format => o.format = Some(Format::from_keyword(v)?),
        Key::Metadata => o.metadata = Metadata::from_keyword(v)?,
        Key::Anim => {
            o.anim = match v {
                "true" => true,
                "false" => false,
                _ => return None,
            }
        }
        Key::OnError => o.onerror = Some(OnError::from_keyword(v)?),
        Key::Policy => o.policy = Some(PolicyName::new(v)?),
        Key::Reveal => o.reveal = Some(parse_u32(v).filter(|&n| (n as usize) < crate::detect::MAX_DETECTIONS)?),
        Key::PolicyWait => {
            o.policy_wait = match v {
                "true" => true,
                "false" => false,
                _ => return None,
            }
        }
    }
    Some(Ok(()))
}

fn dimension(v: &str) -> Option<Option<Dimension>> {
    if v == "auto" { Some(None) } else { Some(Some(Dimension::new(parse_u32(v)?)?)) }
}

/// A brightness, contrast or gamma factor; 0 is "no change" (Cloudflare
/// ignores it).
fn factor(v: &str) -> Option<Factor> {
    let m = parse_milli(v)?;
    if m == 0 { Some(Factor::ONE) } else { Factor::from_milli(m) }
}

/// Splits on commas outside parentheses (raw or `%28`/`%29`), counting
/// entries against [`MAX_OPTIONS`] as it goes.
fn split_entries(s: &str) -> Result<Vec<&str>, OptionError> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let push = |entry: &str, out: &mut Vec<&str>| -> Result<(), OptionError> {
        if out.len() == MAX_OPTIONS {
            return Err(OptionError::TooMany { max: MAX_OPTIONS });
        }
        if entry.is_empty() {
            return Err(OptionError::Malformed { entry: String::new() });
        }
        Ok(())
    };
    let (mut depth, mut start, mut i) = (0usize, 0usize, 0usize);
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1..i + 3)) {
            (b'(', _) => depth += 1,
            (b')', _) => depth = depth.saturating_sub(1),
            (b'%', Some(b"28")) => {
                depth += 1;
                i += 2;
            }
            (b'%', Some(b"29")) => {
                depth = depth.saturating_sub(1);
                i += 2;
            }
            (b',', _) if depth == 0 => {
                let entry = s.get(start..i).unwrap_or_default();
                push(entry, &mut out)?;
                out.push(entry);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    let entry = s.get(start..).unwrap_or_default();
    push(entry, &mut out)?;
    out.push(entry);
    Ok(out)
}

/// Decodes `%XX`; the result must be printable ASCII.
fn percent_decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = if bytes[i] == b'%' {
            let hex = raw.get(i + 1..i + 3)?;
            i += 3;
            u8::from_str_radix(hex, 16).ok()?
        } else {
            i += 1;
            bytes[i - 1]
        };
        if !(b' '..=b'~').contains(&b) {
            return None;
        }
        out.push(char::from(b));
    }
    Some(out)
}

/// A user string fit to echo in a message: at most 40 characters,
/// non-printable ones replaced.
fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(40).map(|c| if c.is_ascii_graphic() { c } else { '?' }).collect();
    if s.chars().count() > 40 {
        out.push_str("...");
    }
    out
}

/// A whole number of at most 9 digits.
fn parse_u32(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `N` whole numbers separated by `;`.
fn numbers<const N: usize>(s: &str) -> Option<[u32; N]> {
    let mut out = [0; N];
    let mut parts = s.split(';');
    for slot in &mut out {
        *slot = parse_u32(parts.next()?)?;
    }
    if parts.next().is_some() { None } else { Some(out) }
}

/// A non-negative decimal (`12`, `0.5`, `.5`, `2.`) in thousandths,
/// rounded half up; at most 6 integer digits.
fn parse_milli(s: &str) -> Option<u32> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if (int.is_empty() && frac.is_empty()) || int.len() > 6 || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u32 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let digit = |i: usize| frac.as_bytes().get(i).map_or(0, |b| u32::from(b - b'0'));
    let round = u32::from(digit(3) >= 5);
    Some(whole * 1000 + digit(0) * 100 + digit(1) * 10 + digit(2) + round)
}

/// Thousandths as the shortest decimal that parses back to them.
fn fmt_milli(m: u32) -> String {
    let (whole, frac) = (m / 1000, m % 1000);
    if frac == 0 {
        whole.to_string()
    } else {
        let digits = format!("{frac:03}");
        format!("{whole}.{}", digits.trim_end_matches('0'))
    }
}

fn parse_gravity(v: &str) -> Option<Gravity> {
    Some(match v {
        "auto" => Gravity::Auto,
        "face" => Gravity::Face,
        "left" => Gravity::Left,
        "right" => Gravity::Right,
        "top" => Gravity::Top,
        "bottom" => Gravity::Bottom,
        _ => {
            let (x, y) = v.split_once('x')?;
            Gravity::Point { x: Coord::from_milli(parse_milli(x)?)?, y: Coord::from_milli(parse_milli(y)?)? }
        }
    })
}

/// CSS colour names edgepix knows (CSS 2.1's seventeen, their aliases, and
/// `transparent`).
const NAMED_COLOURS: [(&str, [u8; 4]); 22] = [
    ("transparent", [0, 0, 0, 0]),
    ("black", [0, 0, 0, 255]),
    ("white", [255, 255, 255, 255]),
    ("silver", [192, 192, 192, 255]),
    ("gray", [128, 128, 128, 255]),
    ("grey", [128, 128, 128, 255]),
    ("red", [255, 0, 0, 255]),
    ("maroon", [128, 0, 0, 255]),
    ("orange", [255, 165, 0, 255]),
    ("yellow", [255, 255, 0, 255]),
    ("olive", [128, 128, 0, 255]),
    ("lime", [0, 255, 0, 255]),
    ("green", [0, 128, 0, 255]),
    ("aqua", [0, 255, 255, 255]),
    ("cyan", [0, 255, 255, 255]),
    ("teal", [0, 128, 128, 255]),
    ("blue", [0, 0, 255, 255]),
    ("navy", [0, 0, 128, 255]),
    ("fuchsia", [255, 0, 255, 255]),
    ("magenta", [255, 0, 255, 255]),
    ("purple", [128, 0, 128, 255]),
    ("pink", [255, 192, 203, 255]),
];

/// A CSS colour: hex, `rgb()`/`rgba()` (commas, or spaces with an optional
/// `/ alpha`; numbers or percentages, clamped as CSS does), or a name.
fn parse_color(v: &str) -> Option<Rgba> {
    let v = v.to_ascii_lowercase();
    let rgba = |[r, g, b, a]: [u8; 4]| Rgba { r, g, b, a };
    if let Some(hex) = v.strip_prefix('#') {
        let nibbles: Vec<u8> = hex.chars().map(|c| c.to_digit(16).and_then(|d| u8::try_from(d).ok())).collect::<Option<_>>()?;
        return match nibbles.len() {
            3 | 4 => {
                let mut c = [255u8; 4];
                for (slot, n) in c.iter_mut().zip(&nibbles) {
                    *slot = n * 17;
                }
                Some(rgba(c))
            }
            6 | 8 => {
                let mut c = [255u8; 4];
                for (slot, pair) in c.iter_mut().zip(nibbles.chunks(2)) {
                    *slot = pair[0] * 16 + pair[1];
                }
                Some(rgba(c))
            }
            _ => None,
        };
    }
    if let Some(inner) = v.strip_prefix("rgba(").or_else(|| v.strip_prefix("rgb(")).and_then(|r| r.strip_suffix(')')) {
        let tokens: Vec<&str> = if inner.contains(',') { inner.split(',').map(str::trim).collect() } else { inner.split([' ', '/']).filter(|t| !t.is_empty()).collect() };
        if !(3..=4).contains(&tokens.len()) || tokens.iter().any(|t| t.is_empty()) {
            return None;
        }
        let mut c = [255u8; 4];
        for (i, t) in tokens.iter().enumerate() {
            let v = match t.strip_suffix('%') {
                // A percentage, in thousandths of a percent.
                Some(p) => (u64::from(parse_milli(p)?).min(100_000) * 255 + 50_000) / 100_000,
                // Alpha as a number from 0 to 1, in thousandths.
                None if i == 3 => (u64::from(parse_milli(t)?).min(1000) * 255 + 500) / 1000,
                // A channel from 0 to 255, in thousandths.
                None => ((u64::from(parse_milli(t)?) + 500) / 1000).min(255),
            };
            c[i] = u8::try_from(v).ok()?;
        }
        return Some(rgba(c));
    }
    NAMED_COLOURS.iter().find(|(name, _)| *name == v).map(|(_, c)| rgba(*c))
}

/// Picks the output format for `format=auto`: AVIF or WebP when `accept`
/// (an HTTP `Accept` header) names it with a non-zero `q` and it is in
/// `supported` (the highest `q` wins, AVIF on a tie, as Cloudflare
/// prefers it); otherwise PNG if the image has alpha, else JPEG. Wildcards
/// (`image/*`, `*/*`) do not count: old clients send them too.
pub fn negotiate(accept: Option<&str>, supported: &[Format], has_alpha: bool) -> Format {
    let mut best: Option<(Format, u32)> = None;
    for range in accept.unwrap_or_default().split(',').take(64) {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or_default().trim();
        let format = if media.eq_ignore_ascii_case("image/avif") {
            Format::Avif
        } else if media.eq_ignore_ascii_case("image/webp") {
            Format::Webp
        } else {
            continue;
        };
        if !supported.contains(&format) {
            continue;
        }
        let q = parts.find_map(|p| {
            let (name, value) = p.split_once('=')?;
            name.trim().eq_ignore_ascii_case("q").then(|| parse_milli(value.trim()).map_or(0, |q| q.min(1000)))
        });
        let q = q.unwrap_or(1000);
        if q == 0 {
            continue;
        }
        let better = match best {
            None => true,
            Some((b, bq)) => q > bq || (q == bq && format == Format::Avif && b != Format::Avif),
        };
        if better {
            best = Some((format, q));
        }
    }
    match best {
        Some((f, _)) => f,
        None if has_alpha => Format::Png,
        None => Format::Jpeg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ok(s: &str) -> Options {
        parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn with(f: impl FnOnce(&mut Options)) -> Options {
        let mut o = Options::default();
        f(&mut o);
        o
    }

    fn dim(v: u32) -> Option<Dimension> {
        Some(Dimension::new(v).unwrap())
    }

    fn milli<T>(f: fn(u32) -> Option<T>, m: u32) -> T {
        f(m).unwrap()
    }

    /// `good!(name, "input", |o| field = value)`: parses to the defaults
    /// with that change, and canonicalises to `canonical`.
    macro_rules! good {
        ($name:ident, $input:expr, $canonical:expr, |$o:ident| $change:expr) => {
            #[test]
            fn $name() {
                let want = with(|$o| {
                    $change;
                });
                let got = ok($input);
                assert_eq!(got, want, "parse({:?})", $input);
                assert_eq!(got.canonical(), $canonical, "canonical of {:?}", $input);
            }
        };
    }

    /// `bad!(name, "input", "option", ["fragments", ...])`: refused, and the
    /// message names the option and contains each fragment.
    macro_rules! bad {
        ($name:ident, $input:expr, $option:expr, [$($frag:expr),*]) => {
            #[test]
            fn $name() {
                let err = parse($input).expect_err($input);
                let msg = err.to_string();
                assert!(msg.contains(&format!("`{}`", $option)), "{:?}: {msg}", $input);
                $(assert!(msg.contains($frag), "{:?}: {msg} lacks {:?}", $input, $frag);)*
            }
        };
    }

    // Sizes and aliases.
    good!(width_long, "width=100", "width=100", |o| o.width = dim(100));
    good!(width_short, "w=100", "width=100", |o| o.width = dim(100));
    good!(width_auto, "w=auto,q=50", "quality=50", |o| o.quality = Quality::Fixed(Percent::new(50).unwrap()));
    good!(width_max, "w=12000", "width=12000", |o| o.width = dim(12000));
    good!(height_short, "h=7", "height=7", |o| o.height = dim(7));
    good!(height_leading_zeros, "height=007", "height=7", |o| o.height = dim(7));
    good!(dpr_two, "dpr=2", "dpr=2", |o| o.dpr = milli(Dpr::from_milli, 2000));
    good!(dpr_decimal, "dpr=1.50", "dpr=1.5", |o| o.dpr = milli(Dpr::from_milli, 1500));
    good!(dpr_one_is_default, "dpr=1,w=5", "width=5", |o| o.width = dim(5));
    good!(dpr_rounds, "dpr=1.0005", "dpr=1.001", |o| o.dpr = milli(Dpr::from_milli, 1001));
    bad!(width_zero, "width=0", "width", ["1 to 12000"]);
    bad!(width_big, "w=12001", "width", ["1 to 12000"]);
    bad!(width_neg, "w=-5", "width", ["whole number"]);
    bad!(width_float, "w=10.5", "width", ["whole number"]);
    bad!(width_empty, "w=", "width", ["whole number"]);
    bad!(width_huge, "w=99999999999999999999", "width", ["1 to 12000"]);
    bad!(height_word, "h=tall", "height", ["1 to 12000"]);
    bad!(dpr_zero, "dpr=0", "dpr", ["0.1 to 3"]);
    bad!(dpr_big, "dpr=3.1", "dpr", ["0.1 to 3"]);
    bad!(dpr_word, "dpr=two", "dpr", ["0.1 to 3"]);
    bad!(dpr_dot, "dpr=.", "dpr", ["0.1 to 3"]);

    // Fit.
    good!(fit_scale_down_is_default, "width=100,fit=scale-down", "width=100", |o| o.width = dim(100));
    good!(fit_contain, "fit=contain", "fit=contain", |o| o.fit = Fit::Contain);
    good!(fit_cover, "fit=cover", "fit=cover", |o| o.fit = Fit::Cover);
    good!(fit_crop, "fit=crop", "fit=crop", |o| o.fit = Fit::Crop);
    good!(fit_aspect_crop, "fit=aspect-crop", "fit=aspect-crop", |o| o.fit = Fit::AspectCrop);
    good!(fit_pad, "fit=pad", "fit=pad", |o| o.fit = Fit::Pad);
    good!(fit_squeeze, "fit=squeeze", "fit=squeeze", |o| o.fit = Fit::Squeeze);
    bad!(fit_fill, "fit=fill", "fit", ["scale-down", "squeeze"]);
    bad!(fit_upper, "fit=Cover", "fit", ["cover"]);

    // Gravity.
    good!(gravity_auto_default, "g=auto,w=1", "width=1", |o| o.width = dim(1));
    good!(gravity_face, "gravity=face", "gravity=face", |o| o.gravity = Gravity::Face);
    good!(gravity_left, "g=left", "gravity=left", |o| o.gravity = Gravity::Left);
    good!(gravity_right, "g=right", "gravity=right", |o| o.gravity = Gravity::Right);
    good!(gravity_top, "g=top", "gravity=top", |o| o.gravity = Gravity::Top);
    good!(gravity_bottom, "g=bottom", "gravity=bottom", |o| o.gravity = Gravity::Bottom);
    good!(gravity_point, "g=0.5x0.33", "gravity=0.5x0.33", |o| o.gravity = Gravity::Point { x: milli(Coord::from_milli, 500), y: milli(Coord::from_milli, 330) });
    good!(gravity_corner, "gravity=0x1", "gravity=0x1", |o| o.gravity = Gravity::Point { x: milli(Coord::from_milli, 0), y: milli(Coord::from_milli, 1000) });
    bad!(gravity_out, "g=1.5x0", "gravity", ["0 to 1", "left"]);
    bad!(gravity_half, "g=0.5x", "gravity", ["XxY"]);
    bad!(gravity_word, "g=centre", "gravity", ["auto"]);

    // Trim.
    good!(trim_sides, "trim=20;30;20;0", "trim=20;30;20;0", |o| o.trim = Trim::new(20, 30, 20, 0));
    good!(trim_zero_is_none, "trim=0;0;0;0,w=3", "width=3", |o| o.width = dim(3));
    bad!(trim_three, "trim=1;2;3", "trim", ["top;right;bottom;left"]);
    bad!(trim_five, "trim=1;2;3;4;5", "trim", ["top;right;bottom;left"]);
    bad!(trim_big, "trim=100001;0;0;0", "trim", ["100000"]);
    bad!(trim_border, "trim=border", "trim=border", ["not supported", "top;right;bottom;left"]);
    bad!(trim_dot_key, "trim.left=5", "trim.left", ["not supported"]);

    // Orientation.
    good!(flip_h, "flip=h", "flip=h", |o| o.flip = Some(Flip::H));
    good!(flip_v, "flip=v", "flip=v", |o| o.flip = Some(Flip::V));
    good!(flip_hv, "flip=hv", "flip=hv", |o| o.flip = Some(Flip::Hv));
    good!(flip_vh, "flip=vh", "flip=hv", |o| o.flip = Some(Flip::Hv));
    good!(rotate_0, "rotate=0,w=2", "width=2", |o| o.width = dim(2));
    good!(rotate_90, "rotate=90", "rotate=90", |o| o.rotate = Rotate::Deg90);
    good!(rotate_180, "rotate=180", "rotate=180", |o| o.rotate = Rotate::Deg180);
    good!(rotate_270, "rotate=270", "rotate=270", |o| o.rotate = Rotate::Deg270);
    bad!(flip_x, "flip=x", "flip", ["h, v, hv"]);
    bad!(rotate_45, "rotate=45", "rotate", ["0, 90, 180, 270"]);
    bad!(rotate_360, "rotate=360", "rotate", ["270"]);

    // Background.
    good!(bg_hex, "background=%23FF8000", "background=%23ff8000", |o| o.background = Some(Rgba { r: 255, g: 128, b: 0, a: 255 }));
    good!(bg_hex_raw, "background=#f80", "background=%23ff8800", |o| o.background = Some(Rgba { r: 255, g: 136, b: 0, a: 255 }));
    good!(bg_hex4, "background=%23f808", "background=%23ff880088", |o| o.background = Some(Rgba { r: 255, g: 136, b: 0, a: 136 }));
    good!(bg_hex8, "background=%2300000000", "background=%2300000000", |o| o.background = Some(Rgba::TRANSPARENT));
    good!(bg_rgb_encoded, "background=rgb%28240%2C40%2C145%29", "background=%23f02891", |o| o.background = Some(Rgba { r: 240, g: 40, b: 145, a: 255 }));
    good!(bg_rgb_raw_commas, "background=rgb(240,40,145),w=9", "width=9,background=%23f02891", |o| {
        o.width = dim(9);
        o.background = Some(Rgba { r: 240, g: 40, b: 145, a: 255 })
    });
    good!(bg_rgba_half, "background=rgba%28255%2C0%2C0%2C0.5%29", "background=%23ff000080", |o| o.background = Some(Rgba { r: 255, g: 0, b: 0, a: 128 }));
    good!(bg_rgba_css4, "background=rgba(255%20255%200%20100)", "background=%23ffff00", |o| o.background = Some(Rgba { r: 255, g: 255, b: 0, a: 255 }));
    good!(bg_rgb_slash, "background=rgb(0%200%200%20/%2050%25)", "background=%2300000080", |o| o.background = Some(Rgba { r: 0, g: 0, b: 0, a: 128 }));
    good!(bg_rgb_percent, "background=rgb(100%25,0%25,50%25)", "background=%23ff0080", |o| o.background = Some(Rgba { r: 255, g: 0, b: 128, a: 255 }));
    good!(bg_white, "background=white", "background=%23ffffff", |o| o.background = Some(Rgba::WHITE));
    good!(bg_black, "background=Black", "background=%23000000", |o| o.background = Some(Rgba::BLACK));
    good!(bg_transparent, "background=transparent", "background=%2300000000", |o| o.background = Some(Rgba::TRANSPARENT));
    bad!(bg_hsl, "background=hsl(0,0%25,0%25)", "background", ["CSS colour"]);
    bad!(bg_hex5, "background=%2312345", "background", ["#rrggbb"]);
    bad!(bg_name, "background=blurple", "background", ["white"]);
    bad!(bg_bad_escape, "background=%2", "background", ["CSS colour"]);
    bad!(bg_rgb_two, "background=rgb(1,2)", "background", ["rgb(r,g,b)"]);

    // Effects.
    good!(blur_50, "blur=50", "blur=50", |o| o.blur = BlurRadius::new(50));
    good!(blur_0, "blur=0,w=4", "width=4", |o| o.width = dim(4));
    good!(blur_max, "blur=250", "blur=250", |o| o.blur = BlurRadius::new(250));
    bad!(blur_big, "blur=251", "blur", ["0 (none) to 250"]);
    bad!(blur_float, "blur=2.5", "blur", ["whole number"]);
    good!(pixelate_8, "pixelate=8", "pixelate=8", |o| o.pixelate = CellSize::new(8));
    bad!(pixelate_0, "pixelate=0", "pixelate", ["1 to 256"]);
    bad!(pixelate_big, "pixelate=257", "pixelate", ["1 to 256"]);
    good!(sharpen_1, "sharpen=1", "sharpen=1", |o| o.sharpen = milli(Sharpen::from_milli, 1000));
    good!(sharpen_0, "sharpen=0,w=1", "width=1", |o| o.width = dim(1));
    bad!(sharpen_big, "sharpen=10.001", "sharpen", ["0 to 10"]);
    good!(brightness_half, "brightness=0.5", "brightness=0.5", |o| o.brightness = milli(Factor::from_milli, 500));
    good!(brightness_zero_ignored, "brightness=0,w=1", "width=1", |o| o.width = dim(1));
    good!(contrast_two, "contrast=2", "contrast=2", |o| o.contrast = milli(Factor::from_milli, 2000));
    good!(gamma_third, "gamma=.333", "gamma=0.333", |o| o.gamma = milli(Factor::from_milli, 333));
    good!(saturation_zero, "saturation=0", "saturation=0", |o| o.saturation = milli(Saturation::from_milli, 0));
    bad!(brightness_neg, "brightness=-1", "brightness", ["0 to 10"]);
    bad!(contrast_big, "contrast=11", "contrast", ["0 to 10"]);
    bad!(gamma_word, "gamma=high", "gamma", ["0 to 10"]);
    bad!(saturation_big, "saturation=10.5", "saturation", ["greyscale"]);

    // Regions.
    good!(blur_region, "blur-region=10;20;30;40;5", "blur-region=10;20;30;40;5", |o| o
        .regions
        .push(Region::new(Rect { x: 10, y: 20, w: 30, h: 40 }, RegionEffect::Blur(BlurRadius::new(5).unwrap())).unwrap()));
    good!(regions_repeat_in_order, "pixelate-region=0;0;1;1;16,blur-region=1;1;2;2;250,pixelate-region=0;0;1;1;16", "pixelate-region=0;0;1;1;16,blur-region=1;1;2;2;250,pixelate-region=0;0;1;1;16", |o| {
        let p = Region::new(Rect { x: 0, y: 0, w: 1, h: 1 }, RegionEffect::Pixelate(CellSize::new(16).unwrap())).unwrap();
        let b = Region::new(Rect { x: 1, y: 1, w: 2, h: 2 }, RegionEffect::Blur(BlurRadius::new(250).unwrap())).unwrap();
        o.regions = vec![p, b, p];
    });
    bad!(region_empty, "blur-region=0;0;0;5;5", "blur-region", ["w and h at least 1"]);
    bad!(region_four, "blur-region=0;0;5;5", "blur-region", ["x;y;w;h;radius"]);
    bad!(region_strength, "pixelate-region=0;0;5;5;0", "pixelate-region", ["cell from 1 to 256"]);
    bad!(region_far, "pixelate-region=100001;0;5;5;2", "pixelate-region", ["100000"]);

    // Output.
    good!(quality_long, "quality=50", "quality=50", |o| o.quality = Quality::Fixed(Percent::new(50).unwrap()));
    good!(quality_short, "q=1", "quality=1", |o| o.quality = Quality::Fixed(Percent::new(1).unwrap()));
    good!(quality_default, "q=85,w=1", "width=1", |o| o.width = dim(1));
    good!(quality_high, "q=high", "quality=high", |o| o.quality = Quality::Perceptual(Perceptual::High));
    good!(quality_medium_high, "q=medium-high", "quality=medium-high", |o| o.quality = Quality::Perceptual(Perceptual::MediumHigh));
    good!(quality_medium_low, "q=medium-low", "quality=medium-low", |o| o.quality = Quality::Perceptual(Perceptual::MediumLow));
    good!(quality_low, "quality=low", "quality=low", |o| o.quality = Quality::Perceptual(Perceptual::Low));
    bad!(quality_0, "q=0", "quality", ["1 to 100", "medium-high"]);
    bad!(quality_101, "q=101", "quality", ["1 to 100"]);
    bad!(quality_300, "q=300", "quality", ["1 to 100"]);
    good!(format_auto, "f=auto", "format=auto", |o| o.format = Some(Format::Auto));
    good!(format_avif, "format=avif", "format=avif", |o| o.format = Some(Format::Avif));
    good!(format_webp, "f=webp", "format=webp", |o| o.format = Some(Format::Webp));
    good!(format_jpeg, "f=jpeg", "format=jpeg", |o| o.format = Some(Format::Jpeg));
    good!(format_baseline, "f=baseline-jpeg", "format=baseline-jpeg", |o| o.format = Some(Format::BaselineJpeg));
    good!(format_png, "f=png", "format=png", |o| o.format = Some(Format::Png));
    good!(format_json, "f=json", "format=json", |o| o.format = Some(Format::Json));
    bad!(format_gif, "f=gif", "format", ["auto, avif, webp"]);
    good!(metadata_keep, "metadata=keep", "metadata=keep", |o| o.metadata = Metadata::Keep);
    good!(metadata_none, "metadata=none", "metadata=none", |o| o.metadata = Metadata::None);
    good!(metadata_copyright_default, "metadata=copyright,w=1", "width=1", |o| o.width = dim(1));
    bad!(metadata_all, "metadata=all", "metadata", ["keep, copyright, none"]);
    good!(anim_false, "anim=false", "anim=false", |o| o.anim = false);
    good!(anim_true_default, "anim=true,w=1", "width=1", |o| o.width = dim(1));
    bad!(anim_yes, "anim=yes", "anim", ["true or false"]);
    good!(onerror_redirect, "onerror=redirect", "onerror=redirect", |o| o.onerror = Some(OnError::Redirect));
    bad!(onerror_other, "onerror=ignore", "onerror", ["redirect"]);
    good!(policy_name, "policy=safe-2", "policy=safe-2", |o| o.policy = PolicyName::new("safe-2"));
    good!(policy_wait, "policy-wait=true,policy=p", "policy=p,policy-wait=true", |o| {
        o.policy = PolicyName::new("p");
        o.policy_wait = true;
    });
    good!(policy_wait_false, "policy=p,policy-wait=false", "policy=p", |o| o.policy = PolicyName::new("p"));
    bad!(policy_upper, "policy=Safe", "policy", ["a-z, 0-9"]);
    good!(reveal, "reveal=3,policy=p", "policy=p,reveal=3", |o| {
        o.policy = PolicyName::new("p");
        o.reveal = Some(3);
    });
    bad!(reveal_range, "policy=p,reveal=100", "reveal", ["0 to 99"]);
    bad!(reveal_negative, "policy=p,reveal=-1", "reveal", ["0 to 99"]);

    #[test]
    fn reveal_needs_a_policy_and_excludes_trim_and_dpr() {
        assert_eq!(parse("reveal=1"), Err(OptionError::Requires { option: "reveal", needs: "policy" }));
        assert_eq!(parse("policy=p,reveal=1,trim=1;1;1;1"), Err(OptionError::Conflicts { option: "reveal", with: "trim" }));
        assert_eq!(parse("policy=p,reveal=1,dpr=2"), Err(OptionError::Conflicts { option: "reveal", with: "dpr" }));
    }
    bad!(policy_long, "policy=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "policy", ["1 to 32"]);

    // Structure and abuse.
    good!(original, "original", "original", |o| o.anim = true);
    bad!(unknown_key, "widht=100", "widht", ["known options", "width (w)"]);
    bad!(unknown_upper, "Width=100", "Width", ["known options"]);
    bad!(duplicate_alias, "width=100,w=200", "width", ["more than once"]);
    bad!(duplicate_same, "fit=pad,fit=pad", "fit", ["more than once"]);
    bad!(no_equals, "width", "width", ["key=value"]);
    bad!(unsupported_border, "border=5", "border", ["not supported"]);
    bad!(unsupported_scq, "scq=50", "scq", ["not supported", "quality"]);
    bad!(non_ascii_value, "background=%C3%A9", "background", ["CSS colour"]);

    #[test]
    fn structural_errors() {
        assert_eq!(parse(""), Err(OptionError::Empty));
        assert!(matches!(parse("w=1,,h=2"), Err(OptionError::Malformed { .. })));
        assert!(matches!(parse("w=1,"), Err(OptionError::Malformed { .. })));
        let many = vec!["anim=true"; 65].join(",");
        assert_eq!(parse(&many), Err(OptionError::TooMany { max: 64 }));
        let regions = vec!["blur-region=0;0;1;1;1"; 33].join(",");
        assert_eq!(parse(&regions), Err(OptionError::TooManyRegions { max: 32 }));
        assert!(parse(&vec!["blur-region=0;0;1;1;1"; 32].join(",")).is_ok());
    }

    #[test]
    fn abuse_fails_fast_before_reading_values() {
        let huge = vec!["w=1"; 10_000].join(",");
        let start = std::time::Instant::now();
        assert_eq!(parse(&huge), Err(OptionError::TooLong { len: huge.len(), max: MAX_OPTIONS_LEN }));
        let short_many = vec!["x"; 1000].join(",");
        assert_eq!(parse(&short_many), Err(OptionError::TooMany { max: MAX_OPTIONS }));
        assert!(start.elapsed() < std::time::Duration::from_millis(50));
        assert!(parse(&"a".repeat(4096)).unwrap_err().to_string().contains("2048"));
    }

    #[test]
    fn echoed_input_is_shortened_and_printable() {
        let long = format!("width={}", "9".repeat(500));
        let msg = parse(&long).unwrap_err().to_string();
        assert!(msg.len() < 200, "{msg}");
        let msg = parse("w=\u{7}x").unwrap_err().to_string();
        assert!(msg.contains("`?x`"), "{msg}");
    }

    #[test]
    fn the_longest_canonical_form_parses_back() {
        let region = "pixelate-region=100000;100000;100000;100000;256";
        let mut all = vec![
            "w=12000", "h=12000", "dpr=2.999", "fit=aspect-crop", "g=0.999x0.999", "trim=100000;100000;100000;100000", "flip=hv", "rotate=270",
            "background=%23fffffffe", "blur=250", "pixelate=256", "sharpen=9.999", "brightness=9.999", "contrast=9.999", "gamma=9.999",
            "saturation=9.999", "q=medium-high", "f=baseline-jpeg", "metadata=keep", "anim=false", "onerror=redirect",
        ];
        let policy = format!("policy={}", "p".repeat(32));
        all.push(&policy);
        all.push("policy-wait=true");
        all.extend([region; MAX_REGIONS]);
        let input = all.join(",");
        let o = ok(&input);
        let c = o.canonical();
        assert!(c.len() <= MAX_OPTIONS_LEN, "{} bytes", c.len());
        assert_eq!(parse(&c), Ok(o));
    }

    #[test]
    fn unknown_lists_every_key() {
        for (_, long, short) in KEYS {
            assert!(KNOWN_OPTIONS.contains(long), "{long}");
            if let Some(s) = short {
                assert!(KNOWN_OPTIONS.contains(&format!("{long} ({s})")), "{s}");
            }
        }
    }

    #[test]
    fn orientation_is_flip_then_rotate() {
        let o = ok("flip=h,rotate=90");
        assert_eq!(o.orientation(), Orientation::flip(true, false).then(Orientation::rotate_cw(1)));
        assert_eq!(Options::default().orientation(), Orientation::IDENTITY);
        assert!(ok("rotate=270").orientation().swaps_axes());
    }

    #[test]
    fn quality_values() {
        assert_eq!(Quality::default().value(), 85);
        assert_eq!(ok("q=high").quality.value(), 90);
        assert_eq!(ok("q=low").quality.value(), 50);
        assert_eq!(ok("q=42").quality.value(), 42);
    }

    #[test]
    fn decimals() {
        let cases = [("0", Some(0)), ("1", Some(1000)), ("0.5", Some(500)), (".5", Some(500)), ("2.", Some(2000)), ("0.0004", Some(0)), ("0.0005", Some(1)), ("1.9999", Some(2000)), ("999999.999", Some(999_999_999)), ("1000000", None), ("", None), (".", None), ("1.2.3", None), ("1e3", None), ("+1", None), ("-1", None)];
        for (s, want) in cases {
            assert_eq!(parse_milli(s), want, "{s:?}");
        }
        for m in [0, 1, 10, 100, 999, 1000, 1001, 1500, 12_345, 999_999_999] {
            assert_eq!(parse_milli(&fmt_milli(m)), Some(m), "{m}");
        }
        assert_eq!(fmt_milli(1500), "1.5");
        assert_eq!(fmt_milli(5), "0.005");
    }

    /// `negotiate!(accept, supported, alpha => want)`.
    macro_rules! negotiate_cases {
        ($($accept:expr, [$($s:ident),*], $alpha:expr => $want:ident;)+) => {
            #[test]
            fn negotiation() {
                $({
                    let accept: Option<&str> = $accept;
                    assert_eq!(negotiate(accept, &[$(Format::$s),*], $alpha), Format::$want, "{:?} {:?}", accept, stringify!($($s),*));
                })+
            }
        };
    }

    negotiate_cases! {
        None, [Avif, Webp], false => Jpeg;
        None, [Avif, Webp], true => Png;
        Some("image/avif,image/webp,image/apng,image/*,*/*;q=0.8"), [Avif, Webp], false => Avif;
        Some("image/avif,image/webp,image/apng,image/*,*/*;q=0.8"), [Webp], false => Webp;
        Some("image/avif,image/webp,*/*"), [Webp, Jpeg, Png], true => Webp;
        Some("image/webp,*/*"), [Avif, Webp], false => Webp;
        Some("image/avif"), [Webp], true => Png;
        Some("image/*,*/*;q=0.8"), [Avif, Webp], false => Jpeg;
        Some("text/html, IMAGE/WEBP ; q=0.9"), [Webp], false => Webp;
        Some("image/webp;q=0"), [Webp], false => Jpeg;
        Some("image/webp;q=0.9,image/avif;q=0.5"), [Avif, Webp], false => Webp;
        Some("image/webp,image/avif"), [Avif, Webp], false => Avif;
        Some("image/webp;q=bogus"), [Webp], true => Png;
        Some(""), [Webp], false => Jpeg;
    }

    fn arb_milli<T: 'static + std::fmt::Debug>(f: fn(u32) -> Option<T>, lo: u32, hi: u32) -> impl Strategy<Value = T> {
        (lo..=hi).prop_map(move |m| f(m).unwrap())
    }

    fn arb_gravity() -> impl Strategy<Value = Gravity> {
        prop_oneof![
            Just(Gravity::Auto),
            Just(Gravity::Face),
            Just(Gravity::Left),
            Just(Gravity::Right),
            Just(Gravity::Top),
            Just(Gravity::Bottom),
            (arb_milli(Coord::from_milli, 0, 1000), arb_milli(Coord::from_milli, 0, 1000)).prop_map(|(x, y)| Gravity::Point { x, y }),
        ]
    }

    fn arb_region() -> impl Strategy<Value = Region> {
        let n = 0..=MAX_SOURCE_COORD;
        let side = 1..=MAX_SOURCE_COORD;
        (n.clone(), n, side.clone(), side, any::<bool>(), 1u32..=256).prop_map(|(x, y, w, h, blur, s)| {
            let effect = if blur { RegionEffect::Blur(BlurRadius::new(s.min(250)).unwrap()) } else { RegionEffect::Pixelate(CellSize::new(s).unwrap()) };
            Region::new(Rect { x, y, w, h }, effect).unwrap()
        })
    }

    fn arb_options() -> impl Strategy<Value = Options> {
        let sizes = (
            proptest::option::of((1..=MAX_DIMENSION).prop_map(|v| Dimension::new(v).unwrap())),
            proptest::option::of((1..=MAX_DIMENSION).prop_map(|v| Dimension::new(v).unwrap())),
            arb_milli(Dpr::from_milli, 100, 3000),
            proptest::sample::select(Fit::ALL),
            arb_gravity(),
            proptest::option::of((0..=MAX_SOURCE_COORD, 0..=MAX_SOURCE_COORD, 0..=MAX_SOURCE_COORD, 1..=MAX_SOURCE_COORD).prop_map(|(t, r, b, l)| Trim::new(t, r, b, l).unwrap())),
            proptest::option::of(proptest::sample::select(Flip::ALL)),
            proptest::sample::select(Rotate::ALL),
        );
        let effects = (
            proptest::option::of(any::<[u8; 4]>().prop_map(|[r, g, b, a]| Rgba { r, g, b, a })),
            proptest::option::of((1u32..=250).prop_map(|v| BlurRadius::new(v).unwrap())),
            proptest::option::of((1u32..=256).prop_map(|v| CellSize::new(v).unwrap())),
            arb_milli(Sharpen::from_milli, 0, 10_000),
            arb_milli(Factor::from_milli, 1, 10_000),
            arb_milli(Factor::from_milli, 1, 10_000),
            arb_milli(Factor::from_milli, 1, 10_000),
            arb_milli(Saturation::from_milli, 0, 10_000),
            proptest::collection::vec(arb_region(), 0..4),
        );
        let output = (
            prop_oneof![(1u8..=100).prop_map(|v| Quality::Fixed(Percent::new(v).unwrap())), proptest::sample::select(Perceptual::ALL).prop_map(Quality::Perceptual)],
            proptest::option::of(proptest::sample::select(Format::ALL)),
            proptest::sample::select(Metadata::ALL),
            any::<bool>(),
            proptest::option::of(Just(OnError::Redirect)),
            proptest::option::of("[a-z0-9-]{1,32}".prop_map(|s| PolicyName::new(&s).unwrap())),
            any::<bool>(),
            proptest::option::of(0u32..100),
        );
        (sizes, effects, output).prop_map(|(s, e, out)| Options {
            width: s.0,
            height: s.1,
            dpr: s.2,
            fit: s.3,
            gravity: s.4,
            trim: s.5,
            flip: s.6,
            rotate: s.7,
            background: e.0,
            blur: e.1,
            pixelate: e.2,
            sharpen: e.3,
            brightness: e.4,
            contrast: e.5,
            gamma: e.6,
            saturation: e.7,
            regions: e.8,
            quality: out.0,
            format: out.1,
            metadata: out.2,
            anim: out.3,
            onerror: out.4,
            policy_wait: out.6 && out.5.is_some(),
            reveal: out.7.filter(|_| out.5.is_some() && s.5.is_none() && s.2 == Dpr::ONE),
            policy: out.5,
        })
    }

    proptest! {
        #[test]
        fn canonical_round_trips(o in arb_options()) {
            let c = o.canonical();
            prop_assert!(c.len() <= MAX_OPTIONS_LEN, "{}", c);
            prop_assert_eq!(parse(&c), Ok(o.clone()), "{}", c);
            prop_assert_eq!(parse(&c).map(|p| p.canonical()), Ok(c.clone()));
            prop_assert_eq!(c.parse::<Options>().map(|p| p.to_string()), Ok(c));
        }

        #[test]
        fn parse_never_panics(s in "[a-z0-9=,;.%#()x-]{0,80}") {
            if let Ok(o) = parse(&s) {
                prop_assert_eq!(parse(&o.canonical()), Ok(o));
            }
        }

        #[test]
        fn parse_never_panics_on_any_text(s in "\\PC{0,60}") {
            let _ = parse(&s);
        }

        #[test]
        fn shuffled_keys_and_aliases_canonicalise_alike(o in arb_options(), seed in any::<u64>()) {
            let c = o.canonical();
            prop_assume!(c != ORIGINAL);
            let mut parts: Vec<String> = c.split(',').map(|p| {
                p.replacen("width=", "w=", 1).replacen("height=", "h=", 1).replacen("quality=", "q=", 1).replacen("format=", "f=", 1).replacen("gravity=", "g=", 1)
            }).collect();
            // Rotate the non-region options; regions keep their relative order.
            let (regions, mut rest): (Vec<String>, Vec<String>) = parts.drain(..).partition(|p| p.contains("-region="));
            let n = rest.len();
            if n > 0 {
                rest.rotate_left((seed % n as u64) as usize);
            }
            rest.extend(regions);
            prop_assert_eq!(parse(&rest.join(",")).map(|p| p.canonical()), Ok(c));
        }
    }
}
