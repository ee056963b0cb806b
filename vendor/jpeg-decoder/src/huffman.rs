use alloc::borrow::ToOwned;
use alloc::vec;
use alloc::vec::Vec;
use core::iter;
use std::io::BufRead;
use crate::read_u8;
use crate::error::{Error, Result};
use crate::marker::Marker;
use crate::parser::ScanInfo;
use crate::decoder::UNZIGZAG;

// Upstream: 8. With 9 (stb_image's FAST_BITS) more symbols, and more AC
// coefficients with their extra bits, decode in one lookup.
const LUT_BITS: u8 = 10;

/// `decode_block_sequential` refills below this many bits: enough for a
/// code of `LUT_BITS` and 15 extra bits, or an end-of-band run's 14, and
/// `decode`'s 16 for a longer code.
const REFILL_BELOW: u8 = 26;

/// `decode_block_sequential` tops the buffer up (to 57-64 bits) at a
/// block's start below this many bits.
const BLOCK_REFILL_BELOW: u8 = 57;

#[derive(Debug)]
pub struct HuffmanDecoder {
    bits: u64,
    num_bits: u8,
    marker: Option<Marker>,
}

impl HuffmanDecoder {
    pub fn new() -> HuffmanDecoder {
        HuffmanDecoder {
            bits: 0,
            num_bits: 0,
            marker: None,
        }
    }

    // Section F.2.2.3
    // Figure F.16
    pub fn decode<R: BufRead>(&mut self, reader: &mut R, table: &HuffmanTable) -> Result<u8> {
        if self.num_bits < 16 {
            self.read_bits(reader)?;
        }

        let (value, size) = table.lut[self.peek_bits(LUT_BITS) as usize];

        if size > 0 {
            self.consume_bits(size);
            Ok(value)
        }
        else {
            let bits = self.peek_bits(16);

            for i in LUT_BITS .. 16 {
                let code = (bits >> (15 - i)) as i32;

                if code <= table.maxcode[i as usize] {
                    self.consume_bits(i + 1);

                    let index = (code + table.delta[i as usize]) as usize;
                    return Ok(table.values[index]);
                }
            }

            Err(Error::Format("failed to decode huffman code".to_owned()))
        }
    }

    pub fn decode_fast_ac<R: BufRead>(&mut self, reader: &mut R, table: &HuffmanTable) -> Result<Option<(i16, u8)>> {
        if let Some(ref ac_lut) = table.ac_lut {
            if self.num_bits < LUT_BITS {
                self.read_bits(reader)?;
            }

            let (value, run_size) = ac_lut[self.peek_bits(LUT_BITS) as usize];

            if run_size != 0 {
                let run = run_size >> 4;
                let size = run_size & 0x0f;

                self.consume_bits(size);
                return Ok(Some((value, run)));
            }
        }

        Ok(None)
    }

