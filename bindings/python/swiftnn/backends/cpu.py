"""swiftnn.backends.cpu: the CPU's vector instruction set in use, as torch.backends.cpu."""
from .._lib import lib as _lib


def get_cpu_capability() -> str:
    """"AVX512" or "AVX2" ("DEFAULT" off x86-64): the kernels the engine's products use
    (snn_cpu_capability in swiftnn.h). SWIFTNN_NO_AVX512 in the environment gives "AVX2"; it
    is read once, at the first recurrent layer or the first call of this function. Results
    have the same bits either way."""
    capability: bytes = _lib.snn_cpu_capability()
    return capability.decode()
