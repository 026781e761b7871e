//! A CSV file given to `augur try`, `augur simulate` or a benchmark: every row read through the shared parser.
#![no_main]

use augur_runtime::decode::MetricRows;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut rows = MetricRows::new(data, "file");
    while let Ok(Some(_)) = rows.next_row() {}
});
