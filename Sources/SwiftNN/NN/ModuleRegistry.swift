// Rebuilding modules from their architecture JSON (checkpoint metadata): one builder per type.

public enum ModuleRegistry {
    public typealias Builder = @Sendable (_ config: JSON) throws -> Module

    nonisolated(unsafe) private static var builders: [String: Builder] = [:]
    private static let lock = Lock()
    nonisolated(unsafe) private static var installedBuiltins = false

    /// Registers (or replaces) the builder for `type`.
    public static func register(_ type: String, _ builder: @escaping Builder) {
        lock.withLock { builders[type] = builder }
    }

    /// Parses architecture JSON (checkpoint metadata). Each level of module nesting is two
    /// levels of JSON (a module object, its "children" array) and a leaf's config adds two, so
    /// the JSON limit follows `Module.maxNesting`; the parser is linear and uses no stack.
    public static func parse(_ text: String, what: String) throws -> JSON {
        try JSON.parse(Array(text.utf8), what: what, maxDepth: 2 * Module.maxNesting + 4,
                       depthNote: " (modules nest at most \(Module.maxNesting) deep)")
    }

    /// Makes a freshly initialised module from `architecture`.
    public static func build(_ architecture: JSON) throws -> Module {
        try build(architecture, depth: 1)
    }

    private static func build(_ architecture: JSON, depth: Int) throws -> Module {
        guard depth <= Module.maxNesting else {
            throw SNNError(.format, "architecture: modules nest deeper than the limit of \(Module.maxNesting)")
        }
        installBuiltins()
        guard let type = architecture["type"]?.string else {
            throw SNNError(.format, "architecture: missing \"type\" in \(architecture.serialized.prefix(200))")
        }
        if type == "Sequential" {
            guard let kids = architecture["children"]?.array else { throw SNNError(.format, "architecture: Sequential without children") }
            return try Sequential(named: kids.map { k in
                guard let n = k["name"]?.string else { throw SNNError(.format, "architecture: child without a name") }
                return (n, try build(k, depth: depth + 1))
            })
        }
        guard let b = lock.withLock({ builders[type] }) else {
            throw SNNError(.unsupported, "architecture: unknown module type '\(type)'")
        }
        return try b(architecture["config"] ?? .object([]))
    }

    /// Installs `builtinTables` (the layers' and the models' tables, assembled in
    /// Models/Models+Registry.swift) before the first lookup.
    static func installBuiltins() {
        lock.withLock {
            if installedBuiltins { return }
            installedBuiltins = true
            for table in builtinTables {
                for (n, b) in table { builders[n] = b }
            }
        }
    }
}

/// Typed reads of a layer's config with messages that say which field is wrong.
public struct ConfigReader {
    let json: JSON
    let type: String

    public init(_ json: JSON, _ type: String) { self.json = json; self.type = type }

    public func int(_ k: String, _ d: Int? = nil) throws -> Int {
        if let v = json[k]?.number, v == v.rounded(), abs(v) < 1e15 { return Int(v) }
        if let d, json[k] == nil || json[k] == .null { return d }
        throw SNNError(.format, "architecture: \(type).\(k) is missing or not an integer")
    }

    public func ints(_ k: String, _ d: [Int]? = nil) throws -> [Int] {
        if let a = json[k]?.array {
            return try a.map { v in
                guard let x = v.number, x == x.rounded(), abs(x) < 1e15 else { throw SNNError(.format, "architecture: \(type).\(k) has a non-integer") }
                return Int(x)
            }
        }
        if let d { return d }
        throw SNNError(.format, "architecture: \(type).\(k) is missing or not a list")
    }

    public func double(_ k: String, _ d: Double? = nil) throws -> Double {
        if let v = json[k]?.number { return v }
        if let d { return d }
        throw SNNError(.format, "architecture: \(type).\(k) is missing or not a number")
    }

    public func bool(_ k: String, _ d: Bool? = nil) throws -> Bool {
        if case let .bool(b)? = json[k] { return b }
        if let d { return d }
        throw SNNError(.format, "architecture: \(type).\(k) is missing or not a boolean")
    }

    public func string(_ k: String, _ d: String? = nil) throws -> String {
        if let s = json[k]?.string { return s }
        if let d { return d }
        throw SNNError(.format, "architecture: \(type).\(k) is missing or not a string")
    }
}

extension JSON {
    static func ints(_ v: [Int]) -> JSON { .array(v.map { .number(Double($0)) }) }
    static func int(_ v: Int) -> JSON { .number(Double(v)) }
}

extension JSON {
    /// A Float as the shortest decimal that reads back to it (0.2, not 0.20000000298...).
    static func float(_ v: Float) -> JSON { .number(Double(String(v)) ?? Double(v)) }
}
