//! An autoregressive correction of the combined forecast: AR(p) on its clipped one-step residuals, fitted by
//! recursive least squares with forgetting, so persistent error patterns are corrected in O(p²) per point.

use serde::{Deserialize, Serialize};

use super::candidates::Robust;

/// AR(p) by recursive least squares.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ArCorrection {
    coefficients: Vec<f64>,
    covariance: Vec<f64>,
    /// Recent clipped residuals, most recent first.
    residuals: Vec<f64>,
    forget: f64,
    robust: Robust,
}

impl ArCorrection {
    /// An AR(`order`) with forgetting factor `forget`, initial covariance `delta`·I and residual clipper `robust`.
    pub fn new(order: usize, forget: f64, delta: f64, robust: Robust) -> Self {
        let mut covariance = vec![0.0; order * order];
        (0..order).for_each(|i| covariance[i * order + i] = delta);
        Self { coefficients: vec![0.0; order], covariance, residuals: vec![0.0; order], forget, robust }
    }

    /// Learns the one-step residual of the combined forecast.
    pub fn observe(&mut self, residual: f64) {
        let p = self.coefficients.len();
        if p == 0 {
            return;
        }
        let (clipped, _) = self.robust.clip(residual);
        let x = &self.residuals;
        let px: Vec<f64> = (0..p).map(|i| (0..p).map(|k| self.covariance[i * p + k] * x[k]).sum()).collect();
        let denominator = self.forget + x.iter().zip(&px).map(|(a, b)| a * b).sum::<f64>();
        if denominator > 0.0 {
            let gain: Vec<f64> = px.iter().map(|v| v / denominator).collect();
            let error = clipped - self.coefficients.iter().zip(x).map(|(a, b)| a * b).sum::<f64>();
            self.coefficients.iter_mut().zip(&gain).for_each(|(c, g)| *c += g * error);
            for (row, g) in self.covariance.chunks_mut(p).zip(&gain) {
                for (cell, x) in row.iter_mut().zip(&px) {
                    *cell = (*cell - g * x) / self.forget;
                }
            }
        }
        for i in (1..p).rev() {
            self.residuals[i] = self.residuals[i - 1];
        }
        self.residuals[0] = clipped;
    }

    /// `combined` plus the AR's forecast of the residuals ahead, into `out`.
    pub fn correct_into(&self, combined: &[f64], out: &mut [f64]) {
        let p = self.coefficients.len();
        let mut history = [0.0f64; 8];
        let depth = p.min(history.len());
        history[..depth].copy_from_slice(&self.residuals[..depth]);
        for (value, base) in out.iter_mut().zip(combined) {
            let next: f64 = self.coefficients[..depth].iter().zip(&history[..depth]).map(|(a, b)| a * b).sum();
            *value = base + next;
            for i in (1..depth).rev() {
                history[i] = history[i - 1];
            }
            if depth > 0 {
                history[0] = next;
            }
        }
    }
}
