// Face unlock with Swift concurrency: model loading with progress, and a liveness session
// driven by an AsyncSequence of camera frames.
import Foundation

/// A camera frame and when it was captured, in milliseconds of a monotonic clock.
public struct TimedFrame: Sendable {
    public let frame: CameraFrame
    public let timestampMs: UInt64
    public init(_ frame: CameraFrame, timestampMs: UInt64) {
        self.frame = frame
        self.timestampMs = timestampMs
    }
}

private final class ClosureProgress: ProgressListener, @unchecked Sendable {
    let report: @Sendable (UInt32, UInt32) -> Void
    init(_ report: @escaping @Sendable (UInt32, UInt32) -> Void) { self.report = report }
    func onProgress(done: UInt32, total: UInt32) { report(done, total) }
}

public extension FaceModels {
    /// Load the models (bytes from the app bundle) off the caller's thread, reporting
    /// `(done, total)` steps; throws `FaceError.BadModel` for files that are not the models.
    /// `iris` (MediaPipe Iris, `iris_landmark.nnef.tar`) adds the blink to liveness sessions.
    static func load(detector: Data, embedder: Data, iris: Data? = nil,
                     progress: @escaping @Sendable (_ done: UInt32, _ total: UInt32) -> Void) async throws -> FaceModels {
        try await load(detector: detector, embedder: embedder, progress: ClosureProgress(progress), iris: iris)
    }
}

public extension UnlockProgress {
    /// While the session shows colours: the colour to fill the whole screen with (0…1 per
    /// channel, e.g. SwiftUI `Color(red:green:blue:)` full-screen, `UIScreen.main.brightness = 1`,
    /// exposure and white balance locked: `docs/mobile.md`) until `untilMs` on the frames'
    /// clock; `nil` for every other step.
    var screenColour: (red: Double, green: Double, blue: Double, untilMs: UInt64)? {
        guard case let .showColour(red, green, blue, untilMs) = self else { return nil }
        return (Double(red) / 255, Double(green) / 255, Double(blue) / 255, untilMs)
    }
}

public extension FaceSession {
    /// Feed `frames` and yield what the UI shows after each one; the stream finishes after
    /// `.unlocked`, or throws the `WalletError` of a failed unlock (already counted by the
    /// wallet). Unreadable frames (`FaceNotUsable`) are skipped and leave the session as it was.
    func progress<Frames: AsyncSequence & Sendable>(_ frames: Frames) -> AsyncThrowingStream<UnlockProgress, Error>
        where Frames.Element == TimedFrame {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    for try await f in frames {
                        let step: UnlockProgress
                        do {
                            step = try await feed(frame: f.frame, timestampMs: f.timestampMs)
                        } catch WalletError.FaceNotUsable {
                            continue
                        }
                        continuation.yield(step)
                        if case .unlocked = step { break }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
