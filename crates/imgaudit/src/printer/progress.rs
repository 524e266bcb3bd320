//! The progress bar on standard error while an image is read: bytes and layers.

use std::sync::Mutex;
use std::time::Duration;

use imgaudit_loader::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Drawn only on a terminal; the caller decides (`--quiet`, standard error not a terminal).
#[derive(Debug, Default)]
pub(crate) struct Bar {
    state: Mutex<Option<State>>,
}

#[derive(Debug)]
struct State {
    bar: ProgressBar,
    layers: usize,
    done: usize,
}

impl State {
    fn message(&self) -> String {
        if self.layers == 0 {
            format!("{} layers", self.done)
        } else {
            format!("{}/{} layers", self.done, self.layers)
        }
    }
}

impl Progress for Bar {
    fn start(&self, source: &str, layers: usize, bytes: Option<u64>) {
        let bar = match bytes {
            Some(total) => ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
                .with_style(
                    ProgressStyle::with_template(
                        "{prefix} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} {msg}",
                    )
                    .expect("the template is valid")
                    .progress_chars("=> "),
                ),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
                ProgressStyle::with_template(
                    "{prefix} {spinner} {bytes} {binary_bytes_per_sec} {msg}",
                )
                .expect("the template is valid"),
            ),
        };
        // The reference may carry credentials or control characters: shown as all output is.
        bar.set_prefix(format!("reading {}", super::inert(source)));
        bar.enable_steady_tick(Duration::from_millis(120));
        let state = State {
            bar,
            layers,
            done: 0,
        };
        state.bar.set_message(state.message());
        *self.state.lock().expect("no panic while drawing") = Some(state);
    }

    fn advance(&self, bytes: u64) {
        if let Some(state) = self.state.lock().expect("no panic while drawing").as_ref() {
            state.bar.inc(bytes);
        }
    }

    fn layer_done(&self) {
        if let Some(state) = self.state.lock().expect("no panic while drawing").as_mut() {
            state.done += 1;
            state.bar.set_message(state.message());
        }
    }

    fn finish(&self) {
        if let Some(state) = self.state.lock().expect("no panic while drawing").take() {
            state.bar.finish_and_clear();
        }
    }
}
