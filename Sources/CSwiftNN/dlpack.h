/* The DLPack structs (github.com/dmlc/dlpack, include/dlpack/dlpack.h), unversioned
 * DLManagedTensor as in DLPack 0.x and still 1.x's default exchange, for the engine's producer
 * and consumer (Sources/SwiftNNC/ExportsDLPack.swift). Internal: the public header passes them
 * as void * so that callers may use their own copy of dlpack.h. Layout must not change. */
#ifndef SWIFTNN_INTERNAL_DLPACK_H
#define SWIFTNN_INTERNAL_DLPACK_H
#include <stdint.h>

typedef struct {
    int32_t device_type; /* kDLCPU = 1 */
    int32_t device_id;
} snn_dl_device;

typedef struct {
    uint8_t code;   /* kDLInt 0, kDLUInt 1, kDLFloat 2, kDLBool 6 */
    uint8_t bits;
    uint16_t lanes;
} snn_dl_data_type;

typedef struct {
    void *data;
    snn_dl_device device;
    int32_t ndim;
    snn_dl_data_type dtype;
    int64_t *shape;
    int64_t *strides; /* in elements; NULL: compact row-major */
    uint64_t byte_offset;
} snn_dl_tensor;

typedef struct snn_dl_managed_tensor {
    snn_dl_tensor dl_tensor;
    void *manager_ctx;
    void (*deleter)(struct snn_dl_managed_tensor *self);
} snn_dl_managed_tensor;

#endif
