//! Layer blobs streamed from the registry into a blocking reader, resumed after a dropped
//! connection with a range request, never longer than the manifest declares.
//!
//! Each opened layer is one download task on the session's runtime feeding a small bounded
//! channel; the layer reader (on its own thread) drains it. At most a few chunks are buffered
//! per layer, so memory stays flat whatever the layer's size.

use std::io::{self, Read};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use imgaudit_image::{BlobStore, ImageError, LayerRef};
use oci_client::client::BlobResponse;
use oci_client::errors::OciDistributionError;
use tokio::sync::mpsc;

use crate::error::Step;
use crate::{Session, retry};

/// Chunks in flight per layer (reqwest yields chunks of up to a few tens of KiB).
const CHANNEL_CHUNKS: usize = 8;

#[derive(Debug)]
pub(crate) struct RegistryBlobs {
    /// Owned here, so that it is dropped (and its tasks stopped) on the thread that drops the
    /// store, never on one of its own workers.
    runtime: Option<tokio::runtime::Runtime>,
    session: Arc<Session>,
}

impl RegistryBlobs {
    pub(crate) fn new(runtime: tokio::runtime::Runtime, session: Arc<Session>) -> RegistryBlobs {
        RegistryBlobs {
            runtime: Some(runtime),
            session,
        }
    }
}

impl Drop for RegistryBlobs {
    fn drop(&mut self) {
        // Downloads nobody reads any more stop now, without waiting for them.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl BlobStore for RegistryBlobs {
    fn open_layer(&self, layer: &LayerRef) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        let (Some(digest), Some(size)) = (layer.digest.clone(), layer.size) else {
            return Err(ImageError::Malformed {
                input: self.session.input.clone(),
                what: "manifest".to_owned(),
                reason: "a layer descriptor has no digest or size".to_owned(),
            });
        };
        let (sender, receiver) = mpsc::channel(CHANNEL_CHUNKS);
        let session = Arc::clone(&self.session);
        self.session.runtime.spawn(async move {
            let download = Download {
                session: &session,
                digest: digest.to_string(),
                size,
            };
            let end = match download.run(&sender).await {
                Ok(()) => Ok(Chunk::End),
                Err(error) => Err(error),
            };
            // The reader may be gone already; then nobody needs the end or the error.
            let _ = sender.send(end).await;
        });
        Ok(Box::new(ChannelReader {
            receiver,
            current: Bytes::new(),
            ended: false,
        }))
    }

    fn parallelism(&self) -> Option<usize> {
        Some(crate::DEFAULT_PARALLEL_DOWNLOADS)
    }
}

struct Download<'a> {
    session: &'a Session,
    digest: String,
    size: u64,
}

