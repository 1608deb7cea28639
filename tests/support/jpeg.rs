//! Which frame an image is: the simulator names the camera and the exact millisecond of every
//! JPEG it serves in a comment segment, `een-sim esn=<esn> ts=<timestamp>`, so a test can prove
//! that the right frame arrived, not just some JPEG.

/// Start of image.
const SOI: [u8; 2] = [0xFF, 0xD8];
/// End of image.
const EOI: [u8; 2] = [0xFF, 0xD9];
/// The comment segment's marker.
const COM: u8 = 0xFE;
/// Start of scan: the entropy-coded data follows, and no header segment comes after it.
const SOS: u8 = 0xDA;

/// The text of the comment segment of a whole JPEG (from SOI to EOI), e.g.
/// `een-sim esn=1000f60d ts=20260101120000.000`.
///
/// `None` for anything else: bytes that are not a complete JPEG, a JPEG without a comment, or
/// a comment that is not UTF-8. The segments are walked from the start (JPEG's marker, then a
/// big-endian length that counts itself), so bytes that merely look like a marker inside
/// another segment are never mistaken for the comment.
pub fn comment(jpeg: &[u8]) -> Option<String> {
    if !jpeg.starts_with(&SOI) || !jpeg.ends_with(&EOI) {
        return None;
    }
    let mut at = SOI.len();
    loop {
        let [0xFF, marker, hi, lo] = *jpeg.get(at..at + 4)? else {
            return None;
        };
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        let payload = jpeg.get(at + 4..at + 2 + len)?;
        match marker {
            COM => return String::from_utf8(payload.to_vec()).ok(),
            SOS => return None,
            _ => at += 2 + len,
        }
    }
}
