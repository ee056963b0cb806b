//! edgepix addition: the forward DCT and the quantization in wasm SIMD
//! (`simd128`), for the Worker. Both compute the same integer arithmetic
//! as `fdct::fdct` and `Operations::quantize_block`'s default, in i32
//! lanes, and give the same values: the tests below compare them on
//! random blocks.

use core::arch::wasm32::*;

use crate::encoder::{AlignedBlock, Operations};
use crate::quantization::{QuantizationTable, SHIFT};

const CONST_BITS: u32 = 13;
const PASS1_BITS: u32 = 2;

const FIX_0_298631336: i32 = 2446;
const FIX_0_390180644: i32 = 3196;
const FIX_0_541196100: i32 = 4433;
const FIX_0_765366865: i32 = 6270;
const FIX_0_899976223: i32 = 7373;
const FIX_1_175875602: i32 = 9633;
const FIX_1_501321110: i32 = 12299;
const FIX_1_847759065: i32 = 15137;
const FIX_1_961570560: i32 = 16069;
const FIX_2_053119869: i32 = 16819;
const FIX_2_562915447: i32 = 20995;
const FIX_3_072711026: i32 = 25172;

/// [`Operations`] with the DCT and the quantization in wasm SIMD.
pub(crate) struct Simd128Operations;

impl Operations for Simd128Operations {
    #[inline(always)]
    fn fdct(data: &mut AlignedBlock) {
        fdct_simd128(data);
    }

    #[inline(always)]
    fn quantize_block(block: &AlignedBlock, q_block: &mut AlignedBlock, table: &QuantizationTable) {
        quantize_simd128(block, q_block, table);
    }
}

#[inline(always)]
fn splat(v: i32) -> v128 {
    i32x4_splat(v)
}

#[inline(always)]
fn mul(a: v128, c: i32) -> v128 {
    i32x4_mul(a, splat(c))
}

/// `(x + 2^(n-1)) >> n`, arithmetic.
#[inline(always)]
fn descale(x: v128, n: u32) -> v128 {
    i32x4_shr(i32x4_add(x, splat(1 << (n - 1))), n)
}

/// Transposes four rows of four lanes.
#[inline(always)]
fn transpose4(a: v128, b: v128, c: v128, d: v128) -> [v128; 4] {
    let t0 = i32x4_shuffle::<0, 4, 1, 5>(a, b);
    let t1 = i32x4_shuffle::<2, 6, 3, 7>(a, b);
    let t2 = i32x4_shuffle::<0, 4, 1, 5>(c, d);
    let t3 = i32x4_shuffle::<2, 6, 3, 7>(c, d);
    [i64x2_shuffle::<0, 2>(t0, t2), i64x2_shuffle::<1, 3>(t0, t2), i64x2_shuffle::<0, 2>(t1, t3), i64x2_shuffle::<1, 3>(t1, t3)]
}

/// Transposes an 8x8 matrix kept as rows of two halves (`m[row][half]`,
/// half `h` holding columns `4h..4h + 4`).
#[inline(always)]
fn transpose8(m: &[[v128; 2]; 8]) -> [[v128; 2]; 8] {
    let mut out = [[splat(0); 2]; 8];
    for a in 0..2 {
        for b in 0..2 {
            let t = transpose4(m[4 * a][b], m[4 * a + 1][b], m[4 * a + 2][b], m[4 * a + 3][b]);
            for (j, v) in t.into_iter().enumerate() {
                out[4 * b + j][a] = v;
            }
        }
    }
    out
}

