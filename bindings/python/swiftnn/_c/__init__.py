"""C signatures, one module per header area; each defines SIGNATURES = {name: argtypes}.
Every function returns snn_status (int)."""