    /// Decodes one block of a sequential scan (the whole spectrum at full
    /// precision) into `coefficients`, in natural order: `decode_block`
    /// for such a scan, symbol for symbol (edgepix addition). The bit
    /// buffer stays in locals (through `self`, every symbol stored and
    /// reloaded it), refilled when fewer than 26 bits are left, so that a
    /// code of up to `LUT_BITS` and its extra bits (at most 15) come from
    /// the buffer without a check between: such a symbol takes one lookup
    /// even when its extra bits do not fit the AC table. Corrupt data ends
    /// the block as there: an end-of-band run is kept in `eob_run` for the
    /// blocks after it.
    // Inlined into `decode_scan`'s loop: 3-4 % of the 12 MP render in
    // workerd (V8 of 2026), though 12 % slower on node 20's V8 11, which
    // spills more of the bigger loop; the Worker runs on the former.
    #[inline(always)]
    pub fn decode_block_sequential<R: BufRead>(
        &mut self,
        reader: &mut R,
        coefficients: &mut [i16; 64],
        dc_table: &HuffmanTable,
        ac_table: &HuffmanTable,
        dc_predictor: &mut i16,
        eob_run: &mut u16,
    ) -> Result<()> {
        let Some(ac_lut) = ac_table.ac_lut.as_ref() else {
            return Err(Error::Format("AC table without a lookup table".to_owned()));
        };
        let (mut bits, mut num_bits) = (self.bits, self.num_bits);

        // Section F.2.2.1, figure F.12. The buffer is topped up at every
        // block's start, so that the refill inside the loop below, a
        // branch that goes either way at random, is not needed at all in
        // a block of up to about 30 bits (most blocks of a smooth photo).
        if num_bits < BLOCK_REFILL_BELOW {
            self.refill(reader, &mut bits, &mut num_bits)?;
        }
        let peek = (bits >> (64 - LUT_BITS)) as usize;
        let (fast_diff, fast_size) = dc_table.dc_lut.as_ref().map_or((0, 0), |lut| lut[peek]);
        let (value, size) = dc_table.lut[peek];
        let diff = if fast_size > 0 {
            // The code and its extra bits within the table's bits: the
            // difference in one lookup.
            bits <<= fast_size;
            num_bits -= fast_size;
            fast_diff
        } else if size > 0 && value <= 11 {
            bits <<= size;
            num_bits -= size;
            if value == 0 {
                0
            } else {
                let extra = (bits >> (64 - value)) as u16;
                bits <<= value;
                num_bits -= value;
                extend(extra, value)
            }
        } else {
            (self.bits, self.num_bits) = (bits, num_bits);
            let value = self.decode(reader, dc_table)?;
            let diff = match value {
                0 => 0,
                1..=11 => self.receive_extend(reader, value)?,
                _ => return Err(Error::Format("invalid DC difference magnitude category".to_owned())),
            };
            (bits, num_bits) = (self.bits, self.num_bits);
            diff
        };
        // Malicious JPEG files can cause this add to overflow, therefore we use wrapping_add.
        *dc_predictor = dc_predictor.wrapping_add(diff);
        coefficients[0] = *dc_predictor;

        if *eob_run > 0 {
            *eob_run -= 1;
            (self.bits, self.num_bits) = (bits, num_bits);
            return Ok(());
        }

        // Section F.1.2.2.1.
        let mut index = 1usize;
        while index < 64 {
            if num_bits < REFILL_BELOW {
                self.refill(reader, &mut bits, &mut num_bits)?;
            }
            let peek = (bits >> (64 - LUT_BITS)) as usize;
            let (value, run_size) = ac_lut[peek];
            if run_size != 0 {
                let size = run_size & 0x0f;
                bits <<= size;
                num_bits -= size;
                if value == 0 {
                    // End of block (run 0) or sixteen zeros (run 15).
                    if run_size >> 4 == 0 {
                        break;
                    }
                    index += 16;
                    continue;
                }
                index += usize::from(run_size >> 4);
                if index >= 64 {
                    break;
                }
                coefficients[usize::from(UNZIGZAG[index])] = value;
                index += 1;
                continue;
            }
            // A code of at most LUT_BITS whose extra bits do not fit the
            // AC table, or a longer code.
            let (byte, size) = ac_table.lut[peek];
            let (r, s) = if size > 0 {
                bits <<= size;
                num_bits -= size;
                (byte >> 4, byte & 0x0f)
            } else {
                (self.bits, self.num_bits) = (bits, num_bits);
                let byte = self.decode(reader, ac_table)?;
                if self.num_bits < 16 {
                    self.read_bits(reader)?;
                }
                (bits, num_bits) = (self.bits, self.num_bits);
                (byte >> 4, byte & 0x0f)
            };
            if s == 0 {
                if r == 15 {
                    index += 16;
                    continue;
                }
                // An end-of-band run, which only progressive scans have.
                *eob_run = (1 << r) - 1;
                if r > 0 {
                    *eob_run += (bits >> (64 - r)) as u16;
                    bits <<= r;
                    num_bits -= r;
                }
                break;
            }
            index += usize::from(r);
            if index >= 64 {
                break;
            }
            let extra = (bits >> (64 - s)) as u16;
            bits <<= s;
            num_bits -= s;
            coefficients[usize::from(UNZIGZAG[index])] = extend(extra, s);
            index += 1;
        }
        (self.bits, self.num_bits) = (bits, num_bits);
        Ok(())
    }

