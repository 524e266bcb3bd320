//! The cap on the window of a zstd frame, which is memory the decoder must hold while the frame
//! is decoded, for every layer read at once.
//!
//! The decoder is told the cap ([`MAX_ZSTD_WINDOW_LOG`]) and refuses a larger frame, but its
//! error does not say the window's size. So the compressed stream passes through
//! [`FrameWatch`], which follows the frames (headers, blocks, checksums, skippable frames) as
//! they pass and refuses a frame header whose window exceeds the cap, naming both, before the
//! decoder sees it. Should the watch lose its way in a corrupt stream, it stops looking, and
//! the decoder's own check still holds.

use std::cell::Cell;
use std::io::{self, Read};

/// The largest zstd window a layer may use: 2^25 bytes (32 MiB). The zstd format recommends
/// decoders accept at least 8 MiB; `zstd` levels up to 19 and the encoders podman, buildah and
/// containerd use for zstd and zstd:chunked layers stay at or below 8 MiB, and `zstd --ultra
/// -20` uses 32 MiB. `zstd --long` and `--ultra -21`/`-22` (64 and 128 MiB) are refused.
pub const MAX_ZSTD_WINDOW_LOG: u32 = 25;
pub(crate) const MAX_ZSTD_WINDOW: u64 = 1 << MAX_ZSTD_WINDOW_LOG;

const FRAME_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Where the watch is in the stream of frames.
#[derive(Clone, Copy)]
enum State {
    /// Reading a frame's 4-byte magic number.
    Magic { bytes: [u8; 4], have: usize },
    /// Reading a skippable frame's 4-byte length.
    SkippableLength { bytes: [u8; 4], have: usize },
    /// Passing over content: a skippable frame's, a block's, a checksum.
    Skip { remaining: u64, then: After },
    /// Reading a frame header (at most 14 bytes after the magic number).
    Header { bytes: [u8; 14], have: usize },
    /// Reading a 3-byte block header.
    Block {
        bytes: [u8; 3],
        have: usize,
        checksum: bool,
    },
    /// The stream is not what the format says: the decoder will say so.
    Lost,
}

#[derive(Clone, Copy)]
enum After {
    Magic,
    Block {
        checksum: bool,
    },
    /// The last block: a checksum may follow, then the next frame.
    FrameEnd {
        checksum: bool,
    },
}

/// Follows the zstd frames of a stream as it is read; see the module documentation.
pub(crate) struct FrameWatch<'a, R> {
    inner: R,
    state: State,
    /// Set to the window of a frame refused.
    refused: &'a Cell<Option<u64>>,
}

impl<'a, R: Read> FrameWatch<'a, R> {
    pub(crate) fn new(inner: R, refused: &'a Cell<Option<u64>>) -> Self {
        FrameWatch {
            inner,
            state: State::Magic {
                bytes: [0; 4],
                have: 0,
            },
            refused,
        }
    }

    /// Advances over `bytes`, returning the window of a frame over the cap.
    fn observe(&mut self, mut bytes: &[u8]) -> Result<(), u64> {
        while !bytes.is_empty() {
            match &mut self.state {
                State::Lost => return Ok(()),
                State::Skip { remaining, then } => {
                    let n = usize::try_from(*remaining).map_or(bytes.len(), |r| r.min(bytes.len()));
                    *remaining -= n as u64;
                    bytes = &bytes[n..];
                    if *remaining == 0 {
                        self.state = match *then {
                            After::Magic | After::FrameEnd { checksum: false } => magic(),
                            After::Block { checksum } => block(checksum),
                            After::FrameEnd { checksum: true } => State::Skip {
                                remaining: 4,
                                then: After::Magic,
                            },
                        };
                    }
                }
                State::Magic { bytes: read, have }
                | State::SkippableLength { bytes: read, have } => {
                    read[*have] = bytes[0];
                    *have += 1;
                    bytes = &bytes[1..];
                    if *have < 4 {
                        continue;
                    }
                    let read = *read;
                    self.state = match self.state {
                        State::Magic { .. } if read == FRAME_MAGIC => State::Header {
                            bytes: [0; 14],
                            have: 0,
                        },
                        State::Magic { .. }
                            if read[0] & 0xf0 == 0x50 && read[1..] == [0x2a, 0x4d, 0x18] =>
                        {
                            State::SkippableLength {
                                bytes: [0; 4],
                                have: 0,
                            }
                        }
                        State::SkippableLength { .. } => State::Skip {
                            remaining: u64::from(u32::from_le_bytes(read)),
                            then: After::Magic,
                        },
                        _ => State::Lost,
                    };
                    if let State::Skip { remaining: 0, .. } = self.state {
                        self.state = magic();
                    }
                }
                State::Header { bytes: read, have } => {
                    read[*have] = bytes[0];
                    *have += 1;
                    bytes = &bytes[1..];
                    let header = FrameHeader::parse(&read[..*have]);
                    if *have < header.length {
                        continue;
                    }
                    if header.window > MAX_ZSTD_WINDOW {
                        self.state = State::Lost;
                        return Err(header.window);
                    }
                    self.state = block(header.checksum);
                }
                State::Block {
                    bytes: read,
                    have,
                    checksum,
                } => {
                    read[*have] = bytes[0];
                    *have += 1;
                    bytes = &bytes[1..];
                    if *have < 3 {
                        continue;
                    }
                    let checksum = *checksum;
                    let header = u32::from_le_bytes([read[0], read[1], read[2], 0]);
                    let last = header & 1 == 1;
                    let size = u64::from(header >> 3);
                    let stored = match (header >> 1) & 3 {
                        0 | 2 => size,
                        1 => 1,
                        _ => {
                            self.state = State::Lost;
                            return Ok(());
                        }
                    };
                    let then = if last {
                        After::FrameEnd { checksum }
                    } else {
                        After::Block { checksum }
                    };
                    self.state = if stored == 0 {
                        match then {
                            After::FrameEnd { checksum: true } => State::Skip {
                                remaining: 4,
                                then: After::Magic,
                            },
                            After::Block { checksum } => block(checksum),
                            _ => magic(),
                        }
                    } else {
                        State::Skip {
                            remaining: stored,
                            then,
                        }
                    };
                }
            }
        }
        Ok(())
    }
}

