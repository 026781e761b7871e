//! A Prometheus range-query answer (any server the URL points at): the HTTP status from the first two bytes, the
//! body from the rest.
#![no_main]

use augur_runtime::sources::prometheus::parse_response;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((status, body)) = data.split_at_checked(2) else { return };
    let status = u16::from_le_bytes([status[0], status[1]]) % 600;
    let _ = parse_response(status, body);
});