impl Download<'_> {
    /// Sends the blob's bytes in order, exactly `size` of them, or fails.
    async fn run(&self, sender: &mpsc::Sender<io::Result<Chunk>>) -> io::Result<()> {
        let reference = self.reference()?;
        let mut sent: u64 = 0;
        // Failures in a row without a byte of progress.
        let mut failures = 0;
        loop {
            let attempt = self.stream_from(&reference, sent).await;
            let failure = match attempt {
                Ok((mut stream, mut skip)) => {
                    // What this response promised and what it delivered: a body that arrives
                    // whole but short of the manifest's size is a lying size, not a dropped
                    // connection, and asking again would not lengthen it.
                    let promised = stream.content_length;
                    let mut received: u64 = 0;
                    let mut failure = None;
                    while let Some(chunk) = stream.next().await {
                        let mut chunk = match chunk {
                            Ok(chunk) => {
                                received += chunk.len() as u64;
                                chunk
                            }
                            Err(e) => {
                                failure = Some(Failure::Stream(e));
                                break;
                            }
                        };
                        // A server that ignored the range starts over: skip what was sent.
                        if skip > 0 {
                            let dropped = skip.min(chunk.len() as u64);
                            let _ = chunk.split_to(usize::try_from(dropped).unwrap_or(usize::MAX));
                            skip -= dropped;
                            if chunk.is_empty() {
                                continue;
                            }
                        }
                        sent += chunk.len() as u64;
                        failures = 0;
                        if sent > self.size {
                            return Err(io::Error::new(
                                io::ErrorKind::InvalidData,
                                format!(
                                    "{}: the registry sent more than the {} bytes the manifest declares for {}",
                                    self.session.registry, self.size, self.digest
                                ),
                            ));
                        }
                        if sender.send(Ok(Chunk::Bytes(chunk))).await.is_err() {
                            // The reader stopped (the load failed elsewhere): stop downloading.
                            return Ok(());
                        }
                    }
                    match failure {
                        Some(failure) => failure,
                        None if sent == self.size => return Ok(()),
                        None if promised == Some(received) => {
                            return Err(io::Error::new(
                                io::ErrorKind::InvalidData,
                                format!(
                                    "{}: the blob {} is {sent} bytes, but the manifest declares {}",
                                    self.session.registry, self.digest, self.size
                                ),
                            ));
                        }
                        // A body that ends early is a dropped connection, not the blob's end.
                        None => Failure::Short(sent),
                    }
                }
                Err(e) if retry::is_transient(&e) => Failure::Request(e),
                Err(e) => return Err(self.fatal(&e)),
            };
            // A stream error after every byte arrived is the client's digest check failing: the
            // bytes are wrong, and asking again would only repeat them.
            if sent == self.size
                && let Failure::Stream(e) = failure
            {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "{}: the blob {} does not match its digest: {}",
                        self.session.registry,
                        self.digest,
                        crate::error::chain(&e)
                    ),
                ));
            }
            failures += 1;
            if failures >= self.session.retry.attempts {
                return Err(failure.into_error(self, sent));
            }
            tokio::time::sleep(self.session.retry.delay(failures)).await;
        }
    }

    /// The blob from `offset` on, and how many leading bytes to drop when the registry sent the
    /// whole blob instead.
    ///
    /// Always a range request, even from 0: oci-client hashes a whole-blob response with a
    /// software SHA-256 as it streams, and the layer reader already verifies every blob digest
    /// (faster, in the same pass), so hashing twice would only cost CPU.
    async fn stream_from(
        &self,
        reference: &oci_client::Reference,
        offset: u64,
    ) -> Result<(oci_client::client::SizedStream, u64), OciDistributionError> {
        let client = &self.session.client;
        match crate::contain_panic(client.pull_blob_stream_partial(
            reference,
            self.digest.as_str(),
            offset,
            None,
        ))
        .await?
        {
            BlobResponse::Partial(stream) => Ok((stream, 0)),
            BlobResponse::Full(stream) => Ok((stream, offset)),
        }
    }

    fn reference(&self) -> io::Result<oci_client::Reference> {
        Ok(self
            .session
            .reference(&self.digest.parse().map_err(io::Error::other)?))
    }

    fn fatal(&self, error: &OciDistributionError) -> io::Error {
        match self.reference() {
            Ok(reference) => io::Error::other(self.session.failure(Step::Layer, &reference, error)),
            Err(e) => e,
        }
    }
}

/// Why one attempt at a blob ended early.
enum Failure {
    Request(OciDistributionError),
    Stream(io::Error),
    Short(u64),
}

impl Failure {
    fn into_error(self, download: &Download<'_>, sent: u64) -> io::Error {
        let attempts = download.session.retry.attempts;
        match self {
            Failure::Request(e) => download.fatal(&e),
            Failure::Stream(e) => io::Error::new(
                e.kind(),
                format!(
                    "{}: the download of {} broke off after {sent} of {} bytes, {attempts} times in a row: {}",
                    download.session.registry,
                    download.digest,
                    download.size,
                    crate::error::chain(&e)
                ),
            ),
            Failure::Short(got) => io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "{}: the download of {} ended after {got} of {} bytes, {attempts} times in a row",
                    download.session.registry, download.digest, download.size
                ),
            ),
        }
    }
}

/// What the download task sends: bytes, then an explicit end, so that a task that died
/// (cancelled, or a panic) is never taken for a complete blob.
enum Chunk {
    Bytes(Bytes),
    End,
}

/// The reading end: blocks on the channel, never mistakes a failed download for the end.
struct ChannelReader {
    receiver: mpsc::Receiver<io::Result<Chunk>>,
    current: Bytes,
    ended: bool,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            if self.ended {
                return Ok(0);
            }
            match self.receiver.blocking_recv() {
                Some(Ok(Chunk::Bytes(chunk))) => self.current = chunk,
                Some(Ok(Chunk::End)) => self.ended = true,
                Some(Err(e)) => return Err(e),
                None => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the download stopped before the end of the blob",
                    ));
                }
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}
