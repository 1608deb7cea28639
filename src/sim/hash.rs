//! The one stable hash behind every deterministic choice of the simulator: ESNs, GUIDs and
//! addresses of the demo account, frame timelines, scene layouts and sensor noise.
//!
//! It is FNV-1a over bytes and SplitMix64's mixing, written out here because `std`'s
//! `DefaultHasher` may change between Rust versions and runs, and the demo account and every
//! frame must not. Two compositions exist, [`hash_str`] and [`hash_str_seeded`]: the account and
//! timelines were built on the first, the scenes on the second, and both must stay as they are
//! so that ESNs and frames stay bit for bit the same (`sim::golden` pins them).

/// SplitMix64's increment (the golden ratio in 64 bits).
pub(crate) const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

const FNV_OFFSET_BASIS: u64 = 0xCBF2_9CE4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01B3;

/// SplitMix64's finaliser: a strong 64-bit mix of `z`.
pub(crate) fn finalize(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One SplitMix64 step from state `x`: the increment, then the finaliser.
pub(crate) fn mix(x: u64) -> u64 {
    finalize(x.wrapping_add(GAMMA))
}

/// FNV-1a of `bytes`, starting from the offset basis xor `seed`.
pub(crate) fn fnv1a(seed: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(FNV_OFFSET_BASIS ^ seed, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(FNV_PRIME)
    })
}

/// A stable hash of a string: FNV-1a, then one SplitMix64 step (the demo account, timelines).
pub(crate) fn hash_str(s: &str) -> u64 {
    mix(fnv1a(0, s.as_bytes()))
}

/// A stable hash of a string under `seed`: FNV-1a from the seeded basis, then the finaliser
/// (scene seeds).
pub(crate) fn hash_str_seeded(seed: u64, s: &str) -> u64 {
    finalize(fnv1a(seed, s.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_do_not_move() {
        // FNV-1a's published test vector, and SplitMix64's first output from state 0.
        assert_eq!(fnv1a(0, b"a"), 0xAF63_DC4C_8601_EC8C);
        assert_eq!(mix(0), 0xE220_A839_7B1D_CDAF);
        assert_eq!(hash_str(""), mix(FNV_OFFSET_BASIS));
        assert_eq!(hash_str_seeded(0, ""), finalize(FNV_OFFSET_BASIS));
        assert_ne!(
            hash_str_seeded(1, "1000abcd"),
            hash_str_seeded(0, "1000abcd")
        );
    }
}
