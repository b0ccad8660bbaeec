//! Any JSON value written as SecureDrop Inbox's `computeVersion` writes it before
//! hashing: `JSON.stringify` with every object's keys sorted. Records are written
//! straight from their types (see the crate root); this is for values of any shape —
//! test vectors, and checking that those types do sort their keys.

use serde_json::Value;

/// `value` as JavaScript writes it after sorting every object's keys: keys that are
/// array indices first, in numeric order (JavaScript's own property order), then the
/// rest by UTF-16 code unit; strings escaped as `JSON.stringify` escapes them (which
/// is serde_json's escaping: `\"`, `\\`, `\b \f \n \r \t`, other controls as `\u00xx`,
/// everything else as it is).
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write(value, &mut out);
    out
}

fn write(value: &Value, out: &mut String) {
    match value {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| js_key_order(a, b));
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write(&map[key], out);
            }
            out.push('}');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// An array index as JavaScript defines one: a canonical decimal below 2³² − 1.
fn array_index(key: &str) -> Option<u32> {
    let canonical = key == "0" || (!key.starts_with('0') && key.bytes().all(|b| b.is_ascii_digit()));
    key.parse::<u32>().ok().filter(|&n| canonical && n != u32::MAX)
}

fn js_key_order(a: &str, b: &str) -> std::cmp::Ordering {
    match (array_index(a), array_index(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.encode_utf16().cmp(b.encode_utf16()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(text: &str) -> String {
        canonical_json(&serde_json::from_str(text).unwrap())
    }

    #[test]
    fn keys_sort_at_every_depth_and_arrays_keep_their_order() {
        assert_eq!(
            canon(r#"{"b":[{"z":1,"a":null}],"a":{"y":true,"x":"s"}}"#),
            r#"{"a":{"x":"s","y":true},"b":[{"a":null,"z":1}]}"#
        );
    }

    #[test]
    fn strings_are_escaped_as_javascript_escapes_them() {
        // What `JSON.stringify("\"\\\b\f\n\r\t\u0001\u007f/é\u2028😀")` prints in Node.
        let text = "\"\\\u{8}\u{c}\n\r\t\u{1}\u{7f}/é\u{2028}😀";
        assert_eq!(canonical_json(&Value::String(text.into())), "\"\\\"\\\\\\b\\f\\n\\r\\t\\u0001\u{7f}/é\u{2028}😀\"");
    }

    #[test]
    fn index_keys_come_first_then_utf16_order() {
        assert_eq!(canon(r#"{"b":1,"10":2,"2":3,"01":4,"a":5}"#), r#"{"2":3,"10":2,"01":4,"a":5,"b":1}"#);
        // By UTF-8 bytes U+FF5E sorts before U+1F600; by UTF-16 code unit (a surrogate,
        // D83D) the emoji comes first, as in JavaScript.
        assert_eq!(canon(r#"{"～":2,"😀":1}"#), r#"{"😀":1,"～":2}"#);
    }
}
