//! Random secrets and comparing them: setup tokens, flow bindings, session ids, form tokens.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngExt as _;
use secrecy::SecretString;

/// Random bytes in a token or cookie binding.
const SECRET_BYTES: usize = 32;

/// A fresh random secret: [`SECRET_BYTES`] bytes from the thread's CSPRNG (seeded by the
/// operating system), URL-safe base64 without padding, so it fits URLs, forms and cookies
/// unescaped.
pub fn random_secret() -> SecretString {
    let bytes: [u8; SECRET_BYTES] = rand::rng().random();
    SecretString::from(URL_SAFE_NO_PAD.encode(bytes))
}

/// Whether `presented` is `expected`, looking at every byte either way: the time taken says
/// nothing about how much of a guess was right. (The length is no secret: it is fixed.)
pub fn same_secret(presented: &str, expected: &str) -> bool {
    let (a, b) = (presented.as_bytes(), expected.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret as _;

    use super::*;

    #[test]
    fn secrets_are_32_random_bytes_in_url_safe_base64() {
        let a = random_secret();
        let b = random_secret();
        assert_ne!(a.expose_secret(), b.expose_secret());
        let bytes = URL_SAFE_NO_PAD.decode(a.expose_secret()).unwrap();
        assert_eq!(bytes.len(), SECRET_BYTES);
        assert!(
            a.expose_secret()
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
    }

    #[test]
    fn only_the_exact_secret_matches() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abd", "abc"));
        assert!(!same_secret("ab", "abc"));
        assert!(!same_secret("abcd", "abc"));
        assert!(!same_secret("", "abc"));
    }
}
