// swift-tools-version: 6.0
// SwiftNN: a neural-network engine in Swift, shipped as libswiftnn.so with a C header.
// The shipping library is built by the Makefile (static Swift runtime, snn_* exports only);
// docs/library.md says why those flags live in the Makefile and not here.
import PackageDescription

// Hot loops need AVX2/FMA or `addProduct` becomes a libm call; guard by host architecture
// so the package still builds elsewhere. -Ounchecked only for validated raw-pointer kernels.
// -fno-math-errno: the stdlib's square root is C's __builtin_sqrtf, which with errno kept
// is one scalar sqrtss per lane plus a libm call on NaN, so SIMD8's squareRoot() never became
// vsqrtps (Adam's step was bound by it: 2.9 ms a step for the DQN's 1.7M parameters on one
// thread). Without errno it is one instruction, correctly rounded as before: same bits.
let noErrno: SwiftSetting = .unsafeFlags(["-Xcc", "-fno-math-errno"])
#if arch(x86_64)
let kernelFlags: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", "haswell"]), noErrno,
    .unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
]
let engineFlags: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"]), noErrno]
// Only this module's code may use AVX-512; it runs where snn_cpu_has_avx512() says it can.
let avx512KernelFlags: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", "skylake-avx512"]), noErrno,
    .unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
]
#else
let kernelFlags: [SwiftSetting] = [noErrno, .unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
let engineFlags: [SwiftSetting] = [noErrno]
let avx512KernelFlags = kernelFlags
#endif

let package = Package(
    name: "SwiftNN",
    products: [
        .library(name: "SwiftNN", targets: ["SwiftNN"]),
        .library(name: "swiftnn", type: .dynamic, targets: ["SwiftNNC"]),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CSwiftNN", path: "Sources/CSwiftNN"),
        .systemLibrary(name: "CCPUFeatures", path: "Sources/CCPUFeatures"),
        .systemLibrary(name: "CTranspose", path: "Sources/CTranspose"),
        .systemLibrary(name: "CDepthwise", path: "Sources/CDepthwise"),
        // JPEG through libjpeg-turbo, dlopen'ed at run time (Sources/CJPEG/jpeg_shim.h).
        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG"),
        .target(name: "SwiftNNKernelsAVX512", swiftSettings: avx512KernelFlags),
        .target(name: "SwiftNNKernels", dependencies: ["CBLAS", "CCPUFeatures", "CTranspose", "CDepthwise",
                                                       "SwiftNNKernelsAVX512"],
                swiftSettings: kernelFlags),
        .target(name: "SwiftNN", dependencies: ["SwiftNNKernels", "CBLAS", "CJPEG"], swiftSettings: engineFlags),
        .target(name: "SwiftNNC", dependencies: ["SwiftNN", "CSwiftNN"], swiftSettings: engineFlags),
        .executableTarget(name: "bench-kernels", dependencies: ["SwiftNNKernels"], path: "bench/kernels",
                          swiftSettings: engineFlags),
        .testTarget(name: "SwiftNNTests", dependencies: ["SwiftNN", "SwiftNNC", "SwiftNNKernels"], resources: []),
    ]
)
