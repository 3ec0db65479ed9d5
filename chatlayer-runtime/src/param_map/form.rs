//! Form data (`a=1&b=2`), in the query string or a body: percent-decoded, then read in the
//! charset the request names (UTF-8 unless it says otherwise), a repeated name collecting its
//! values into an array so that nothing sent is lost.

use encoding_rs::Encoding;
use percent_encoding::percent_decode;
use serde_json::{Map, Value};

/// Decodes `bytes` as form data in `charset` (UTF-8 when `None`).
pub(super) fn decode(bytes: &[u8], charset: Option<&'static Encoding>) -> Map<String, Value> {
    let mut map = Map::new();
    for pair in bytes
        .split(|byte| *byte == b'&')
        .filter(|pair| !pair.is_empty())
    {
        let (name, value) = match pair.iter().position(|byte| *byte == b'=') {
            Some(equals) => (&pair[..equals], &pair[equals + 1..]),
            None => (pair, &pair[pair.len()..]),
        };
        let name = text(name, charset);
        let value = Value::String(text(value, charset));
        match map.get_mut(&name) {
            None => {
                map.insert(name, value);
            }
            Some(Value::Array(values)) => values.push(value),
            Some(first) => {
                let first = first.take();
                map.insert(name, Value::Array(vec![first, value]));
            }
        }
    }
    map
}

/// One name or value: `+` is a space, `%XX` a byte, and the bytes are text in `charset`
/// (malformed sequences become U+FFFD).
fn text(raw: &[u8], charset: Option<&'static Encoding>) -> String {
    let spaced: Vec<u8> = raw
        .iter()
        .map(|byte| if *byte == b'+' { b' ' } else { *byte })
        .collect();
    let bytes: Vec<u8> = percent_decode(&spaced).collect();
    match charset {
        None => String::from_utf8_lossy(&bytes).into_owned(),
        Some(encoding) => encoding.decode_without_bom_handling(&bytes).0.into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_pairs_spaces_repeats_and_charsets() {
        let map = decode(b"sku=A%201&tag=a&tag=b&empty=&flag&name=Ren%C3%A9+L", None);
        assert_eq!(
            Value::Object(map),
            json!({ "sku": "A 1", "tag": ["a", "b"], "empty": "", "flag": "", "name": "René L" })
        );
        let latin1 = Encoding::for_label(b"latin1");
        assert_eq!(decode(b"name=Ren%E9", latin1)["name"], "René");
        assert_eq!(decode(b"name=Ren%E9", None)["name"], "Ren\u{fffd}");
    }
}
