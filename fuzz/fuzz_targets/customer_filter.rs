//! The `filter` query parameter of customer lists: any input is refused or parsed into a
//! value the store can use (1 to 256 characters, lower-cased), never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use partnerhub::domain::customer::{parse_filter, CustomerFilter};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(f) = parse_filter(text) {
        let v = match f {
            CustomerFilter::CompanyName(v)
            | CustomerFilter::Domain(v)
            | CustomerFilter::IndirectReseller(v)
            | CustomerFilter::IndirectCloudSolutionProvider(v) => v,
        };
        assert!(!v.is_empty());
        assert_eq!(v, v.to_lowercase());
    }
});
