"""How golden ops of the "inplace" area are called from Python: PyTorch's own spelling of
tools/golden/inplace.py, with augmented assignment and t[...] = v where PyTorch users write them."""


def _x(a):
    return a * 1  # a non-leaf copy: in-place ops on it are recorded, not refused


def _chain(p, q):
    x = _x(p)
    x *= 2
    x += 1
    x *= q
    x.sub_(q, alpha=0.25)
    return x.tanh_()


def _view_write(p, q):
    x = p.clone()
    x.t()[1] *= 3            # augmented assignment on a view writes through to x
    x[:, ::2] += q
    x[2] = -1                # __setitem__ with a scalar
    x[:, 0] = x[:, 3]        # __setitem__ with an overlapping tensor
    return x


def _view_contiguous(p):
    t = p.transpose(0, 1)
    return t.contiguous(), t[1:, ::2].contiguous(), p.expand(2, 3, 4).contiguous()


OPS = {
    "add_": lambda x, a: _x(x[0]).add_(x[1], alpha=float(a["alpha"])),
    "sub_": lambda x, a: _x(x[0]).sub_(x[1], alpha=float(a["alpha"])),
    "mul_": lambda x, a: _x(x[0]).mul_(x[1]),
    "div_": lambda x, a: _x(x[0]).div_(x[1]),
    "pow_": lambda x, a: _x(x[0]).pow_(x[1]),
    "pow_scalar_": lambda x, a: _x(x[0]).pow_(float(a["exponent"])),
    "clamp_": lambda x, a: _x(x[0]).clamp_(float(a["min"]), float(a["max"])),
    "neg_": lambda x, a: _x(x[0]).neg_(),
    "exp_": lambda x, a: _x(x[0]).exp_(),
    "relu_": lambda x, a: _x(x[0]).relu_(),
    "sigmoid_": lambda x, a: _x(x[0]).sigmoid_(),
    "tanh_": lambda x, a: _x(x[0]).tanh_(),
    "fill_": lambda x, a: _x(x[0]).fill_(float(a["value"])),
    "zero_": lambda x, a: _x(x[0]).zero_(),
    "copy_": lambda x, a: _x(x[0]).copy_(x[1]),
    "chain": lambda x, a: _chain(x[0], x[1]),
    "view_write": lambda x, a: _view_write(x[0], x[1]),
    "view_contiguous": lambda x, a: _view_contiguous(x[0]),
}
