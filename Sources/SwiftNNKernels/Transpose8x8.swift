// An 8x8 block of floats transposed in registers: the inner step of packing a matrix's rows as
// panel columns (packPanels(transposed:)), which element by element was 12% of a padded 3x3
// convolution's backward (a 576 x 1024 patch matrix per image, one scalar store per float).

/// Transposes the 8x8 block held in r0 ... r7 (row i in ri) in place: three rounds, each
/// exchanging one bit of the row index with the same bit of the lane index between pairs of
/// rows (rows i and i | b for b = 1, 2, 4), every new row one two-source shuffle.
@_transparent
public func transpose8x8(_ r0: inout SIMD8<Float>, _ r1: inout SIMD8<Float>, _ r2: inout SIMD8<Float>,
                         _ r3: inout SIMD8<Float>, _ r4: inout SIMD8<Float>, _ r5: inout SIMD8<Float>,
                         _ r6: inout SIMD8<Float>, _ r7: inout SIMD8<Float>) {
    swapBit1(&r0, &r1); swapBit1(&r2, &r3); swapBit1(&r4, &r5); swapBit1(&r6, &r7)
    swapBit2(&r0, &r2); swapBit2(&r1, &r3); swapBit2(&r4, &r6); swapBit2(&r5, &r7)
    swapBit4(&r0, &r4); swapBit4(&r1, &r5); swapBit4(&r2, &r6); swapBit4(&r3, &r7)
}

// Rows i (a) and i | b (b): a keeps its lanes whose bit is clear and takes b's lanes one bit
// lower; b keeps its lanes whose bit is set and takes a's one bit higher. Written lane by lane
// so that LLVM emits one shuffle per row (as `evens` in Im2ColPanels.swift).

@_transparent
@usableFromInline func swapBit1(_ a: inout SIMD8<Float>, _ b: inout SIMD8<Float>) {
    let (x, y) = (a, b)
    a = SIMD8(x[0], y[0], x[2], y[2], x[4], y[4], x[6], y[6])
    b = SIMD8(x[1], y[1], x[3], y[3], x[5], y[5], x[7], y[7])
}

@_transparent
@usableFromInline func swapBit2(_ a: inout SIMD8<Float>, _ b: inout SIMD8<Float>) {
    let (x, y) = (a, b)
    a = SIMD8(x[0], x[1], y[0], y[1], x[4], x[5], y[4], y[5])
    b = SIMD8(x[2], x[3], y[2], y[3], x[6], x[7], y[6], y[7])
}

@_transparent
@usableFromInline func swapBit4(_ a: inout SIMD8<Float>, _ b: inout SIMD8<Float>) {
    let (x, y) = (a, b)
    a = SIMD8(x[0], x[1], x[2], x[3], y[0], y[1], y[2], y[3])
    b = SIMD8(x[4], x[5], x[6], x[7], y[4], y[5], y[6], y[7])
}
