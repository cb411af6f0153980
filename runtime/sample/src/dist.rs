//! A seed → a portable random stream and the few distributions the generator draws from
//! (uniform, Bernoulli, Poisson, Pareto, weighted choice).
//!
//! The generator owns its PRNG (SplitMix64) instead of borrowing one whose output may change
//! between library versions: the same seed must give the same lake on every build.

/// SplitMix64's finaliser: a bijection on `u64` that scrambles its input well.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A SplitMix64 stream.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A stream for one purpose (`stream`) of one seed; streams of different purposes are
    /// independent, so adding draws to one never shifts another.
    pub fn new(seed: u64, stream: u64) -> Self {
        Rng {
            state: mix(seed ^ mix(stream.wrapping_mul(0x2545_f491_4f6c_dd1d))),
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [0, n); 0 when n is 0.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform index into a slice of length `n` (which must not be empty to be meaningful).
    pub fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Pareto with scale `xm` and shape `alpha`, capped at `cap`: heavy-tailed sizes.
    pub fn pareto(&mut self, xm: f64, alpha: f64, cap: f64) -> f64 {
        let u = 1.0 - self.unit(); // (0, 1]
        (xm * u.powf(-1.0 / alpha)).min(cap)
    }

    /// Exponential with the given mean.
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.unit()).ln()
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit();
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Poisson with mean `lambda`: Knuth's product method for small means, a rounded normal
    /// for large ones.
    pub fn poisson(&mut self, lambda: f64) -> u32 {
        if lambda <= 0.0 {
            return 0;
        }
        if lambda < 30.0 {
            let limit = (-lambda).exp();
            let mut k = 0u32;
            let mut p = self.unit();
            while p > limit {
                k += 1;
                p *= self.unit();
            }
            k
        } else {
            (lambda + lambda.sqrt() * self.normal()).round().max(0.0) as u32
        }
    }

    /// An index drawn with probability proportional to `weights` (cumulative, ascending).
    pub fn weighted(&mut self, cumulative: &[f64]) -> usize {
        let total = cumulative.last().copied().unwrap_or(0.0);
        let x = self.unit() * total;
        cumulative
            .partition_point(|&c| c <= x)
            .min(cumulative.len().saturating_sub(1))
    }
}

/// Running sums of `weights`, for `Rng::weighted`.
pub fn cumulative(weights: &[f64]) -> Vec<f64> {
    let mut sum = 0.0;
    weights
        .iter()
        .map(|w| {
            sum += w;
            sum
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| Rng::new(1, 2).next_u64()).collect();
        assert!(a.iter().all(|&x| x == a[0]));
        assert_ne!(Rng::new(1, 2).next_u64(), Rng::new(1, 3).next_u64());
    }

    #[test]
    fn poisson_has_its_mean() {
        let mut rng = Rng::new(7, 0);
        for lambda in [0.3, 4.0, 50.0] {
            let n = 20_000;
            let sum: u64 = (0..n).map(|_| u64::from(rng.poisson(lambda))).sum();
            let mean = sum as f64 / n as f64;
            assert!(
                (mean - lambda).abs() < lambda * 0.05 + 0.02,
                "{lambda}: {mean}"
            );
        }
    }

    #[test]
    fn weighted_follows_the_weights() {
        let mut rng = Rng::new(3, 0);
        let cum = cumulative(&[1.0, 0.0, 3.0]);
        let mut counts = [0u32; 3];
        for _ in 0..8000 {
            counts[rng.weighted(&cum)] += 1;
        }
        assert_eq!(counts[1], 0);
        assert!(counts[2] > counts[0] * 2);
    }
}
