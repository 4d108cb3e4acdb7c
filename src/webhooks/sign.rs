//! Webhook signatures. One key (32 random bytes, shown to the merchant in base64) drives both
//! header sets: Omise's (`Omise-Signature`: lowercase hex HMAC-SHA256 of `<timestamp>.<body>`,
//! comma-separated during a rotation) and Standard Webhooks' (`webhook-signature`:
//! `v1,<base64 HMAC-SHA256 of <id>.<timestamp>.<body>>`, space-separated).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

fn mac(secret: &str, parts: &[&[u8]]) -> Option<Vec<u8>> {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes keys of any length");
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            mac.update(b".");
        }
        mac.update(part);
    }
    Some(mac.finalize().into_bytes().to_vec())
}

/// `Omise-Signature`: one hex signature per key, comma-separated.
pub fn omise(secrets: &[&str], timestamp: i64, body: &str) -> String {
    let ts = timestamp.to_string();
    secrets
        .iter()
        .filter_map(|s| mac(s, &[ts.as_bytes(), body.as_bytes()]))
        .map(hex::encode)
        .collect::<Vec<_>>()
        .join(",")
}

/// `webhook-signature`: `v1,<base64>` per key, space-separated.
pub fn standard(secrets: &[&str], id: &str, timestamp: i64, body: &str) -> String {
    let ts = timestamp.to_string();
    secrets
        .iter()
        .filter_map(|s| mac(s, &[id.as_bytes(), ts.as_bytes(), body.as_bytes()]))
        .map(|m| format!("v1,{}", STANDARD.encode(m)))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn omise_signature_matches_the_vector() {
        // Computed independently (EVENTS.md §2.2): key bytes 0x00..0x1f.
        let secret = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        let body =
            r#"{"object":"event","id":"evnt_test_000000000000000000a","key":"dispute.create"}"#;
        assert_eq!(
            omise(&[secret], 1_700_000_000, body),
            "c074acde86d90939802d89a843873c2c245712541e423f86f649d00dbcbd9298"
        );
    }

    #[test]
    fn standard_signature_matches_the_reference_library() {
        let secret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
        let body = r#"{"email":"test@example.com","username":"test_user"}"#;
        assert_eq!(
            standard(
                &[secret],
                "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
                1_649_367_553,
                body
            ),
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
        );
    }

    #[test]
    fn during_a_rotation_both_keys_sign() {
        let (a, b) = (STANDARD.encode([1u8; 32]), STANDARD.encode([2u8; 32]));
        let both = omise(&[&a, &b], 1, "{}");
        let parts: Vec<_> = both.split(',').collect();
        assert_eq!(parts, [omise(&[&a], 1, "{}"), omise(&[&b], 1, "{}")]);
        assert_eq!(standard(&[&a, &b], "x", 1, "{}").split(' ').count(), 2);
    }
}