    /// Refills the local bit buffer of `decode_block_sequential`: eight
    /// bytes in one load where it can, else through `read_bits`.
    #[inline(always)]
    fn refill<R: BufRead>(&mut self, reader: &mut R, bits: &mut u64, num_bits: &mut u8) -> Result<()> {
        (self.bits, self.num_bits) = (*bits, *num_bits);
        if self.marker.is_some() || !self.refill_fast(reader)? {
            self.read_bits(reader)?;
        }
        (*bits, *num_bits) = (self.bits, self.num_bits);
        Ok(())
    }

    #[inline]
    pub fn get_bits<R: BufRead>(&mut self, reader: &mut R, count: u8) -> Result<u16> {
        if self.num_bits < count {
            self.read_bits(reader)?;
        }

        let bits = self.peek_bits(count);
        self.consume_bits(count);

        Ok(bits)
    }

    #[inline]
    pub fn receive_extend<R: BufRead>(&mut self, reader: &mut R, count: u8) -> Result<i16> {
        let value = self.get_bits(reader, count)?;
        Ok(extend(value, count))
    }

    pub fn reset(&mut self) {
        self.bits = 0;
        self.num_bits = 0;
    }

    pub fn take_marker<R: BufRead>(&mut self, reader: &mut R) -> Result<Option<Marker>> {
        self.read_bits(reader).map(|_| self.marker.take())
    }

    /// Fills the bit buffer with whole bytes from the next eight bytes of
    /// the reader's buffer, in one load, when none of them is 0xFF (no byte
    /// stuffing, no marker): `false` when it cannot.
    #[inline]
    fn refill_fast<R: BufRead>(&mut self, reader: &mut R) -> Result<bool> {
        let buf = reader.fill_buf()?;
        let Some(next) = buf.get(..8) else { return Ok(false) };
        let word = u64::from_be_bytes(next.try_into().unwrap_or([0xFF; 8]));
        // A byte of `word` is 0xFF where the same byte of `!word` is zero.
        let inverted = !word;
        if inverted.wrapping_sub(0x0101_0101_0101_0101) & !inverted & 0x8080_8080_8080_8080 != 0 {
            return Ok(false);
        }
        // As many whole bytes as fit: num_bits ends in 57..=64, as the
        // byte-at-a-time loop leaves it. The bits of the next byte that
        // also land below them are the ones the next refill puts there.
        let bytes = (64 - self.num_bits) / 8;
        self.bits |= word >> self.num_bits;
        self.num_bits += 8 * bytes;
        reader.consume(bytes as usize);
        Ok(true)
    }

    #[inline]
    fn peek_bits(&mut self, count: u8) -> u16 {
        debug_assert!(count <= 16);
        debug_assert!(self.num_bits >= count);

        ((self.bits >> (64 - count)) & ((1 << count) - 1)) as u16
    }

    #[inline]
    fn consume_bits(&mut self, count: u8) {
        debug_assert!(self.num_bits >= count);

        self.bits <<= count as usize;
        self.num_bits -= count;
    }

