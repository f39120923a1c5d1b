//! The radio between holder and reader is the platform's: BLE GATT (18013-5 §8.3.3.1.1,
//! the state / client2server / server2client characteristics, messages split to the MTU)
//! or NFC (ISO 7816-4 ENVELOPE / GET RESPONSE). Each delivers whole messages; a
//! [`Transport`] is that: one message sent, one received. [`memory_pair`] joins a holder
//! and a reader in one process.

use std::sync::mpsc;
use std::time::Duration;

use super::MdlError;

/// Whole 18013-5 messages over a connection (SessionEstablishment, SessionData).
pub trait Transport: Send {
    fn send(&mut self, message: Vec<u8>) -> Result<(), MdlError>;
    /// The next message, waiting at most `timeout`.
    fn receive(&mut self, timeout: Duration) -> Result<Vec<u8>, MdlError>;
}

/// One end of an in-memory connection.
#[derive(Debug)]
pub struct MemoryTransport {
    tx: mpsc::Sender<Vec<u8>>,
    rx: mpsc::Receiver<Vec<u8>>,
}

/// Two connected ends.
pub fn memory_pair() -> (MemoryTransport, MemoryTransport) {
    let (a_tx, b_rx) = mpsc::channel();
    let (b_tx, a_rx) = mpsc::channel();
    (MemoryTransport { tx: a_tx, rx: a_rx }, MemoryTransport { tx: b_tx, rx: b_rx })
}

impl Transport for MemoryTransport {
    fn send(&mut self, message: Vec<u8>) -> Result<(), MdlError> {
        self.tx.send(message).map_err(|_| MdlError::Transport { reason: "the other side has gone".into() })
    }

    fn receive(&mut self, timeout: Duration) -> Result<Vec<u8>, MdlError> {
        self.rx.recv_timeout(timeout).map_err(|e| MdlError::Transport {
            reason: match e {
                mpsc::RecvTimeoutError::Timeout => "timed out".into(),
                mpsc::RecvTimeoutError::Disconnected => "the other side has gone".into(),
            },
        })
    }
}
