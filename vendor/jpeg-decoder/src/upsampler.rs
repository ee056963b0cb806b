use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;
use crate::error::{Error, Result, UnsupportedFeature};
use crate::parser::Component;

pub struct Upsampler {
    components: Vec<UpsamplerComponent>,
    line_buffer_size: usize
}

struct UpsamplerComponent {
    upsampler: Box<dyn Upsample + Sync>,
    width: usize,
    height: usize,
    row_stride: usize,
}

impl Upsampler {
    pub fn new(components: &[Component], output_width: u16, output_height: u16) -> Result<Upsampler> {
        let h_max = components.iter().map(|c| c.horizontal_sampling_factor).max().unwrap();
        let v_max = components.iter().map(|c| c.vertical_sampling_factor).max().unwrap();
        let mut upsampler_components = Vec::with_capacity(components.len());

        for component in components {
            let upsampler = choose_upsampler((component.horizontal_sampling_factor,
                                              component.vertical_sampling_factor),
                                             (h_max, v_max),
                                             output_width,
                                             output_height)?;
            upsampler_components.push(UpsamplerComponent {
                upsampler,
                width: component.size.width as usize,
                height: component.size.height as usize,
                row_stride: component.block_size.width as usize * component.dct_scale,
            });
        }

        let buffer_size = components.iter().map(|c| c.size.width).max().unwrap() as usize * h_max as usize;

        Ok(Upsampler {
            components: upsampler_components,
            line_buffer_size: buffer_size
        })
    }

    pub fn upsample_and_interleave_row(&self, component_data: &[Vec<u8>], row: usize, output_width: usize, output: &mut [u8], color_convert: fn(&[Vec<u8>], &mut [u8])) {
        let component_count = component_data.len();
        let mut line_buffers = vec![vec![0u8; self.line_buffer_size]; component_count];

        debug_assert_eq!(component_count, self.components.len());

        for (i, component) in self.components.iter().enumerate() {
            component.upsampler.upsample_row(&component_data[i],
                                             component.width,
                                             component.height,
                                             component.row_stride,
                                             row,
                                             output_width,
                                             &mut line_buffers[i]);
        }
        color_convert(&line_buffers, output);
    }
}

struct UpsamplerH1V1;
struct UpsamplerH2V1;
struct UpsamplerH1V2;
struct UpsamplerH2V2;

struct UpsamplerGeneric {
    horizontal_scaling_factor: u8,
    vertical_scaling_factor: u8
}

fn choose_upsampler(sampling_factors: (u8, u8),
                    max_sampling_factors: (u8, u8),
                    output_width: u16,
                    output_height: u16) -> Result<Box<dyn Upsample + Sync>> {
    let h1 = sampling_factors.0 == max_sampling_factors.0 || output_width == 1;
    let v1 = sampling_factors.1 == max_sampling_factors.1 || output_height == 1;
    let h2 = sampling_factors.0 * 2 == max_sampling_factors.0;
    let v2 = sampling_factors.1 * 2 == max_sampling_factors.1;

    if h1 && v1 {
        Ok(Box::new(UpsamplerH1V1))
    } else if h2 && v1 {
        Ok(Box::new(UpsamplerH2V1))
    } else if h1 && v2 {
        Ok(Box::new(UpsamplerH1V2))
    } else if h2 && v2 {
        Ok(Box::new(UpsamplerH2V2))
    } else if max_sampling_factors.0 % sampling_factors.0 != 0
        || max_sampling_factors.1 % sampling_factors.1 != 0
    {
        Err(Error::Unsupported(
            UnsupportedFeature::NonIntegerSubsamplingRatio,
        ))
    } else {
        Ok(Box::new(UpsamplerGeneric {
            horizontal_scaling_factor: max_sampling_factors.0 / sampling_factors.0,
            vertical_scaling_factor: max_sampling_factors.1 / sampling_factors.1,
        }))
    }
}

#[allow(clippy::too_many_arguments)]
trait Upsample {
    fn upsample_row(&self,
                    input: &[u8],
                    input_width: usize,
                    input_height: usize,
                    row_stride: usize,
                    row: usize,
                    output_width: usize,
                    output: &mut [u8]);
}

