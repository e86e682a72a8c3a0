// Unaligned 8-lane loads and stores shared by the kernels (full and partial forms).

@inline(__always)
func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
func store8(_ p: UnsafeMutablePointer<Float>, _ v: SIMD8<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// Loads `count` floats (all 8 when count >= 8), the missing lanes set to `fill`.
@inline(__always)
func load8(_ p: UnsafePointer<Float>, _ count: Int, fill: Float = 0) -> SIMD8<Float> {
    if count >= 8 { return load8(p) }
    var v = SIMD8<Float>(repeating: fill)
    for k in 0..<count { v[k] = p[k] }
    return v
}

/// Stores the first `count` lanes (all 8 when count >= 8).
@inline(__always)
func store8(_ p: UnsafeMutablePointer<Float>, _ v: SIMD8<Float>, _ count: Int) {
    if count >= 8 { store8(p, v); return }
    for k in 0..<count { p[k] = v[k] }
}

/// dst[0..<n] = src[0..<n] with a vector loop for short runs (a plane's 56-float row, 9 floats
/// of an RGB stem's window row), where memmove's call costs more than the copy; memmove above
/// 256 floats.
@inline(__always)
func copyShort(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
    if n >= 256 { dst.update(from: src, count: n); return }
    var i = 0
    while i &+ 8 <= n { store8(dst + i, load8(src + i)); i &+= 8 }
    while i < n { dst[i] = src[i]; i &+= 1 }
}