    fn read_bits<R: BufRead>(&mut self, reader: &mut R) -> Result<()> {
        if self.marker.is_none() && self.refill_fast(reader)? {
            return Ok(());
        }
        while self.num_bits <= 56 {
            // Fill with zero bits if we have reached the end.
            let byte = match self.marker {
                Some(_) => 0,
                None => read_u8(reader)?,
            };

            if byte == 0xFF {
                let mut next_byte = read_u8(reader)?;

                // Check for byte stuffing.
                if next_byte != 0x00 {
                    // We seem to have reached the end of entropy-coded data and encountered a
                    // marker. Since we can't put data back into the reader, we have to continue
                    // reading to identify the marker so we can pass it on.

                    // Section B.1.1.2
                    // "Any marker may optionally be preceded by any number of fill bytes, which are bytes assigned code X’FF’."
                    while next_byte == 0xFF {
                        next_byte = read_u8(reader)?;
                    }

                    match next_byte {
                        0x00 => return Err(Error::Format("FF 00 found where marker was expected".to_owned())),
                        _    => self.marker = Some(Marker::from_u8(next_byte).unwrap()),
                    }

                    continue;
                }
            }

            self.bits |= (byte as u64) << (56 - self.num_bits);
            self.num_bits += 8;
        }

        Ok(())
    }
}