impl Upsample for UpsamplerH1V1 {
    fn upsample_row(&self,
                    input: &[u8],
                    _input_width: usize,
                    _input_height: usize,
                    row_stride: usize,
                    row: usize,
                    output_width: usize,
                    output: &mut [u8]) {
        let input = &input[row * row_stride ..];

        output[..output_width].copy_from_slice(&input[..output_width]);
    }
}

impl Upsample for UpsamplerH2V1 {
    fn upsample_row(&self,
                    input: &[u8],
                    input_width: usize,
                    _input_height: usize,
                    row_stride: usize,
                    row: usize,
                    _output_width: usize,
                    output: &mut [u8]) {
        let input = &input[row * row_stride ..];

        if input_width == 1 {
            output[0] = input[0];
            output[1] = input[0];
            return;
        }

        output[0] = input[0];
        output[1] = ((input[0] as u32 * 3 + input[1] as u32 + 2) >> 2) as u8;

        for i in 1 .. input_width - 1 {
            let sample = 3 * input[i] as u32 + 2;
            output[i * 2]     = ((sample + input[i - 1] as u32) >> 2) as u8;
            output[i * 2 + 1] = ((sample + input[i + 1] as u32) >> 2) as u8;
        }

        output[(input_width - 1) * 2] = ((input[input_width - 1] as u32 * 3 + input[input_width - 2] as u32 + 2) >> 2) as u8;
        output[(input_width - 1) * 2 + 1] = input[input_width - 1];
    }
}

impl Upsample for UpsamplerH1V2 {
    fn upsample_row(&self,
                    input: &[u8],
                    _input_width: usize,
                    input_height: usize,
                    row_stride: usize,
                    row: usize,
                    output_width: usize,
                    output: &mut [u8]) {
        let row_near = row as f32 / 2.0;
        // If row_near's fractional is 0.0 we want row_far to be the previous row and if it's 0.5 we
        // want it to be the next row.
        let row_far = (row_near + row_near.fract() * 3.0 - 0.25).min((input_height - 1) as f32);

        let input_near = &input[row_near as usize * row_stride ..];
        let input_far = &input[row_far as usize * row_stride ..];

        let output = &mut output[..output_width];
        let input_near = &input_near[..output_width];
        let input_far = &input_far[..output_width];
        for i in 0..output_width {
            output[i] = ((3 * input_near[i] as u32 + input_far[i] as u32 + 2) >> 2) as u8;
        }
    }
}

impl Upsample for UpsamplerH2V2 {
    fn upsample_row(&self,
                    input: &[u8],
                    input_width: usize,
                    input_height: usize,
                    row_stride: usize,
                    row: usize,
                    _output_width: usize,
                    output: &mut [u8]) {
        let row_near = row as f32 / 2.0;
        // If row_near's fractional is 0.0 we want row_far to be the previous row and if it's 0.5 we
        // want it to be the next row.
        let row_far = (row_near + row_near.fract() * 3.0 - 0.25).min((input_height - 1) as f32);

        let input_near = &input[row_near as usize * row_stride ..];
        let input_far = &input[row_far as usize * row_stride ..];

        if input_width == 1 {
            let value = ((3 * input_near[0] as u32 + input_far[0] as u32 + 2) >> 2) as u8;
            output[0] = value;
            output[1] = value;
            return;
        }

        h2v2_row(&input_near[..input_width], &input_far[..input_width], output);
    }
}

/// One output row of the fancy (triangle-filter) 2x2 upsampling from the
/// nearer and the farther input row, both `input_width >= 2` long.
fn h2v2_row(near: &[u8], far: &[u8], output: &mut [u8]) {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128", not(feature = "platform_independent")))]
    {
        return h2v2_row_simd128(near, far, output);
    }
    #[allow(unreachable_code)]
    h2v2_row_scalar(near, far, output, 1)
}

/// [`h2v2_row`] from input pixel `start >= 1` on (the pixels before it
/// already written).
fn h2v2_row_scalar(near: &[u8], far: &[u8], output: &mut [u8], start: usize) {
    let input_width = near.len();
    let mut t1 = 3 * near[start - 1] as u32 + far[start - 1] as u32;
    if start == 1 {
        output[0] = ((t1 + 2) >> 2) as u8;
    }

    for i in start .. input_width {
        let t0 = t1;
        t1 = 3 * near[i] as u32 + far[i] as u32;

        output[i * 2 - 1] = ((3 * t0 + t1 + 8) >> 4) as u8;
        output[i * 2]     = ((3 * t1 + t0 + 8) >> 4) as u8;
    }

    output[input_width * 2 - 1] = ((t1 + 2) >> 2) as u8;
}

