// Errors of the engine. Every failure is a value with a status and a message that names the
// function, the shapes involved and what was expected; the C boundary turns it into a status code.

/// Status codes shared with the C header (`snn_status`). Values are part of the ABI: only append.
public enum Status: Int32, Sendable {
    case ok = 0
    case invalidArgument = 1
    case invalidHandle = 2
    case shapeMismatch = 3
    case dtypeMismatch = 4
    case outOfRange = 5
    case outOfMemory = 6
    case io = 7
    case format = 8
    case unsupported = 9
    case autograd = 10
    case internalError = 11
}

/// The one error type the engine throws.
public struct SNNError: Error, CustomStringConvertible, Sendable {
    public let status: Status
    public let message: String

    public init(_ status: Status, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { message }

    static func invalid(_ message: String) -> SNNError { SNNError(.invalidArgument, message) }
    static func shape(_ message: String) -> SNNError { SNNError(.shapeMismatch, message) }
    static func dtype(_ message: String) -> SNNError { SNNError(.dtypeMismatch, message) }
    static func range(_ message: String) -> SNNError { SNNError(.outOfRange, message) }
}

/// Formats a shape the way PyTorch prints it: `[2, 3, 4]`.
@inline(__always)
func fmt(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