// Section F.2.2.1
// Figure F.12
pub(crate) fn extend(value: u16, count: u8) -> i16 {
    let vt = 1 << (count as u16 - 1);

    if value < vt {
        value as i16 + (-1 << count as i16) + 1
    } else {
        value as i16
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum HuffmanTableClass {
    DC,
    AC,
}

pub struct HuffmanTable {
    values: Vec<u8>,
    delta: [i32; 16],
    maxcode: [i32; 16],

    lut: [(u8, u8); 1 << LUT_BITS],
    ac_lut: Option<[(i16, u8); 1 << LUT_BITS]>,
    /// For a DC table (edgepix addition): the difference and the bits it
    /// takes, code and extra bits, where both fit `LUT_BITS`; else a size
    /// of 0.
    dc_lut: Option<[(i16, u8); 1 << LUT_BITS]>,
}

impl HuffmanTable {
    pub fn new(bits: &[u8; 16], values: &[u8], class: HuffmanTableClass) -> Result<HuffmanTable> {
        let (huffcode, huffsize) = derive_huffman_codes(bits)?;

        // Section F.2.2.3
        // Figure F.15
        // delta[i] is set to VALPTR(I) - MINCODE(I)
        let mut delta = [0i32; 16];
        let mut maxcode = [-1i32; 16];
        let mut j = 0;

        for i in 0 .. 16 {
            if bits[i] != 0 {
                delta[i] = j as i32 - huffcode[j] as i32;
                j += bits[i] as usize;
                maxcode[i] = huffcode[j - 1] as i32;
            }
        }

        // Build a lookup table for faster decoding.
        let mut lut = [(0u8, 0u8); 1 << LUT_BITS];

        for (i, &size) in huffsize.iter().enumerate().filter(|&(_, &size)| size <= LUT_BITS) {
            let bits_remaining = LUT_BITS - size;
            let start = (huffcode[i] << bits_remaining) as usize;

            let val = (values[i], size);
            for b in &mut lut[start..][..1 << bits_remaining] {
                *b = val;
            }
        }

        // Build a lookup table for small AC coefficients which both decodes the value and does the
        // equivalent of receive_extend.
        let ac_lut = match class {
            HuffmanTableClass::DC => None,
            HuffmanTableClass::AC => {
                let mut table = [(0i16, 0u8); 1 << LUT_BITS];

                for (i, &(value, size)) in lut.iter().enumerate() {
                    let run_length = value >> 4;
                    let magnitude_category = value & 0x0f;

                    if size > 0 && magnitude_category == 0 && (run_length == 0 || run_length == 15) {
                        // End of block and sixteen zeros carry no
                        // coefficient: value 0, which no coefficient
                        // symbol decodes to, tells them apart.
                        table[i] = (0, (run_length << 4) | size);
                    } else if magnitude_category > 0 && size + magnitude_category <= LUT_BITS {
                        let unextended_ac_value = (((i << size) & ((1 << LUT_BITS) - 1)) >> (LUT_BITS - magnitude_category)) as u16;
                        let ac_value = extend(unextended_ac_value, magnitude_category);

                        table[i] = (ac_value, (run_length << 4) | (size + magnitude_category));
                    }
                }

                Some(table)
            },
        };

        let dc_lut = match class {
            HuffmanTableClass::AC => None,
            HuffmanTableClass::DC => {
                let mut table = [(0i16, 0u8); 1 << LUT_BITS];
                for (i, &(value, size)) in lut.iter().enumerate() {
                    if size > 0 && value <= 11 && size + value <= LUT_BITS {
                        let diff = if value == 0 {
                            0
                        } else {
                            extend((((i << size) & ((1 << LUT_BITS) - 1)) >> (LUT_BITS - value)) as u16, value)
                        };
                        table[i] = (diff, size + value);
                    }
                }
                Some(table)
            }
        };

        Ok(HuffmanTable {
            values: values.to_vec(),
            delta,
            maxcode,
            lut,
            ac_lut,
            dc_lut,
        })
    }
}

impl HuffmanTable {
    /// Whether the AC lookup table is there (edgepix addition).
    pub fn has_ac_lut(&self) -> bool {
        self.ac_lut.is_some()
    }
}

#[cfg(test)]
impl HuffmanTable {
    /// The same table without the AC lookup table: every symbol through
    /// the slow path.
    pub fn without_ac_lut(mut self) -> HuffmanTable {
        self.ac_lut = None;
        self
    }
}

// Section C.2
fn derive_huffman_codes(bits: &[u8; 16]) -> Result<(Vec<u16>, Vec<u8>)> {
    // Figure C.1
    let huffsize = bits.iter()
                       .enumerate()
                       .fold(Vec::new(), |mut acc, (i, &value)| {
                           acc.extend(iter::repeat((i + 1) as u8).take(value as usize));
                           acc
                       });

    // Figure C.2
    let mut huffcode = vec![0u16; huffsize.len()];
    let mut code_size = huffsize[0];
    let mut code = 0u32;

    for (i, &size) in huffsize.iter().enumerate() {
        while code_size < size {
            code <<= 1;
            code_size += 1;
        }

        if code >= (1u32 << size) {
            return Err(Error::Format("bad huffman code length".to_owned()));
        }

        huffcode[i] = code as u16;
        code += 1;
    }

    Ok((huffcode, huffsize))
}

// https://www.loc.gov/preservation/digital/formats/fdd/fdd000063.shtml
// "Avery Lee, writing in the rec.video.desktop newsgroup in 2001, commented that "MJPEG, or at
//  least the MJPEG in AVIs having the MJPG fourcc, is restricted JPEG with a fixed -- and
//  *omitted* -- Huffman table. The JPEG must be YCbCr colorspace, it must be 4:2:2, and it must
//  use basic Huffman encoding, not arithmetic or progressive.... You can indeed extract the
//  MJPEG frames and decode them with a regular JPEG decoder, but you have to prepend the DHT
//  segment to them, or else the decoder won't have any idea how to decompress the data.
//  The exact table necessary is given in the OpenDML spec.""
pub fn fill_default_mjpeg_tables(scan: &ScanInfo,
                                 dc_huffman_tables: &mut[Option<HuffmanTable>],
                                 ac_huffman_tables: &mut[Option<HuffmanTable>]) {
    // Section K.3.3

    if dc_huffman_tables[0].is_none() && scan.dc_table_indices.iter().any(|&i| i == 0) {
        // Table K.3
        dc_huffman_tables[0] = Some(HuffmanTable::new(
            &[0x00, 0x01, 0x05, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
            &[0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B], HuffmanTableClass::DC).unwrap());
    }
    if dc_huffman_tables[1].is_none() && scan.dc_table_indices.iter().any(|&i| i == 1) {
        // Table K.4
        dc_huffman_tables[1] = Some(HuffmanTable::new(
            &[0x00, 0x03, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00],
            &[0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B], HuffmanTableClass::DC).unwrap());
    }
    if ac_huffman_tables[0].is_none() && scan.ac_table_indices.iter().any(|&i| i == 0) {
        // Table K.5
        ac_huffman_tables[0] = Some(HuffmanTable::new(
            &[0x00, 0x02, 0x01, 0x03, 0x03, 0x02, 0x04, 0x03, 0x05, 0x05, 0x04, 0x04, 0x00, 0x00, 0x01, 0x7D],
            &[0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
              0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xA1, 0x08, 0x23, 0x42, 0xB1, 0xC1, 0x15, 0x52, 0xD1, 0xF0,
              0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0A, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x25, 0x26, 0x27, 0x28,
              0x29, 0x2A, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
              0x4A, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
              0x6A, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
              0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7,
              0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xC2, 0xC3, 0xC4, 0xC5,
              0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xE1, 0xE2,
              0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8,
              0xF9, 0xFA
            ], HuffmanTableClass::AC).unwrap());
    }
    if ac_huffman_tables[1].is_none() && scan.ac_table_indices.iter().any(|&i| i == 1) {
        // Table K.6
        ac_huffman_tables[1] = Some(HuffmanTable::new(
            &[0x00, 0x02, 0x01, 0x02, 0x04, 0x04, 0x03, 0x04, 0x07, 0x05, 0x04, 0x04, 0x00, 0x01, 0x02, 0x77],
            &[0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71,
              0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xA1, 0xB1, 0xC1, 0x09, 0x23, 0x33, 0x52, 0xF0,
              0x15, 0x62, 0x72, 0xD1, 0x0A, 0x16, 0x24, 0x34, 0xE1, 0x25, 0xF1, 0x17, 0x18, 0x19, 0x1A, 0x26,
              0x27, 0x28, 0x29, 0x2A, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
              0x49, 0x4A, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
              0x69, 0x6A, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
              0x88, 0x89, 0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4, 0xA5,
              0xA6, 0xA7, 0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xC2, 0xC3,
              0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA,
              0xE2, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8,
              0xF9, 0xFA
            ], HuffmanTableClass::AC).unwrap());
    }
}

/// The bulk refill (eight bytes in one load) against the byte-at-a-time
/// loop, which a reader with a one-byte buffer forces: the same bits and
/// the same marker, across byte stuffing, fill bytes and the end.
#[cfg(test)]
mod refill_tests {
    use super::HuffmanDecoder;
    use crate::marker::Marker;
    use std::io::{BufReader, Cursor};
    use std::vec::Vec;

    /// Entropy-coded bytes from `seed`: every 0xFF stuffed with 0x00, some
    /// stretches dense with them, then fill bytes and an EOI marker.
    fn stream(seed: u64, len: usize) -> Vec<u8> {
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut out = Vec::new();
        for i in 0..len {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let dense = (i / 64) % 3 == 1;
            let byte = if dense && state % 4 == 0 { 0xFF } else { (state >> 24) as u8 };
            out.push(byte);
            if byte == 0xFF {
                out.push(0x00);
            }
        }
        out.extend_from_slice(&[0xFF, 0xFF, 0xD9]);
        out
    }

    #[test]
    fn bulk_refill_reads_what_the_byte_loop_reads() {
        for seed in 0..200u64 {
            let data = stream(seed, (seed as usize * 7) % 300);
            let mut fast = Cursor::new(&data[..]);
            let mut slow = BufReader::with_capacity(1, &data[..]);
            let (mut a, mut b) = (HuffmanDecoder::new(), HuffmanDecoder::new());
            // Past the end too: both then read zero bits.
            let mut count = (seed % 16) as u8 + 1;
            for step in 0..(data.len() * 8 / 5 + 40) {
                let x = a.get_bits(&mut fast, count).unwrap();
                let y = b.get_bits(&mut slow, count).unwrap();
                assert_eq!(x, y, "seed {seed}, step {step}, {count} bits");
                count = count % 16 + 1;
            }
            assert_eq!(a.take_marker(&mut fast).unwrap(), Some(Marker::EOI), "seed {seed}");
            assert_eq!(b.take_marker(&mut slow).unwrap(), Some(Marker::EOI), "seed {seed}");
        }
    }
}
