//! The few DER encodings the certificate extensions need. rcgen writes the
//! certificate skeleton; the extensions are handed to it pre-encoded so that
//! their order and criticality are exactly those of Go's `x509.CreateCertificate`.

pub(crate) const TAG_INTEGER: u8 = 0x02;
pub(crate) const TAG_BIT_STRING: u8 = 0x03;
pub(crate) const TAG_OCTET_STRING: u8 = 0x04;
pub(crate) const TAG_OID: u8 = 0x06;
pub(crate) const TAG_SEQUENCE: u8 = 0x30;
pub(crate) const TAG_BOOLEAN: u8 = 0x01;

/// Tag-length-value with a definite DER length.
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 4);
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

pub(crate) fn sequence(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(TAG_SEQUENCE, &parts.concat())
}

/// An object identifier from its arcs (first two arcs combined as X.690 requires).
pub(crate) fn oid(arcs: &[u64]) -> Vec<u8> {
    let mut body = Vec::new();
    let mut push_arc = |mut v: u64| {
        let mut chunk = vec![(v & 0x7f) as u8];
        v >>= 7;
        while v > 0 {
            chunk.push(0x80 | (v & 0x7f) as u8);
            v >>= 7;
        }
        chunk.reverse();
        body.extend_from_slice(&chunk);
    };
    push_arc(arcs[0] * 40 + arcs[1]);
    for &arc in &arcs[2..] {
        push_arc(arc);
    }
    tlv(TAG_OID, &body)
}

/// A non-negative INTEGER from big-endian magnitude bytes (leading zeros stripped,
/// a zero byte prepended when the high bit is set).
pub(crate) fn unsigned_integer(magnitude: &[u8]) -> Vec<u8> {
    let start = magnitude.iter().take_while(|b| **b == 0).count();
    let mut body = Vec::with_capacity(magnitude.len() + 1);
    match magnitude.get(start) {
        None => body.push(0),
        Some(first) => {
            if first & 0x80 != 0 {
                body.push(0);
            }
            body.extend_from_slice(&magnitude[start..]);
        }
    }
    tlv(TAG_INTEGER, &body)
}

/// Splits one TLV off the front of `input`: (tag, content, rest).
pub(crate) fn read_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | *b as usize);
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// PEM with 64-character lines and LF endings, as Go's `pem.Encode`.
pub(crate) fn pem_encode(label: &str, data: &[u8]) -> String {
    let body = crate::encoding::base64(data);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("ascii"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_oids_and_integers_like_der() {
        assert_eq!(oid(&[2, 5, 29, 15]), vec![0x06, 0x03, 0x55, 0x1d, 0x0f]);
        assert_eq!(
            oid(&[1, 3, 6, 1, 5, 5, 7, 3, 2]),
            vec![0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02]
        );
        assert_eq!(unsigned_integer(&[0, 0, 0x7f]), vec![0x02, 0x01, 0x7f]);
        assert_eq!(unsigned_integer(&[0x80]), vec![0x02, 0x02, 0x00, 0x80]);
        assert_eq!(unsigned_integer(&[0, 0]), vec![0x02, 0x01, 0x00]);
        let long = tlv(0x04, &[7u8; 200]);
        assert_eq!(&long[..3], &[0x04, 0x81, 200]);
        let (tag, content, rest) = read_tlv(&long).unwrap();
        assert_eq!((tag, content.len(), rest.len()), (0x04, 200, 0));
    }

    #[test]
    fn pem_lines() {
        assert_eq!(
            pem_encode("X", b"foo"),
            "-----BEGIN X-----\nZm9v\n-----END X-----\n"
        );
    }
}