/// One pass of the islow DCT on eight vectors (element `k` of the 1-D
/// transform in `d[k]`, a lane per row or column), as `fdct::fdct` does:
/// the first pass (`first`) keeps `PASS1_BITS` of extra precision, the
/// second removes them.
#[inline(always)]
fn pass(d: [v128; 8], first: bool) -> [v128; 8] {
    let tmp0 = i32x4_add(d[0], d[7]);
    let tmp7 = i32x4_sub(d[0], d[7]);
    let tmp1 = i32x4_add(d[1], d[6]);
    let tmp6 = i32x4_sub(d[1], d[6]);
    let tmp2 = i32x4_add(d[2], d[5]);
    let tmp5 = i32x4_sub(d[2], d[5]);
    let tmp3 = i32x4_add(d[3], d[4]);
    let tmp4 = i32x4_sub(d[3], d[4]);

    let tmp10 = i32x4_add(tmp0, tmp3);
    let tmp13 = i32x4_sub(tmp0, tmp3);
    let tmp11 = i32x4_add(tmp1, tmp2);
    let tmp12 = i32x4_sub(tmp1, tmp2);

    let bits = if first { CONST_BITS - PASS1_BITS } else { CONST_BITS + PASS1_BITS };
    let (out0, out4) = if first {
        (i32x4_shl(i32x4_add(tmp10, tmp11), PASS1_BITS), i32x4_shl(i32x4_sub(tmp10, tmp11), PASS1_BITS))
    } else {
        (descale(i32x4_add(tmp10, tmp11), PASS1_BITS), descale(i32x4_sub(tmp10, tmp11), PASS1_BITS))
    };

    let z1 = mul(i32x4_add(tmp12, tmp13), FIX_0_541196100);
    let out2 = descale(i32x4_add(z1, mul(tmp13, FIX_0_765366865)), bits);
    let out6 = descale(i32x4_add(z1, mul(tmp12, -FIX_1_847759065)), bits);

    let z1 = i32x4_add(tmp4, tmp7);
    let z2 = i32x4_add(tmp5, tmp6);
    let z3 = i32x4_add(tmp4, tmp6);
    let z4 = i32x4_add(tmp5, tmp7);
    let z5 = mul(i32x4_add(z3, z4), FIX_1_175875602);

    let tmp4 = mul(tmp4, FIX_0_298631336);
    let tmp5 = mul(tmp5, FIX_2_053119869);
    let tmp6 = mul(tmp6, FIX_3_072711026);
    let tmp7 = mul(tmp7, FIX_1_501321110);
    let z1 = mul(z1, -FIX_0_899976223);
    let z2 = mul(z2, -FIX_2_562915447);
    let z3 = i32x4_add(mul(z3, -FIX_1_961570560), z5);
    let z4 = i32x4_add(mul(z4, -FIX_0_390180644), z5);

    let out7 = descale(i32x4_add(i32x4_add(tmp4, z1), z3), bits);
    let out5 = descale(i32x4_add(i32x4_add(tmp5, z2), z4), bits);
    let out3 = descale(i32x4_add(i32x4_add(tmp6, z2), z3), bits);
    let out1 = descale(i32x4_add(i32x4_add(tmp7, z1), z4), bits);
    [out0, out1, out2, out3, out4, out5, out6, out7]
}

/// The low 16 bits of each lane of `a` and then `b` (`as i16`).
#[inline(always)]
fn narrow(a: v128, b: v128) -> v128 {
    i8x16_shuffle::<0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29>(a, b)
}

/// `fdct::fdct`: rows, then columns, four at a time.
pub(crate) fn fdct_simd128(block: &mut AlignedBlock) {
    let mut rows = [[splat(0); 2]; 8];
    for (y, row) in rows.iter_mut().enumerate() {
        let v = v128_load(block.data[8 * y..8 * y + 8].try_into().unwrap_or(&[0i16; 8]));
        *row = [i32x4_extend_low_i16x8(v), i32x4_extend_high_i16x8(v)];
    }
    // Pass 1 on the rows: element k is column k, a lane per row.
    let cols = transpose8(&rows);
    let mut firsts = [[splat(0); 2]; 8];
    for h in 0..2 {
        let out = pass(core::array::from_fn(|k| cols[k][h]), true);
        for (k, v) in out.into_iter().enumerate() {
            firsts[k][h] = v;
        }
    }
    // Pass 2 on the columns: element k is row k, a lane per column.
    let rows = transpose8(&firsts);
    let mut out = [[splat(0); 2]; 8];
    for h in 0..2 {
        let o = pass(core::array::from_fn(|k| rows[k][h]), false);
        for (k, v) in o.into_iter().enumerate() {
            out[k][h] = v;
        }
    }
    for (y, row) in out.iter().enumerate() {
        let bytes: [i16; 8] = u16x8_bitmask_free(narrow(row[0], row[1]));
        block.data[8 * y..8 * y + 8].copy_from_slice(&bytes);
    }
}

/// Eight i16 as one vector: a single `v128.load` (built lane by lane, it
/// was eight loads and seven inserts).
#[inline(always)]
fn v128_load(v: &[i16; 8]) -> v128 {
    // SAFETY: both types are 16 bytes of plain data, every bit pattern
    // valid in each.
    #[allow(unsafe_code)]
    unsafe {
        core::mem::transmute::<[i16; 8], v128>(*v)
    }
}

