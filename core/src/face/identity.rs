//! A liveness session's identity checks, off the frame path. At its keyframes a session asks
//! whether the face is still the one it started with; the answer takes an SFace run (about
//! 30 ms on this desktop, more on a phone) that would stall a 30 fps camera. So the face is
//! aligned on the caller's thread (a 112×112 warp, cheap) and embedded on one worker thread,
//! in order; the session reads the answers at later frames and passes only once all of them
//! have come back and passed (ADR 0014). A check therefore fails a few frames after the frame
//! it was asked on — never after a pass. The worker shares the loaded model (one copy of the weights); if no thread
//! can be started, the checks run inline, as before.

use std::collections::VecDeque;
use std::sync::mpsc::{channel, Receiver, Sender, TryRecvError};

use image::RgbImage;

use super::model::Model;
use super::{embed, FaceError, Template};

/// A face to embed: the session's first (`threshold: None`), or one to compare with it.
struct Job {
    aligned: RgbImage,
    threshold: Option<f32>,
}

type Answer = (Result<Template, FaceError>, Option<f32>);

/// A check that failed: the face's similarity to the session's first face.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Changed {
    pub similarity: f32,
}

pub(crate) struct IdentityChecks {
    model: Model,
    worker: Option<(Sender<Job>, Receiver<Answer>)>,
    /// Answers of inline runs (no worker), in order.
    ready: VecDeque<Answer>,
    pending: usize,
    baseline: Option<Template>,
    min_similarity: f32,
}

impl IdentityChecks {
    /// Start with the session's first face, aligned.
    pub(crate) fn start(model: &Model, baseline: RgbImage) -> Self {
        let mut checks = Self {
            model: model.clone(),
            worker: None,
            ready: VecDeque::new(),
            pending: 0,
            baseline: None,
            min_similarity: 1.0,
        };
        checks.worker = checks.spawn();
        checks.submit(Job { aligned: baseline, threshold: None });
        checks
    }

    /// Ask whether `aligned` is still the first face (similarity at least `threshold`).
    pub(crate) fn check(&mut self, aligned: RgbImage, threshold: f32) {
        self.submit(Job { aligned, threshold: Some(threshold) });
    }

    /// Read the answers that have arrived (all of them if `wait`); the first failed check.
    pub(crate) fn collect(&mut self, wait: bool) -> Result<Option<Changed>, FaceError> {
        while self.pending > 0 {
            let answer = match (self.ready.pop_front(), &self.worker) {
                (Some(answer), _) => answer,
                (None, Some((_, answers))) if wait => answers.recv().map_err(|_| FaceError::Inference)?,
                (None, Some((_, answers))) => match answers.try_recv() {
                    Ok(answer) => answer,
                    Err(TryRecvError::Empty) => return Ok(None),
                    // The worker died (a panic in tract): its answers will never come.
                    Err(TryRecvError::Disconnected) => return Err(FaceError::Inference),
                },
                (None, None) => return Err(FaceError::Inference),
            };
            self.pending -= 1;
            let (template, threshold) = answer;
            let template = template?;
            let Some(threshold) = threshold else {
                self.baseline = Some(template);
                continue;
            };
            let similarity = template.similarity(self.baseline.as_ref().ok_or(FaceError::Inference)?);
            self.min_similarity = self.min_similarity.min(similarity);
            if similarity < threshold {
                return Ok(Some(Changed { similarity }));
            }
        }
        Ok(None)
    }

    /// Once every check has been answered (by [`IdentityChecks::collect`], none failed): the
    /// first face's template and the lowest similarity to it.
    pub(crate) fn answered(&self) -> Result<Option<(Template, f32)>, FaceError> {
        if self.pending > 0 {
            return Ok(None);
        }
        Ok(Some((self.baseline.clone().ok_or(FaceError::Inference)?, self.min_similarity)))
    }

    fn submit(&mut self, job: Job) {
        self.pending += 1;
        if let Some((jobs, _)) = &self.worker {
            match jobs.send(job) {
                Ok(()) => return,
                // The worker is gone (it cannot be, short of a panic in tract): run inline.
                Err(returned) => {
                    self.worker = None;
                    self.run_inline(returned.0);
                    return;
                }
            }
        }
        self.run_inline(job);
    }

    fn run_inline(&mut self, job: Job) {
        self.ready.push_back((embed(&self.model, &job.aligned), job.threshold));
    }

    /// The worker ends when the session (its sender) is dropped, after the job in hand.
    fn spawn(&self) -> Option<(Sender<Job>, Receiver<Answer>)> {
        let (jobs, inbox) = channel::<Job>();
        let (outbox, answers) = channel::<Answer>();
        let model = self.model.clone();
        std::thread::Builder::new()
            .name("idwallet-face-identity".into())
            .spawn(move || {
                for job in inbox {
                    if outbox.send((embed(&model, &job.aligned), job.threshold)).is_err() {
                        break;
                    }
                }
            })
            .ok()?;
        Some((jobs, answers))
    }
}
