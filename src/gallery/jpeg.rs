//! Reading a JPEG's size, so `<img>` tags reserve the right space before the image loads.

/// Width and height of a JPEG, read from its frame header, so `<img>` tags can reserve the
/// right space before the image loads.
pub fn jpeg_size(data: &[u8]) -> Option<(u16, u16)> {
    if data.get(..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut at = 2;
    loop {
        // Skip fill bytes before a marker.
        while *data.get(at)? == 0xFF && *data.get(at + 1)? == 0xFF {
            at += 1;
        }
        if *data.get(at)? != 0xFF {
            return None;
        }
        let marker = *data.get(at + 1)?;
        let length = usize::from(u16::from_be_bytes([*data.get(at + 2)?, *data.get(at + 3)?]));
        // SOF0..SOF15 carry the size, except DHT (C4), JPG (C8) and DAC (CC).
        if (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            let height = u16::from_be_bytes([*data.get(at + 5)?, *data.get(at + 6)?]);
            let width = u16::from_be_bytes([*data.get(at + 7)?, *data.get(at + 8)?]);
            return (width > 0 && height > 0).then_some((width, height));
        }
        if marker == 0xDA || length < 2 {
            return None; // image data starts before any frame header: not a usable JPEG
        }
        at += 2 + length;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_size_from_the_frame_header() {
        // SOI, an APP0 segment, a COM segment, then SOF0 for 320x240.
        let mut jpeg = vec![0xFF, 0xD8];
        jpeg.extend([0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00]);
        jpeg.extend([0xFF, 0xFE, 0x00, 0x05, b'h', b'i', b'!']);
        jpeg.extend([
            0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0xF0, 0x01, 0x40, 0x01, 0x01, 0x11, 0x00,
        ]);
        assert_eq!(jpeg_size(&jpeg), Some((320, 240)));
    }

    #[test]
    fn rejects_what_is_not_a_jpeg() {
        assert_eq!(jpeg_size(b""), None);
        assert_eq!(jpeg_size(b"<svg/>"), None);
        assert_eq!(jpeg_size(&[0xFF, 0xD8, 0xFF, 0xE0, 0x00]), None);
        assert_eq!(jpeg_size(&[0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02]), None);
    }
}

/// Property tests (issue 13): any bytes give a size or `None`, never a panic or a loop; the
/// size of a real JPEG is the one it was encoded with.
#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    use super::*;
    use crate::fuzzing::{config, mutated_bytes};

    /// A JPEG as the encoder writes it (SOI, APP0, tables, SOF0, scan), `width` × `height`.
    fn encoded(width: u16, height: u16) -> Vec<u8> {
        let pixels = vec![128u8; usize::from(width) * usize::from(height) * 3];
        let mut out = Vec::new();
        jpeg_encoder::Encoder::new(&mut out, 50)
            .encode(&pixels, width, height, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        out
    }

    /// SOI, some segments before the frame header (fill bytes, APPn, COM, DQT, DHT), SOF.
    fn headers() -> impl Strategy<Value = (Vec<u8>, u16, u16)> {
        let segment = (
            prop::sample::select(vec![0xE0u8, 0xE1, 0xEF, 0xFE, 0xDB, 0xC4, 0xDD]),
            prop::collection::vec(any::<u8>(), 0..40),
            0usize..3,
        );
        (
            prop::collection::vec(segment, 0..5),
            prop::sample::select(vec![0xC0u8, 0xC1, 0xC2, 0xC3, 0xC9, 0xCF]),
            1u16..,
            1u16..,
        )
            .prop_map(|(segments, sof, width, height)| {
                let mut jpeg = vec![0xFF, 0xD8];
                for (marker, body, fill) in segments {
                    jpeg.extend(std::iter::repeat_n(0xFF, fill));
                    jpeg.extend([0xFF, marker]);
                    jpeg.extend(u16::try_from(body.len() + 2).unwrap().to_be_bytes());
                    jpeg.extend(body);
                }
                jpeg.extend([0xFF, sof, 0x00, 0x0B, 0x08]);
                jpeg.extend(height.to_be_bytes());
                jpeg.extend(width.to_be_bytes());
                jpeg.extend([0x01, 0x01, 0x11, 0x00]);
                (jpeg, width, height)
            })
    }

    proptest! {
        #![proptest_config(config(256))]

        #[test]
        fn any_bytes_give_a_size_or_none(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            if let Some((width, height)) = jpeg_size(&bytes) {
                prop_assert!(width > 0 && height > 0);
            }
        }

        #[test]
        fn headers_give_their_size((jpeg, width, height) in headers()) {
            prop_assert_eq!(jpeg_size(&jpeg), Some((width, height)));
        }

        #[test]
        fn near_valid_headers_give_a_size_or_none(
            jpeg in mutated_bytes(headers().prop_map(|(jpeg, _, _)| jpeg))
        ) {
            let _ = jpeg_size(&jpeg);
        }
    }

    proptest! {
        // Encoding is the slow part: fewer cases.
        #![proptest_config(config(32))]

        #[test]
        fn encoded_jpegs_give_their_size(width in 1u16..48, height in 1u16..48) {
            prop_assert_eq!(jpeg_size(&encoded(width, height)), Some((width, height)));
        }

        #[test]
        fn near_valid_encoded_jpegs_give_a_size_or_none(
            jpeg in mutated_bytes((1u16..16, 1u16..16).prop_map(|(w, h)| encoded(w, h)))
        ) {
            let _ = jpeg_size(&jpeg);
        }
    }
}