/// [`h2v2_row`] with wasm SIMD, eight input pixels (sixteen output bytes)
/// at a time and the scalar loop for the rest: the same integer
/// arithmetic, so the same bytes.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn h2v2_row_simd128(near: &[u8], far: &[u8], output: &mut [u8]) {
    use core::arch::wasm32::*;

    let input_width = near.len();
    output[0] = ((3 * near[0] as u32 + far[0] as u32 + 2) >> 2) as u8;
    // Column sums 3 * near + far of eight pixels from `at`, as u16 lanes.
    let sums = |at: usize| {
        let n = &near[at..at + 8];
        let f = &far[at..at + 8];
        let n = u16x8(n[0] as u16, n[1] as u16, n[2] as u16, n[3] as u16, n[4] as u16, n[5] as u16, n[6] as u16, n[7] as u16);
        let f = u16x8(f[0] as u16, f[1] as u16, f[2] as u16, f[3] as u16, f[4] as u16, f[5] as u16, f[6] as u16, f[7] as u16);
        i16x8_add(i16x8_add(i16x8_add(n, n), n), f)
    };
    let eight = u16x8_splat(8);
    let mut i = 1;
    while i + 8 <= input_width {
        let t0 = sums(i - 1);
        let t1 = sums(i);
        // Output 2i-1+2k from (3 t0 + t1 + 8) >> 4, output 2i+2k from
        // (3 t1 + t0 + 8) >> 4: at most 255, so narrowing keeps them.
        let odd = u16x8_shr(i16x8_add(i16x8_add(i16x8_add(t0, t0), i16x8_add(t0, t1)), eight), 4);
        let even = u16x8_shr(i16x8_add(i16x8_add(i16x8_add(t1, t1), i16x8_add(t1, t0)), eight), 4);
        let bytes = u8x16_narrow_i16x8(odd, even);
        let interleaved = i8x16_shuffle::<0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15>(bytes, bytes);
        let out = &mut output[2 * i - 1..2 * i + 15];
        out[..8].copy_from_slice(&u64x2_extract_lane::<0>(interleaved).to_le_bytes());
        out[8..].copy_from_slice(&u64x2_extract_lane::<1>(interleaved).to_le_bytes());
        i += 8;
    }
    h2v2_row_scalar(near, far, output, i);
}

impl Upsample for UpsamplerGeneric {
    // Uses nearest neighbor sampling
    fn upsample_row(&self,
                    input: &[u8],
                    input_width: usize,
                    _input_height: usize,
                    row_stride: usize,
                    row: usize,
                    _output_width: usize,
                    output: &mut [u8]) {
        let mut index = 0;
        let start = (row / self.vertical_scaling_factor as usize) * row_stride;
        let input = &input[start..(start + input_width)];
        for val in input {
            for _ in 0..self.horizontal_scaling_factor {
                output[index] = *val;
                index += 1;
            }
        }
    }
}

#[cfg(all(test, target_arch = "wasm32", target_feature = "simd128"))]
mod simd128_tests {
    use super::*;

    /// The SIMD row gives the scalar row's bytes at every width from 2 to 70.
    #[test]
    fn h2v2_row_simd128_matches_scalar() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        };
        for width in 2..70 {
            for round in 0..50 {
                let near: Vec<u8> = (0..width).map(|_| if round % 5 == 0 { 255 } else { next() }).collect();
                let far: Vec<u8> = (0..width).map(|_| if round % 7 == 0 { 255 } else { next() }).collect();
                let mut scalar = vec![0u8; 2 * width];
                let mut simd = vec![0u8; 2 * width];
                h2v2_row_scalar(&near, &far, &mut scalar, 1);
                h2v2_row_simd128(&near, &far, &mut simd);
                assert_eq!(scalar, simd, "width {width}, round {round}");
            }
        }
    }
}
