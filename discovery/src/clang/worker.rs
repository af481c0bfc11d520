//! The libclang thread.
//!
//! clang-sys keeps the loaded library in a thread-local, while the `clang` crate allows one
//! `Clang` per process. So one worker thread loads libclang on first use, owns it for the life
//! of the process, and runs every libclang job; callers send it jobs and wait for the answer.
//! Parallel tests, build scripts and macro expansions are therefore serialized through it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;
use std::sync::mpsc::{Sender, channel, sync_channel};

use clang::Clang;

use crate::error::DiscoveryError;

type Job = Box<dyn FnOnce(&Clang) + Send>;

static WORKER: OnceLock<Result<Sender<Job>, String>> = OnceLock::new();

/// Whether the worker has loaded libclang already (never loads it).
pub(super) fn loaded() -> bool {
    matches!(WORKER.get(), Some(Ok(_)))
}

/// Runs `f` on the libclang thread and waits for its result.
pub(super) fn run<R: Send + 'static>(
    f: impl FnOnce(&Clang) -> R + Send + 'static,
) -> Result<R, DiscoveryError> {
    let (reply, answer) = sync_channel(1);
    worker()?
        .send(Box::new(move |clang| {
            let _ = reply.send(f(clang));
        }))
        .map_err(|_| DiscoveryError::Internal("the libclang thread has stopped".to_owned()))?;
    answer
        .recv()
        .map_err(|_| DiscoveryError::Internal("a libclang job panicked".to_owned()))
}

/// The worker's job queue, starting the worker (and loading libclang) on first use.
fn worker() -> Result<&'static Sender<Job>, DiscoveryError> {
    if super::offline() {
        return Err(DiscoveryError::LibclangMissing {
            reason: "FFI_AUTO_OFFLINE is set, so libclang is not loaded".to_owned(),
        });
    }
    WORKER
        .get_or_init(start)
        .as_ref()
        .map_err(|reason| DiscoveryError::LibclangMissing {
            reason: reason.clone(),
        })
}

/// Starts the thread, and waits until it has loaded libclang (or failed to).
fn start() -> Result<Sender<Job>, String> {
    let (jobs, inbox) = channel::<Job>();
    let (ready, started) = sync_channel::<Result<(), String>>(1);
    std::thread::Builder::new()
        .name("ffi-auto-libclang".to_owned())
        .spawn(move || match Clang::new() {
            Ok(clang) => {
                let _ = ready.send(Ok(()));
                for job in inbox {
                    // A panic in one job (a libclang surprise) must not take the worker, and
                    // every later discovery, down with it; the job's caller sees its reply
                    // channel close instead.
                    let _ = catch_unwind(AssertUnwindSafe(|| job(&clang)));
                }
            }
            Err(e) => {
                let _ = ready.send(Err(e));
            }
        })
        .map_err(|e| format!("could not start the libclang thread: {e}"))?;
    started
        .recv()
        .map_err(|_| "the libclang thread stopped while loading libclang".to_owned())?
        .map(|()| jobs)
}
