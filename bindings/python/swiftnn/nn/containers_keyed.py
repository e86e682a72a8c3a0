"""nn.ModuleDict, nn.ParameterList and nn.ParameterDict: containers that register what they
hold under their keys (or indices), so that parameters(), state_dict() and optimizers see it
with PyTorch's names (`heads.cls.weight`, `scales.0`)."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterable, Iterator, Mapping, Optional, Tuple, Union, cast

from ..tensor import Tensor
from .modules import Module, Parameter


def _pairs(values: Any, what: str) -> Iterable[Tuple[str, Any]]:
    if isinstance(values, (OrderedDict, dict, Mapping)) or hasattr(values, "keys"):
        return list(values.items())
    out = []
    for j, kv in enumerate(values):
        if not isinstance(kv, (tuple, list)) or len(kv) != 2:
            raise ValueError(f"{what} update sequence element #{j} should be a key-value pair")
        out.append((kv[0], kv[1]))
    return out


class ModuleDict(Module):
    """An ordered dict of submodules, registered under their keys."""

    def __init__(self, modules: Optional[Any] = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return cast(Module, self._modules[key])  # None only where add_module(name, None) put one, as torch

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def add_module(self, name: str, module: Optional[Module]) -> None:
        """Registers `module` under `name` (a string without '.')."""
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {type(name).__name__}")
        if "." in name:
            raise KeyError(f'module name can\'t contain ".", got: {name}')
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._modules[name] = module

    def clear(self) -> None:
        """Removes every module."""
        self._modules.clear()

    def pop(self, key: str) -> Module:
        """Removes and returns the module under `key`."""
        return cast(Module, self._modules.pop(key))

    def keys(self) -> Iterable[str]:
        """The keys, in insertion order."""
        return self._modules.keys()

    def items(self) -> Iterable[Tuple[str, Module]]:
        """(key, module) pairs, in insertion order."""
        return cast("Iterable[Tuple[str, Module]]", self._modules.items())

    def values(self) -> Iterable[Module]:
        """The modules, in insertion order."""
        return cast(Iterable[Module], self._modules.values())

    def update(self, modules: Any) -> None:
        """Adds the modules of a mapping or of an iterable of (key, module) pairs."""
        for k, m in _pairs(modules, "ModuleDict"):
            self[k] = m


def _param(value: Any) -> Any:
    # PyTorch wraps a plain Tensor assigned into a ParameterList/Dict as a Parameter.
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value)
    return value


class ParameterList(Module):
    """A list of Parameters, registered as "0", "1", ..."""

    def __init__(self, values: Optional[Iterable[Any]] = None) -> None:
        super().__init__()
        self._size = 0
        if values is not None:
            self.extend(values)

    def __getitem__(self, idx: Union[int, slice]) -> Any:
        if isinstance(idx, slice):
            return ParameterList([self[i] for i in range(self._size)[idx]])
        if not -self._size <= idx < self._size:
            raise IndexError(f"index {idx} is out of range")
        return getattr(self, str(idx % self._size))

    def __setitem__(self, idx: int, param: Any) -> None:
        if not -self._size <= idx < self._size:
            raise IndexError(f"index {idx} is out of range")
        setattr(self, str(idx % self._size), _param(param))

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[Any]:
        return (self[i] for i in range(self._size))

    def append(self, value: Any) -> "ParameterList":
        """Adds one Parameter (a Tensor is wrapped as one) at the end."""
        value = _param(value)
        name = str(self._size)
        self._size += 1
        if isinstance(value, Parameter):
            self.register_parameter(name, value)
        else:
            setattr(self, name, value)
        return self

    def extend(self, values: Iterable[Any]) -> "ParameterList":
        """Appends every value."""
        for v in values:
            self.append(v)
        return self

    def extra_repr(self) -> str:
        """One line per parameter: its index, dtype and size."""
        return "\n".join(f"({i}): Parameter containing: [{p.dtype} of size {list(p.shape)}]"
                         for i, p in enumerate(self) if isinstance(p, Tensor))


class ParameterDict(Module):
    """An ordered dict of Parameters, registered under their keys."""

    _keys: OrderedDict[str, None]

    def __init__(self, parameters: Optional[Any] = None) -> None:
        super().__init__()
        object.__setattr__(self, "_keys", OrderedDict())
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    def __setitem__(self, key: str, value: Any) -> None:
        if not isinstance(key, str):
            raise TypeError(f"parameter name should be a string. Got {type(key).__name__}")
        self._keys[key] = None
        value = _param(value)
        if isinstance(value, Parameter):
            self.register_parameter(key, value)
        else:
            setattr(self, key, value)

    def __delitem__(self, key: str) -> None:
        del self._keys[key]
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def keys(self) -> Iterable[str]:
        """The keys, in insertion order."""
        return self._keys.keys()

    def items(self) -> Iterable[Tuple[str, Any]]:
        """(key, parameter) pairs, in insertion order."""
        return [(k, self[k]) for k in self._keys]

    def values(self) -> Iterable[Any]:
        """The parameters, in insertion order."""
        return [self[k] for k in self._keys]

    def pop(self, key: str) -> Any:
        """Removes and returns the parameter under `key`."""
        v = self[key]
        del self[key]
        return v

    def update(self, parameters: Any) -> None:
        """Adds the entries of a mapping or of an iterable of (key, parameter) pairs."""
        for k, v in _pairs(parameters, "ParameterDict"):
            self[k] = v