fn magic() -> State {
    State::Magic {
        bytes: [0; 4],
        have: 0,
    }
}

fn block(checksum: bool) -> State {
    State::Block {
        bytes: [0; 3],
        have: 0,
        checksum,
    }
}

/// What the first bytes of a frame header say (the format's section 3.1.1.1).
struct FrameHeader {
    /// The header's full length, known from its first byte.
    length: usize,
    window: u64,
    checksum: bool,
}

impl FrameHeader {
    /// Parses as much as `bytes` holds (at least the descriptor byte); `window` is meaningful
    /// once `bytes` is `length` long.
    fn parse(bytes: &[u8]) -> FrameHeader {
        let descriptor = bytes[0];
        let single_segment = descriptor & 0x20 != 0;
        let dictionary_length = [0, 1, 2, 4][usize::from(descriptor & 3)];
        let content_size_length = match descriptor >> 6 {
            0 => usize::from(single_segment),
            1 => 2,
            2 => 4,
            _ => 8,
        };
        let window_length = usize::from(!single_segment);
        let length = 1 + window_length + dictionary_length + content_size_length;
        let window = if bytes.len() < length {
            0
        } else if single_segment {
            // The window is the content, whose size the header gives.
            let start = 1 + dictionary_length;
            let mut size = [0u8; 8];
            size[..content_size_length].copy_from_slice(&bytes[start..start + content_size_length]);
            let size = u64::from_le_bytes(size);
            if content_size_length == 2 {
                size + 256
            } else {
                size
            }
        } else {
            let descriptor = bytes[1];
            let base = 1u64 << (10 + u32::from(descriptor >> 3));
            base + base / 8 * u64::from(descriptor & 7)
        };
        FrameHeader {
            length,
            window,
            checksum: descriptor & 4 != 0,
        }
    }
}

impl<R: Read> Read for FrameWatch<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Err(window) = self.observe(&buf[..n]) {
            self.refused.set(Some(window));
            return Err(io::Error::other(format!(
                "a zstd frame needs a window of {window} bytes, more than the cap of {MAX_ZSTD_WINDOW}"
            )));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn windows_of(stream: &[u8]) -> Option<u64> {
        let refused = Cell::new(None);
        let mut watch = FrameWatch::new(stream, &refused);
        // Small reads cross every boundary.
        let mut buf = [0u8; 7];
        while let Ok(n) = watch.read(&mut buf) {
            if n == 0 {
                break;
            }
        }
        refused.get()
    }

    #[test]
    fn follows_real_frames_and_refuses_large_windows() {
        let data: Vec<u8> = (0..300_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let mut several = zstd::encode_all(&data[..], 3).unwrap();
        // A skippable frame between two frames, as zstd:chunked writes.
        several.extend_from_slice(&[0x5e, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
        several.extend(zstd::encode_all(&b"tail"[..], 19).unwrap());
        assert_eq!(windows_of(&several), None);

        let mut encoder = zstd::stream::Encoder::new(Vec::new(), 3).unwrap();
        encoder.window_log(27).unwrap();
        encoder.long_distance_matching(true).unwrap();
        std::io::copy(&mut &data[..], &mut encoder).unwrap();
        let mut long = several.clone();
        long.extend(encoder.finish().unwrap());
        assert_eq!(windows_of(&long), Some(1 << 27));
    }
}
