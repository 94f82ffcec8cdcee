//! Bounds-checked integer and slice reads shared by the format readers. Each returns `None` when
//! the requested range leaves the buffer, so callers turn that into an error with context.

/// `data[start..start + len]`, or `None` if any part is outside `data` (overflow included).
pub(crate) fn slice(data: &[u8], start: u64, len: u64) -> Option<&[u8]> {
    let start = usize::try_from(start).ok()?;
    let len = usize::try_from(len).ok()?;
    let end = start.checked_add(len)?;
    data.get(start..end)
}

fn array<const N: usize>(data: &[u8], at: u64) -> Option<[u8; N]> {
    let s = slice(data, at, N as u64)?;
    let mut out = [0u8; N];
    out.copy_from_slice(s);
    Some(out)
}

pub(crate) fn u16_le(data: &[u8], at: u64) -> Option<u16> {
    array(data, at).map(u16::from_le_bytes)
}

pub(crate) fn u16_be(data: &[u8], at: u64) -> Option<u16> {
    array(data, at).map(u16::from_be_bytes)
}

pub(crate) fn u32_le(data: &[u8], at: u64) -> Option<u32> {
    array(data, at).map(u32::from_le_bytes)
}

pub(crate) fn u32_be(data: &[u8], at: u64) -> Option<u32> {
    array(data, at).map(u32::from_be_bytes)
}

pub(crate) fn u64_be(data: &[u8], at: u64) -> Option<u64> {
    array(data, at).map(u64::from_be_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stay_in_bounds() {
        let d = [1u8, 2, 3, 4, 5];
        assert_eq!(u32_le(&d, 0), Some(0x04030201));
        assert_eq!(u32_be(&d, 1), Some(0x02030405));
        assert_eq!(u32_le(&d, 2), None);
        assert_eq!(u16_be(&d, 3), Some(0x0405));
        assert_eq!(u16_le(&d, 4), None);
        assert_eq!(slice(&d, u64::MAX, 2), None);
        assert_eq!(slice(&d, 2, u64::MAX), None);
        assert_eq!(slice(&d, 5, 0), Some(&[][..]));
        assert_eq!(u64_be(&d, 0), None);
    }
}
