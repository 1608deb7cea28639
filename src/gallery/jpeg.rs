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
