// idwallet's logs in the unified logging system (Console.app, `log stream`).
import Foundation
import os

/// Sends idwallet's events to `os_log` under subsystem `org.idwallet`, one category per core
/// area (`idwallet::net`, `idwallet::face`…). Events carry no personal data; they are logged
/// `.public` so they are readable in sysdiagnoses.
public final class OSLogSink: LogSink, @unchecked Sendable {
    private let subsystem: String
    private var loggers: [String: Logger] = [:]
    private let lock = NSLock()

    public init(subsystem: String = "org.idwallet") { self.subsystem = subsystem }

    /// Install as idwallet's log sink at `maxLevel` and more severe (once, at app start).
    @discardableResult
    public static func install(maxLevel: LogLevel = .info) -> Bool {
        setLogSink(sink: OSLogSink(), maxLevel: maxLevel)
    }

    public func log(level: LogLevel, target: String, message: String) {
        let logger = lock.withLock {
            if let l = loggers[target] { return l }
            let l = Logger(subsystem: subsystem, category: target)
            loggers[target] = l
            return l
        }
        switch level {
        case .error: logger.error("\(message, privacy: .public)")
        case .warn: logger.warning("\(message, privacy: .public)")
        case .info: logger.info("\(message, privacy: .public)")
        case .debug: logger.debug("\(message, privacy: .public)")
        case .trace: logger.trace("\(message, privacy: .public)")
        }
    }
}
