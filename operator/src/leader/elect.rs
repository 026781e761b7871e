//! The election rounds around a [`LeaseLock`], on tokio's clock (so tests pause it): a standby polls every
//! [`RETRY_PERIOD`] until it leads; the leader renews every [`RETRY_PERIOD`] and gives up leading (the process
//! exits) when it has not renewed for [`RENEW_DEADLINE`], before the Lease can expire for the others; on shutdown
//! the leader releases the Lease.

use std::time::Duration;

use k8s_openapi::jiff::Timestamp;
use tokio::time::Instant;

use super::{LEASE_DURATION, LeaseLock};

/// How often a standby polls and the leader renews (client-go's default).
pub const RETRY_PERIOD: Duration = Duration::from_secs(2);
/// How long the leader may fail to renew before it stops leading; shorter than [`LEASE_DURATION`], so it stops
/// before any standby may take over.
pub const RENEW_DEADLINE: Duration = Duration::from_secs(10);

const _: () = assert!(RENEW_DEADLINE.as_secs() < LEASE_DURATION.as_secs());

/// Why a leader stopped leading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lost {
    /// Another replica holds the Lease.
    TakenOver,
    /// Renewals failed for [`RENEW_DEADLINE`]; the last error.
    RenewFailed(String),
}

/// One round at tokio's now.
async fn round(lock: &mut LeaseLock) -> Result<bool, kube::Error> {
    lock.try_acquire_or_renew(Instant::now().into_std(), Timestamp::now()).await
}

/// Polls until this replica leads.
pub async fn acquire(lock: &mut LeaseLock) {
    loop {
        match round(lock).await {
            Ok(true) => {
                tracing::info!("elected leader");
                return;
            }
            Ok(false) => tracing::debug!("another replica leads; waiting"),
            Err(error) => tracing::warn!(error = %error, "leader election failed; retrying"),
        }
        tokio::time::sleep(RETRY_PERIOD).await;
    }
}

/// Renews the Lease until leadership is lost (resolves then, with why); while leading it never resolves.
pub async fn renew(lock: &mut LeaseLock) -> Lost {
    let mut renewed = Instant::now();
    loop {
        tokio::time::sleep(RETRY_PERIOD).await;
        match round(lock).await {
            Ok(true) => renewed = Instant::now(),
            Ok(false) => return Lost::TakenOver,
            Err(error) if renewed.elapsed() >= RENEW_DEADLINE => return Lost::RenewFailed(error.to_string()),
            Err(error) => tracing::warn!(error = %error, "lease renewal failed; retrying"),
        }
    }
}

/// Releases the Lease if this replica leads (best effort: a failure leaves it to expire).
pub async fn release(lock: &mut LeaseLock) {
    match lock.release(Instant::now().into_std(), Timestamp::now()).await {
        Ok(true) => tracing::info!("released the leader Lease"),
        Ok(false) => {}
        Err(error) => tracing::warn!(error = %error, "could not release the leader Lease; it expires on its own"),
    }
}
