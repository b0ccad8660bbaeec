//! The check the image targets share: inspect and scrub never panic, and what scrub
//! writes scrubs to itself (nothing left to remove, byte for byte the same).

pub fn scrubs_to_a_fixed_point(input: &[u8]) {
    let _ = postern_scrub::inspect_bytes(input);
    if let Ok((out, _)) = postern_scrub::scrub_bytes(input) {
        let (again, second) = postern_scrub::scrub_bytes(&out).expect("cleaned output scrubs again");
        assert_eq!(again, out);
        assert!(second.removed.is_empty());
    }
}
