//! Exposure: daylight from the camera's local time, night-mode desaturation and sensor noise.

use std::f32::consts::TAU;

use jiff::ZonedDateTime;

use super::canvas::{Canvas, smoothstep};

/// How a frame is exposed at its local time.
pub(crate) struct Light {
    /// Daylight outside, 0 (night) to 1 (day).
    pub(crate) sun: f32,
    /// How strongly night lights (lamps, lit windows, signs) glow, 0 to 1.
    pub(crate) night: f32,
    /// Overall brightness factor.
    pub(crate) gain: f32,
    /// Colour saturation: 0 is the monochrome look of a camera in night (IR) mode.
    pub(crate) saturation: f32,
    /// Sensor noise amplitude (higher at night, when the sensor gain is up).
    pub(crate) noise: u8,
}

/// Daylight from the local time of day and season (sunrise and sunset of mid latitudes).
pub(crate) fn daylight(local: &ZonedDateTime) -> f32 {
    let hour = f32::from(local.hour())
        + f32::from(local.minute()) / 60.0
        + f32::from(local.second()) / 3600.0;
    let day_len = 12.0 + 2.5 * ((f32::from(local.day_of_year()) - 172.0) / 365.25 * TAU).cos();
    let (rise, set) = (12.5 - day_len / 2.0, 12.5 + day_len / 2.0);
    smoothstep(rise - 0.6, rise + 0.6, hour) * (1.0 - smoothstep(set - 0.6, set + 0.6, hour))
}

/// Applies exposure, night-mode desaturation and sensor noise to every pixel.
///
/// This runs over every pixel of every new frame, so it works from tables: gain per channel
/// value, and noise per random byte (a triangular spread, the same on all three channels).
pub(crate) fn expose(canvas: &mut Canvas, light: &Light, seed: u64) {
    let gain: [i16; 256] =
        std::array::from_fn(|v| (v as f32 * light.gain).round().clamp(0.0, 255.0) as i16);
    let amp = i32::from(light.noise);
    let noise: [i16; 256] =
        std::array::from_fn(|b| (((b as i32 & 15) + (b as i32 >> 4) - 15) * amp / 8) as i16);
    let sat = (light.saturation.clamp(0.0, 1.0) * 256.0) as i32;
    let out = |v: i16, n: i16| (v + n).clamp(0, 255) as u8;
    let mut state = seed | 1;
    for chunk in canvas.px.chunks_mut(8) {
        // xorshift64: one step gives the noise bytes of eight pixels.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        for (p, b) in chunk.iter_mut().zip(state.to_le_bytes()) {
            let n = noise[usize::from(b)];
            *p = match sat {
                256 => p.map(|c| out(gain[usize::from(c)], n)),
                0 => {
                    let y =
                        (77 * u32::from(p[0]) + 150 * u32::from(p[1]) + 29 * u32::from(p[2])) >> 8;
                    [out(gain[y as usize], n); 3]
                }
                _ => {
                    let [r, g, bl] = p.map(i32::from);
                    let y = (77 * r + 150 * g + 29 * bl) >> 8;
                    [r, g, bl].map(|c| {
                        let c = (y + (((c - y) * sat) >> 8)).clamp(0, 255);
                        out(gain[c as usize], n)
                    })
                }
            };
        }
    }
}
