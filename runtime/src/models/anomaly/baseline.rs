//! A candidate explanation of a series: a slow level, a fast level and, for seasonal candidates, an additive
//! offset per phase bucket of the period (e.g. 288 five-minute buckets of a day).

/// One baseline model of a series.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Baseline {
    /// Period in milliseconds (0: no season).
    period: i64,
    /// Offset per phase bucket; NaN until the bucket is first visited. `f32`: offsets need no more precision, and
    /// halving them keeps thousands of series' state in cache.
    offsets: Box<[f32]>,
    /// Visits per phase bucket (saturating): a young bucket's offset is one noisy sample, so scoring shrinks it
    /// toward its neighbours until it has been seen a few times.
    visits: Box<[u8]>,
    /// Slow level.
    pub slow: f64,
    /// Fast level.
    pub fast: f64,
    /// Mean absolute residual against the slow level (+ offset).
    pub slow_scale: f64,
    /// Mean absolute residual against the fast level (+ offset).
    pub fast_scale: f64,
    /// Mean clipped absolute error, for choosing the best baseline.
    pub error: f64,
    points: u64,
    /// Time (ms) of the first point.
    start: i64,
}

/// Learning rates and clips of a baseline update.
#[derive(Clone, Copy, Debug)]
pub struct BaselineRates {
    /// Fast level rate.
    pub fast: f64,
    /// Floor of the slow level rate (1/n before).
    pub slow: f64,
    /// Floor of the scale rate.
    pub scale: f64,
    /// Floor of the error rate.
    pub error: f64,
    /// Rate of a seasonal offset per visit of its bucket.
    pub season: f64,
    /// Huber clip of level and scale updates, in scales.
    pub clip: f64,
    /// Clip of seasonal offset updates, in scales (loose, so recurring spikes become explained).
    pub season_clip: f64,
    /// Shrinkage of a young bucket's offset toward its neighbours: weight `shrink / (visits + shrink)`.
    pub shrink: f64,
}

/// The residuals of a point under one baseline.
#[derive(Clone, Copy, Debug)]
pub struct Residuals {
    /// Phase bucket, if seasonal.
    pub bucket: Option<usize>,
    /// Seasonal offset of the best-explaining phase for the slow residual (0 when none or not yet learned).
    pub offset: f64,
    /// Residual against fast level + offset.
    pub fast: f64,
    /// Residual against slow level + offset.
    pub slow: f64,
}

impl Baseline {
    /// A baseline starting at `level` at time `start` (ms), with `buckets` phase buckets over `period` ms (0, 0 for
    /// none).
    pub fn new(period: i64, buckets: usize, level: f64, start: i64) -> Self {
        Self {
            start,
            period,
            offsets: vec![f32::NAN; buckets].into_boxed_slice(),
            visits: vec![0; buckets].into_boxed_slice(),
            slow: level,
            fast: level,
            slow_scale: 0.0,
            fast_scale: 0.0,
            error: 0.0,
            points: 0,
        }
    }

    /// Period in milliseconds (0 for none).
    pub fn period(&self) -> i64 {
        self.period
    }

    /// Whether the baseline has seen a whole period, so its offsets were learned in an earlier cycle. Before that a
    /// seasonal baseline would "explain" any change by learning it on the spot.
    pub fn is_mature(&self, time: i64) -> bool {
        time - self.start >= self.period
    }

    /// Residuals of `value` at `time` (ms). Seasonal baselines tolerate phase jitter: the offsets of the
    /// neighbouring buckets may explain the point too (a batch job that runs a few minutes early or late), and the
    /// smallest fast and slow residuals are kept independently. Unvisited buckets offer nothing.
    pub fn residuals(&self, time: i64, value: f64, shrink: f64) -> Residuals {
        let bucket = self.bucket(time);
        let own = bucket.and_then(|b| self.scoring_offset(b, shrink)).unwrap_or(0.0);
        let mut residuals =
            Residuals { bucket, offset: own, fast: value - (self.fast + own), slow: value - (self.slow + own) };
        let Some(b) = bucket else { return residuals };
        let buckets = self.offsets.len();
        for neighbour in [(b + buckets - 1) % buckets, (b + 1) % buckets] {
            let Some(offset) = self.scoring_offset(neighbour, shrink) else { continue };
            let fast = value - (self.fast + offset);
            if fast.abs() < residuals.fast.abs() {
                residuals.fast = fast;
            }
            let slow = value - (self.slow + offset);
            if slow.abs() < residuals.slow.abs() {
                (residuals.slow, residuals.offset) = (slow, offset);
            }
        }
        residuals
    }

