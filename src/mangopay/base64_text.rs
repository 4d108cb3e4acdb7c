//! A Mangopay page's file, as its request carries it: standard base64 in a JSON string
//! (MANGOPAY.md §4 #14), whitespace allowed and padding optional. Measured before anything is
//! stored, then decoded a chunk at a time into the blob store.

use base64::Engine;
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use bytes::Bytes;

/// What each byte is to base64: one of its 64 characters, padding, whitespace, or neither.
#[derive(Clone, Copy, PartialEq)]
enum Class {
    Char,
    Pad,
    Space,
    Bad,
}

const CLASSES: [Class; 256] = {
    let mut classes = [Class::Bad; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        classes[b] = if c.is_ascii_alphanumeric() || c == b'+' || c == b'/' {
            Class::Char
        } else if c == b'=' {
            Class::Pad
        } else if c.is_ascii_whitespace() {
            Class::Space
        } else {
            Class::Bad
        };
        b += 1;
    }
    classes
};

/// How many bytes standard base64 (whitespace allowed, padding optional) decodes to, or
/// `None` when it is not base64. A page is some 136 KB of it (up to 10 MB): the characters
/// before the padding are classed in one pass without branches (`classes`), then the padding
/// checked.
pub(super) fn decoded_len(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    let pad_at = memchr::memchr(b'=', bytes).unwrap_or(bytes.len());
    let (body, tail) = bytes.split_at(pad_at);
    let (bad, spaces) = classes(body);
    let mut padding = 0u64;
    for &b in tail {
        match CLASSES[usize::from(b)] {
            Class::Pad => padding += 1,
            Class::Space => {}
            Class::Char | Class::Bad => return None,
        }
    }
    let chars = body.len() as u64 - spaces;
    if bad || padding > 2 || chars % 4 == 1 || (padding > 0 && (chars + padding) % 4 != 0) {
        return None;
    }
    Some(chars * 3 / 4)
}

/// Whether `body` holds a byte that is neither a base64 character nor whitespace, and how many
/// whitespace bytes it holds: the `CLASSES` of every byte, worked out by comparisons rather
/// than looked up, a block of bytes at a time into byte-wide counters, which the compiler
/// turns into vector instructions (a table lookup per byte ran at about 2.5 cycles a byte, the
/// largest single item of a Mangopay page upload's profile).
fn classes(body: &[u8]) -> (bool, u64) {
    let (mut bad, mut spaces) = (0u8, 0u64);
    // At most 255 bytes a block, so that a byte-wide count cannot overflow.
    for block in body.chunks(240) {
        let mut block_spaces = 0u8;
        for &b in block {
            let letter = (b | 0x20).wrapping_sub(b'a') < 26;
            let digit = b.wrapping_sub(b'0') < 10;
            let symbol = (b == b'+') | (b == b'/');
            let space = (b == b' ') | (b == b'\t') | (b == b'\n') | (b == 0x0c) | (b == b'\r');
            bad |= u8::from(!(letter | digit | symbol | space));
            block_spaces += u8::from(space);
        }
        spaces += u64::from(block_spaces);
    }
    (bad != 0, spaces)
}

pub(super) const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Characters decoded at a time: a multiple of 4, so that every chunk but the last decodes
/// alone, into about 48 KiB.
const CHUNK_CHARS: usize = 64 * 1024;

/// The decoded bytes of valid base64 (`decoded_len` said so), in chunks of about 48 KiB,
/// decoded as they are asked for. Base64 without whitespace, as clients send it, is decoded
/// where it lies; lines are joined a chunk at a time.
pub(super) fn decoded_chunks(
    text: &str,
) -> impl Iterator<Item = Result<Bytes, base64::DecodeError>> + '_ {
    let mut lines = text
        .split_ascii_whitespace()
        .map(|line| line.trim_end_matches('=').as_bytes());
    let mut line: &[u8] = &[];
    let mut joined: Vec<u8> = Vec::new();
    let decode = |chars: &[u8]| LENIENT.decode(chars).map(Bytes::from);
    std::iter::from_fn(move || {
        loop {
            if joined.is_empty() && line.len() >= CHUNK_CHARS {
                let (chunk, rest) = line.split_at(CHUNK_CHARS);
                line = rest;
                return Some(decode(chunk));
            }
            let wanted = CHUNK_CHARS - joined.len();
            if line.len() >= wanted {
                joined.extend_from_slice(&line[..wanted]);
                line = &line[wanted..];
                let chunk = decode(&joined);
                joined.clear();
                return Some(chunk);
            }
            joined.extend_from_slice(line);
            match lines.next() {
                Some(next) => line = next,
                None if joined.is_empty() => return None,
                None => {
                    line = &[];
                    let chunk = decode(&joined);
                    joined.clear();
                    return Some(chunk);
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_lengths_tolerate_whitespace_and_missing_padding() {
        assert_eq!(decoded_len("QUJD"), Some(3));
        assert_eq!(decoded_len("QU JD\nRA=="), Some(4));
        assert_eq!(decoded_len("QUJDRA"), Some(4));
        assert_eq!(decoded_len("QUJDRA== \n"), Some(4));
        assert_eq!(decoded_len(""), Some(0));
        for bad in [
            "QUJ*",
            "Q",
            "QU=D",
            "QUJDR===",
            "QUJDRA=",
            "QU\u{e9}D",
            "QUJD=RA==",
        ] {
            assert_eq!(decoded_len(bad), None, "{bad}");
        }
    }

    #[test]
    fn classes_by_comparison_are_the_tables_for_every_byte_anywhere_in_a_block() {
        for b in 0..=255u8 {
            let class = CLASSES[usize::from(b)];
            if class == Class::Pad {
                // Never in a body: the body ends at the first '='.
                continue;
            }
            for (len, at) in [(1, 0), (239, 238), (240, 17), (241, 240), (1000, 481)] {
                let mut body = vec![b'A'; len];
                body[at] = b;
                let (bad, spaces) = classes(&body);
                assert_eq!(bad, class == Class::Bad, "byte {b:#04x} at {at} of {len}");
                assert_eq!(
                    spaces,
                    u64::from(class == Class::Space),
                    "byte {b:#04x} at {at} of {len}"
                );
            }
        }
        let spaced: Vec<u8> = (0..100_000)
            .map(|i| if i % 7 == 0 { b'\n' } else { b'Q' })
            .collect();
        assert_eq!(classes(&spaced), (false, 14_286));
    }

    #[test]
    fn chunks_decode_to_the_bytes() {
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let text = base64::engine::general_purpose::STANDARD.encode(&bytes);
        let spaced: String = text
            .as_bytes()
            .chunks(76)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join("\n");
        let decoded: Vec<u8> = decoded_chunks(&spaced)
            .map(|c| c.unwrap())
            .flat_map(|b| b.to_vec())
            .collect();
        assert_eq!(decoded, bytes);
        // The same without whitespace, decoded in place, and with lines shorter than a chunk
        // and longer, padding at the end or none.
        for text in [text.clone(), text.trim_end_matches('=').to_owned()] {
            let decoded: Vec<u8> = decoded_chunks(&text)
                .map(|c| c.unwrap())
                .flat_map(|b| b.to_vec())
                .collect();
            assert_eq!(decoded, bytes);
        }
        let long_lines = format!("{}\r\n {}", &text[..100_000], &text[100_000..]);
        let decoded: Vec<u8> = decoded_chunks(&long_lines)
            .map(|c| c.unwrap())
            .flat_map(|b| b.to_vec())
            .collect();
        assert_eq!(decoded, bytes);
        assert!(decoded_chunks("").next().is_none());
    }
}