/// Four i32 as one vector.
#[inline(always)]
fn v128_load_i32(v: &[i32; 4]) -> v128 {
    // SAFETY: as in `v128_load`.
    #[allow(unsafe_code)]
    unsafe {
        core::mem::transmute::<[i32; 4], v128>(*v)
    }
}

/// The eight i16 lanes of `v`: a single `v128.store`.
#[inline(always)]
fn u16x8_bitmask_free(v: v128) -> [i16; 8] {
    // SAFETY: as in `v128_load`.
    #[allow(unsafe_code)]
    unsafe {
        core::mem::transmute::<v128, [i16; 8]>(v)
    }
}

/// `encoder::get_block` (an 8x8 block of samples minus 128: every
/// `col_stride`-th sample of every `row_stride`-th row from `start_x`,
/// `start_y`, rows `width` long) for column strides 1 (luma) and 2 (the
/// chroma the encoder subsamples), a row at a time: one load, a shuffle
/// for stride 2, a widening and a subtraction, where the scalar loop
/// loads every sample (in workerd each load is also a bounds check: 3 %
/// of the 12 MP render there). `None` for other strides, or where a
/// row's load would reach past `data` (stride 2 loads a byte past its
/// last sample).
#[inline(always)]
pub(crate) fn get_block(data: &[u8], start_x: usize, start_y: usize, col_stride: usize, row_stride: usize, width: usize) -> Option<AlignedBlock> {
    let mut block = AlignedBlock::default();
    for (y, out) in block.data.chunks_exact_mut(8).enumerate() {
        let at = (start_y + y * row_stride) * width + start_x;
        let samples = match col_stride {
            1 => u64x2(u64::from_le_bytes(data.get(at..at + 8)?.try_into().ok()?), 0),
            2 => {
                let bytes: [u8; 16] = data.get(at..at + 16)?.try_into().ok()?;
                // SAFETY: as in `v128_load`.
                #[allow(unsafe_code)]
                let v = unsafe { core::mem::transmute::<[u8; 16], v128>(bytes) };
                i8x16_shuffle::<0, 2, 4, 6, 8, 10, 12, 14, 0, 2, 4, 6, 8, 10, 12, 14>(v, v)
            }
            _ => return None,
        };
        let v = i16x8_sub(u16x8_extend_low_u8x16(samples), i16x8_splat(128));
        out.copy_from_slice(&u16x8_bitmask_free(v));
    }
    Some(block)
}

/// Bit `i` set where `data[i]` is not zero: eight compares and bitmasks
/// where a scalar loop takes 64 steps.
#[inline(always)]
pub(crate) fn nonzero_mask(data: &[i16; 64]) -> u64 {
    let mut mask = 0u64;
    for (i, chunk) in data.chunks_exact(8).enumerate() {
        let v = v128_load(chunk.try_into().unwrap_or(&[0i16; 8]));
        mask |= u64::from(i16x8_bitmask(v128_not(i16x8_eq(v, splat(0))))) << (8 * i);
    }
    mask
}

/// `QuantizationTable::quantize` on every coefficient (natural order,
/// eight at a time), then into zigzag order with shuffles: each zigzag
/// row of eight gathers from two to six natural rows, 28 shuffles in all
/// (generated from `ZIGZAG`; the tests hold them to it) where a scalar
/// scatter took 64 loads and stores.
pub(crate) fn quantize_simd128(block: &AlignedBlock, q_block: &mut AlignedBlock, table: &QuantizationTable) {
    let (reciprocals, corrections) = (table.reciprocals(), table.corrections());
    let mut q = [splat(0); 8];
    for (i, row) in q.iter_mut().enumerate() {
        let v = v128_load(block.data[8 * i..8 * i + 8].try_into().unwrap_or(&[0i16; 8]));
        let mut halves = [splat(0); 2];
        for (h, x) in [i32x4_extend_low_i16x8(v), i32x4_extend_high_i16x8(v)].into_iter().enumerate() {
            let at = 8 * i + 4 * h;
            let r = v128_load_i32(reciprocals[at..at + 4].try_into().unwrap_or(&[0; 4]));
            let c = v128_load_i32(corrections[at..at + 4].try_into().unwrap_or(&[0; 4]));
            let product = i32x4_shr(i32x4_mul(i32x4_add(i32x4_abs(x), c), r), SHIFT);
            halves[h] = v128_bitselect(i32x4_neg(product), product, i32x4_lt(x, splat(0)));
        }
        *row = narrow(halves[0], halves[1]);
    }
    for (out, v) in q_block.data.chunks_exact_mut(8).zip(zigzag_rows(&q)) {
        out.copy_from_slice(&u16x8_bitmask_free(v));
    }
}

