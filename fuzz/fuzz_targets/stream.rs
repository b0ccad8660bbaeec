//! The source interface's streaming scrubber: any bytes, in pieces of any size,
//! never panic; pieces do not change the result.
#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use postern_scrub::StreamScrubber;

fuzz_target!(|data: &[u8]| {
    let Some((&piece, data)) = data.split_first() else { return };
    let run = |size: usize| {
        let mut s = StreamScrubber::new(Vec::new());
        for chunk in data.chunks(size.max(1)) {
            s.write_all(chunk).expect("writing to memory");
        }
        s.finish().expect("finishing into memory")
    };
    let (a, outcome_a) = run(usize::from(piece));
    let (b, outcome_b) = run(data.len());
    assert_eq!(a, b);
    assert_eq!(outcome_a, outcome_b);
});
