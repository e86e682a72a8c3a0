// Vector accumulation used by gradient accumulation and optimizers: dst += alpha * src.
// Callers validate lengths; this loop runs with -Ounchecked in release builds.

@inlinable
public func axpy(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int, alpha: Float = 1) {
    var i = 0
    let a = SIMD8<Float>(repeating: alpha)
    while i &+ 8 <= n {
        let d = UnsafeMutableRawPointer(dst + i).loadUnaligned(as: SIMD8<Float>.self)
        let s = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(dst + i).storeBytes(of: d.addingProduct(a, s), as: SIMD8<Float>.self)
        i &+= 8
    }
    while i < n {
        dst[i] += alpha * src[i]
        i &+= 1
    }
}
