//! What a run costs on Athena: the DML queries it makes and the bytes they scan, priced as
//! Athena prices them: $5 per TB scanned (10^12 bytes), each query rounded up to the next
//! megabyte (10^6 bytes) with a 10 MB minimum; DDL and failed queries are not billed.
//! The bytes are an upper bound: whole files, before Parquet's column pruning.

use serde::{Deserialize, Serialize};

pub const DOLLARS_PER_TB: f64 = 5.0;
pub const TB: u64 = 1_000_000_000_000;
pub const MB: u64 = 1_000_000;
pub const MIN_BILLED_BYTES: u64 = 10 * MB;

/// The Athena bill of some DML queries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub queries: u64,
    /// Bytes of the files the queries read, whole.
    pub bytes: u64,
    /// Bytes billed: each query's rounded up to a megabyte, at least 10 MB.
    pub billed_bytes: u64,
    pub dollars: f64,
}

impl Estimate {
    /// One DML query reading `bytes`.
    pub fn query(bytes: u64) -> Estimate {
        let billed = bytes.div_ceil(MB).saturating_mul(MB).max(MIN_BILLED_BYTES);
        Estimate {
            queries: 1,
            bytes,
            billed_bytes: billed,
            dollars: billed as f64 / TB as f64 * DOLLARS_PER_TB,
        }
    }

    /// `On Athena: 32 DML queries scanning at most 169.5 MB (357.0 MB billed): $0.0018.`
    pub fn sentence(&self) -> String {
        format!(
            "On Athena: {} DML queries scanning at most {} ({} billed): ${:.4}.",
            self.queries,
            bytes_text(self.bytes),
            bytes_text(self.billed_bytes),
            self.dollars
        )
    }
}

impl std::ops::Add for Estimate {
    type Output = Estimate;

    fn add(self, other: Estimate) -> Estimate {
        Estimate {
            queries: self.queries + other.queries,
            bytes: self.bytes + other.bytes,
            billed_bytes: self.billed_bytes + other.billed_bytes,
            dollars: self.dollars + other.dollars,
        }
    }
}

impl std::iter::Sum for Estimate {
    fn sum<I: Iterator<Item = Estimate>>(iter: I) -> Estimate {
        iter.fold(Estimate::default(), |a, b| a + b)
    }
}

/// `1.2 GB`, `340 kB`: decimal units, as Athena bills.
pub fn bytes_text(bytes: u64) -> String {
    let units = [(TB, "TB"), (1_000_000_000, "GB"), (MB, "MB"), (1_000, "kB")];
    for (size, unit) in units {
        if bytes >= size {
            return format!("{:.1} {unit}", bytes as f64 / size as f64);
        }
    }
    format!("{bytes} B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_queries_pay_the_minimum_and_big_ones_round_up_to_a_megabyte() {
        assert_eq!(Estimate::query(0).billed_bytes, 10 * MB);
        assert_eq!(Estimate::query(10 * MB + 1).billed_bytes, 11 * MB);
        let year = Estimate::query(TB);
        assert!((year.dollars - 5.0).abs() < 1e-9);
        let both: Estimate = [Estimate::query(1), Estimate::query(TB)].into_iter().sum();
        assert_eq!(both.queries, 2);
        assert_eq!(both.billed_bytes, TB + 10 * MB);
        assert_eq!(bytes_text(1_234_567), "1.2 MB");
    }
}