    /// The offset of a visited bucket as scoring uses it: shrunk toward the mean of its visited neighbours' stored
    /// offsets while the bucket is young. `None` for a bucket never visited.
    fn scoring_offset(&self, bucket: usize, shrink: f64) -> Option<f64> {
        let raw = f64::from(self.offsets[bucket]);
        if raw.is_nan() {
            return None;
        }
        let buckets = self.offsets.len();
        let (sum, count) = [(bucket + buckets - 1) % buckets, (bucket + 1) % buckets]
            .iter()
            .map(|&n| f64::from(self.offsets[n]))
            .filter(|o| !o.is_nan())
            .fold((0.0, 0u32), |(sum, count), o| (sum + o, count + 1));
        if count == 0 {
            return Some(raw);
        }
        let weight = shrink / (f64::from(self.visits[bucket]) + shrink);
        Some(raw + weight * (sum / f64::from(count) - raw))
    }

    fn bucket(&self, time: i64) -> Option<usize> {
        let buckets = self.offsets.len();
        // Integer arithmetic: exact, and far cheaper than a floating-point remainder.
        (buckets > 0).then(|| {
            let phase = time.rem_euclid(self.period);
            (phase.saturating_mul(buckets as i64) / self.period) as usize % buckets
        })
    }

    /// Learns from `value` after it was scored; `floor` bounds the scales from below.
    pub fn learn(&mut self, value: f64, residuals: &Residuals, floor: f64, rates: &BaselineRates) {
        let (fast_scale, slow_scale) = (self.fast_scale.max(floor), self.slow_scale.max(floor));
        self.points += 1;
        let first = 1.0 / self.points as f64;
        let clip = rates.clip;
        self.error += rates.error.max(first) * (residuals.slow.abs().min(clip * slow_scale) - self.error);
        let scale_rate = rates.scale.max(first);
        self.fast_scale += scale_rate * (residuals.fast.abs().min(clip * fast_scale) - self.fast_scale);
        self.slow_scale += scale_rate * (residuals.slow.abs().min(clip * slow_scale) - self.slow_scale);
        self.fast += rates.fast * residuals.fast.clamp(-clip * fast_scale, clip * fast_scale);
        self.slow += rates.slow.max(first) * residuals.slow.clamp(-clip * slow_scale, clip * slow_scale);
        if let Some(bucket) = residuals.bucket {
            let offset = f64::from(self.offsets[bucket]);
            let updated = if offset.is_nan() {
                self.visits[bucket] = 1;
                value - self.slow
            } else {
                self.visits[bucket] = self.visits[bucket].saturating_add(1);
                let bound = rates.season_clip * slow_scale;
                offset + rates.season * (value - self.slow - offset).clamp(-bound, bound)
            };
            self.offsets[bucket] = updated as f32;
        }
    }

    /// Bytes of state.
    pub fn state_bytes(&self) -> usize {
        std::mem::size_of::<Self>() + self.offsets.len() * (std::mem::size_of::<f32>() + 1)
    }
}

/// Most baselines a detector holds: no season plus up to three periods (the schema allows three).
pub const MAX_BASELINES: usize = 4;

/// The baselines of one detector, stored inline: the per-point scalars of every baseline sit next to the detector's
/// own, so scoring a point does not chase a pointer to a separate allocation.
#[derive(Clone, Debug)]
pub struct BaselineSet {
    items: [Baseline; MAX_BASELINES],
    len: usize,
}

impl Default for BaselineSet {
    fn default() -> Self {
        Self { items: std::array::from_fn(|_| Baseline::new(0, 0, 0.0, 0)), len: 0 }
    }
}

impl BaselineSet {
    /// Adds a baseline; ignored past [`MAX_BASELINES`].
    pub fn push(&mut self, baseline: Baseline) {
        if self.len < MAX_BASELINES {
            self.items[self.len] = baseline;
            self.len += 1;
        }
    }

    /// The baselines.
    pub fn as_slice(&self) -> &[Baseline] {
        &self.items[..self.len]
    }

    /// The baselines, mutably.
    pub fn as_mut_slice(&mut self) -> &mut [Baseline] {
        &mut self.items[..self.len]
    }
}

impl serde::Serialize for BaselineSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.as_slice().serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for BaselineSet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let baselines = Vec::<Baseline>::deserialize(deserializer)?;
        if baselines.len() > MAX_BASELINES {
            return Err(serde::de::Error::custom(format!(
                "at most {MAX_BASELINES} baselines, found {}",
                baselines.len()
            )));
        }
        let mut set = Self::default();
        baselines.into_iter().for_each(|baseline| set.push(baseline));
        Ok(set)
    }
}
