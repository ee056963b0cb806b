//! Pixel-perfect scaling: the canvas keeps its logical size and is shown at
//! the largest whole multiple that fits, in device pixels.

/// Logical width of the canvas: 20 columns of 32 pixels.
pub const WIDTH: u32 = 640;

/// Logical height: a 16-pixel HUD over 12 rows of 32 pixels.
pub const HEIGHT: u32 = 400;

/// The CSS scale for a space of `avail_w` x `avail_h` CSS pixels on a
/// screen of `dpr` device pixels per CSS pixel.
///
/// When the space holds the canvas at 1x, the scale is a whole number of
/// *device* pixels per logical pixel (so pixels stay square and even at
/// any `dpr`), the largest that fits, and never less than the largest
/// whole CSS scale that fits (on fractional-`dpr` screens that one may be
/// uneven by a device pixel). Only a space smaller than 1x gets a
/// fractional scale, the largest that fits.
pub fn fit(avail_w: f64, avail_h: f64, dpr: f64) -> f64 {
    let dpr = if dpr.is_finite() && dpr > 0.0 { dpr } else { 1.0 };
    let css = (avail_w / f64::from(WIDTH)).min(avail_h / f64::from(HEIGHT));
    if !css.is_finite() || css <= 0.0 {
        return 1.0;
    }
    if css < 1.0 {
        return css;
    }
    ((css * dpr).floor() / dpr).max(css.floor())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_multiples_that_fit() {
        assert_eq!(fit(1280.0, 800.0, 1.0), 2.0);
        assert_eq!(fit(1279.0, 800.0, 1.0), 1.0);
        assert_eq!(fit(3000.0, 1250.0, 1.0), 3.0);
        assert_eq!(fit(640.0, 400.0, 1.0), 1.0);
    }

    #[test]
    fn fractional_only_below_one() {
        assert_eq!(fit(320.0, 400.0, 1.0), 0.5);
        assert_eq!(fit(0.0, 0.0, 1.0), 1.0);
        // A 2x phone in landscape with 844x320 CSS pixels to spare.
        assert_eq!(fit(844.0, 320.0, 2.0), 0.8);
    }

    #[test]
    fn device_pixels_stay_whole() {
        // A 2x phone in landscape, 700x450 CSS: 2 device pixels each.
        assert_eq!(fit(700.0, 450.0, 2.0), 1.0);
        // 1.5x: 1200x700 CSS is 1800x1050 device pixels, 2 each = 1280x800.
        let s = fit(1200.0, 700.0, 1.5);
        assert_eq!(s * 1.5, 2.0);
        // 1.5x, 700x450 CSS: one device pixel each (0.67x) would waste the
        // room; 1x CSS it is.
        assert_eq!(fit(700.0, 450.0, 1.5), 1.0);
        assert_eq!(fit(1000.0, 700.0, 3.0), 4.0 / 3.0);
        assert_eq!(fit(100.0, 100.0, f64::NAN), fit(100.0, 100.0, 1.0));
    }
}
