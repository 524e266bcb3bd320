//! How far reading has come, for a progress display the caller draws.

use std::fmt;
use std::io::{self, Read};

/// Told how reading advances; called from the threads that read layers.
pub trait Progress: Send + Sync + fmt::Debug {
    /// Reading `source` starts: `layers` layers (0 when a stream does not say before it ends)
    /// of `bytes` compressed bytes in all, when known.
    fn start(&self, source: &str, layers: usize, bytes: Option<u64>);
    /// `bytes` more bytes were read from the source.
    fn advance(&self, bytes: u64);
    /// One more layer is read and verified.
    fn layer_done(&self);
    /// Reading ended, well or not.
    fn finish(&self);
}

/// A reader that reports the bytes read through it.
pub(crate) struct Counting<'a, R> {
    inner: R,
    progress: Option<&'a dyn Progress>,
}

impl<'a, R> Counting<'a, R> {
    pub(crate) fn new(inner: R, progress: Option<&'a dyn Progress>) -> Self {
        Counting { inner, progress }
    }
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(progress) = self.progress {
            progress.advance(n as u64);
        }
        Ok(n)
    }
}