/// The eight rows of `ZIGZAG` order from the eight natural rows `q` of a
/// block: lane `j` of row `k` is coefficient `ZIGZAG[8k + j]`.
#[inline(always)]
fn zigzag_rows(q: &[v128; 8]) -> [v128; 8] {
    [
        i16x8_shuffle::<0, 1, 2, 8, 4, 5, 6, 7>(i16x8_shuffle::<0, 1, 8, 3, 9, 2, 3, 10>(q[0], q[1]), q[2]),
        i16x8_shuffle::<0, 1, 2, 3, 4, 5, 12, 13>(i16x8_shuffle::<0, 1, 2, 3, 4, 11, 6, 7>(i16x8_shuffle::<0, 1, 8, 3, 4, 5, 6, 7>(i16x8_shuffle::<1, 8, 2, 9, 2, 5, 6, 7>(q[2], q[3]), q[4]), q[1]), q[0]),
        i16x8_shuffle::<0, 1, 2, 3, 4, 8, 6, 7>(i16x8_shuffle::<0, 1, 2, 3, 8, 5, 9, 7>(i16x8_shuffle::<0, 1, 2, 9, 4, 5, 6, 10>(i16x8_shuffle::<0, 1, 10, 3, 4, 5, 6, 7>(i16x8_shuffle::<4, 11, 2, 3, 4, 5, 6, 7>(q[1], q[2]), q[3]), q[4]), q[5]), q[6]),
        i16x8_shuffle::<0, 1, 2, 14, 15, 5, 6, 7>(i16x8_shuffle::<0, 1, 13, 3, 4, 14, 6, 7>(i16x8_shuffle::<3, 12, 2, 3, 4, 5, 13, 4>(q[3], q[2]), q[1]), q[0]),
        i16x8_shuffle::<0, 1, 2, 8, 9, 5, 6, 7>(i16x8_shuffle::<0, 1, 9, 3, 4, 10, 6, 7>(i16x8_shuffle::<3, 10, 2, 3, 4, 5, 11, 4>(q[4], q[5]), q[6]), q[7]),
        i16x8_shuffle::<0, 1, 2, 3, 4, 5, 6, 11>(i16x8_shuffle::<0, 1, 2, 3, 4, 5, 12, 7>(i16x8_shuffle::<0, 1, 2, 3, 4, 13, 6, 7>(i16x8_shuffle::<0, 1, 15, 3, 4, 5, 6, 7>(i16x8_shuffle::<5, 14, 2, 15, 6, 5, 6, 7>(q[3], q[2]), q[1]), q[4]), q[5]), q[6]),
        i16x8_shuffle::<0, 1, 2, 3, 4, 15, 6, 7>(i16x8_shuffle::<0, 1, 2, 3, 14, 5, 15, 7>(i16x8_shuffle::<0, 1, 2, 13, 4, 5, 6, 14>(i16x8_shuffle::<2, 3, 12, 3, 4, 5, 6, 7>(q[7], q[6]), q[5]), q[4]), q[3]),
        i16x8_shuffle::<0, 1, 2, 3, 15, 5, 6, 7>(i16x8_shuffle::<5, 12, 13, 6, 4, 7, 14, 15>(q[6], q[7]), q[5]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoder::DefaultOperations;
    use crate::quantization::QuantizationTableType;

    /// A small deterministic generator (xorshift).
    fn values(seed: u64) -> impl Iterator<Item = u64> {
        let mut s = seed;
        core::iter::repeat_with(move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        })
    }

    fn blocks() -> impl Iterator<Item = AlignedBlock> {
        let mut r = values(0x9E37_79B9_7F4A_7C15);
        (0..20_000).map(move |n| {
            // Pixels minus 128 (what the encoder transforms), flat blocks,
            // and extremes.
            let mut data = [0i16; 64];
            for v in &mut data {
                let x = r.next().unwrap_or(0);
                *v = match n % 4 {
                    0 => (x % 256) as i16 - 128,
                    1 => if x % 2 == 0 { -128 } else { 127 },
                    2 => ((x % 8) as i16 - 4) + 60,
                    _ => (x % 256) as i16 - 128 - (n % 7) as i16,
                }
                .clamp(-128, 127);
            }
            AlignedBlock::new(data)
        })
    }

    #[test]
    fn fdct_gives_the_scalar_coefficients() {
        for block in blocks() {
            let (mut ours, mut theirs) = (block, block);
            fdct_simd128(&mut ours);
            crate::fdct::fdct(&mut theirs);
            assert_eq!(ours.data, theirs.data, "{:?}", block.data);
        }
    }

    #[test]
    fn quantization_gives_the_scalar_values() {
        for quality in [1, 30, 75, 80, 95, 100] {
            let table = QuantizationTable::new_with_quality(&QuantizationTableType::Default, quality, true);
            for mut block in blocks().take(2000) {
                crate::fdct::fdct(&mut block);
                let (mut ours, mut theirs) = (AlignedBlock::default(), AlignedBlock::default());
                quantize_simd128(&block, &mut ours, &table);
                <DefaultOperations as Operations>::quantize_block(&block, &mut theirs, &table);
                assert_eq!(ours.data, theirs.data, "q{quality}");
            }
        }
    }

    /// The SIMD mask has bit `i` set exactly where coefficient `i` is not
    /// zero: sparse, dense and extreme blocks, each one bit alone.
    #[test]
    fn nonzero_mask_marks_the_nonzero_coefficients() {
        let mut r = values(0x2545_F491_4F6C_DD1D);
        let check = |data: [i16; 64]| {
            let scalar = data.iter().enumerate().fold(0u64, |m, (i, &v)| m | u64::from(v != 0) << i);
            assert_eq!(nonzero_mask(&data), scalar, "{data:?}");
        };
        for i in 0..64 {
            for v in [1, -1, i16::MIN, i16::MAX] {
                let mut data = [0i16; 64];
                data[i] = v;
                check(data);
            }
        }
        for n in 0..20_000u64 {
            let mut data = [0i16; 64];
            for v in &mut data {
                let x = r.next().unwrap_or(0);
                if x % 100 < n % 100 {
                    *v = (x >> 16) as i16;
                }
            }
            check(data);
        }
    }

    /// The shuffles put every coefficient where `ZIGZAG` does.
    #[test]
    fn zigzag_rows_follow_the_zigzag_table() {
        let mut natural = [0i16; 64];
        for (i, v) in natural.iter_mut().enumerate() {
            *v = i as i16 * 3 - 77;
        }
        let q: [v128; 8] = core::array::from_fn(|i| v128_load(natural[8 * i..8 * i + 8].try_into().unwrap()));
        let rows = zigzag_rows(&q);
        for (k, row) in rows.iter().enumerate() {
            let lanes = u16x8_bitmask_free(*row);
            for j in 0..8 {
                assert_eq!(lanes[j], natural[usize::from(crate::writer::ZIGZAG[8 * k + j])], "row {k} lane {j}");
            }
        }
    }

    /// The SIMD block fetch gives the scalar one's block for both strides,
    /// every row stride, at the buffer's edges too (where it gives way to
    /// the scalar one), and declines other strides.
    #[test]
    fn get_block_takes_the_samples_of_the_scalar_one() {
        let mut r = values(0x51_7CC1_B727_220A);
        let (width, rows) = (48usize, 32usize);
        let data: alloc::vec::Vec<u8> = (0..width * rows).map(|_| r.next().unwrap_or(0) as u8).collect();
        let mut taken = 0;
        for col_stride in [1usize, 2] {
            for row_stride in [1usize, 2] {
                for start_y in (0..=rows - 8 * row_stride).step_by(3) {
                    for start_x in 0..=width - (7 * col_stride + 1) {
                        let want = crate::encoder::get_block_scalar(&data, start_x, start_y, col_stride, row_stride, width);
                        if let Some(ours) = get_block(&data, start_x, start_y, col_stride, row_stride, width) {
                            assert_eq!(ours.data, want.data, "strides {col_stride}x{row_stride} at ({start_x}, {start_y})");
                            taken += 1;
                        } else {
                            assert!(col_stride == 2 && start_y + 7 * row_stride == rows - 1 && start_x + 16 > width, "declined at ({start_x}, {start_y})");
                        }
                    }
                }
            }
        }
        assert!(taken > 1000);
        assert!(get_block(&data, 0, 0, 3, 1, width).is_none());
    }
}
