// Errors of the engine. Every failure is a value with a status and a message that names the
// function, the shapes involved and what was expected; the C boundary turns it into a status code.

/// What went wrong, as the C header's `snn_status` names it. The numeric codes live only in
/// the header: the C boundary maps each case to its SNN_* constant by name.
public enum Status: Sendable {
    case invalidArgument
    case invalidHandle
    case shapeMismatch
    case dtypeMismatch
    case outOfRange
    case outOfMemory
    case io
    case format
    case unsupported
    case autograd
    case internalError
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
