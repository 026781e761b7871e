//! A shutdown signal shared by the pipeline's tasks: fired once (SIGTERM, Ctrl-C, a test), observed by all.

use tokio::sync::watch;

/// A cloneable shutdown handle.
#[derive(Clone, Debug)]
pub struct Shutdown {
    sender: std::sync::Arc<watch::Sender<bool>>,
    receiver: watch::Receiver<bool>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl Shutdown {
    /// A handle that has not fired.
    pub fn new() -> Self {
        let (sender, receiver) = watch::channel(false);
        Self { sender: std::sync::Arc::new(sender), receiver }
    }

    /// Fires the signal for every clone.
    pub fn fire(&self) {
        self.sender.send_replace(true);
    }

    /// Whether it has fired.
    pub fn is_fired(&self) -> bool {
        *self.receiver.borrow()
    }

    /// Resolves once the signal has fired.
    pub async fn fired(&self) {
        let mut receiver = self.receiver.clone();
        // An error means every sender is gone, which cannot happen while `self` holds one.
        let _ = receiver.wait_for(|fired| *fired).await;
    }
}
