"""Values as data: what may cross between the test harness and the program.

Why a codec of our own and not pickle: the harness must receive *data*, never an object whose
methods the program wrote (an always-equal ``__eq__``, a lying ``__bool__``). A decoded value is
made only of builtin types (None, bool, int, float, complex, str, bytes, list, tuple, dict, set,
frozenset), ``collections.deque``, ``decimal.Decimal``, ``fractions.Fraction``, instances of the
classes the *decoding* side names as shared (LeetCode's ``ListNode``/``TreeNode`` from the dataset's
preamble: rebuilt as the receiver's own class with plain attributes) and opaque handles.

Format (JSON): ``{"root": ref, "nodes": [...]}``. A ref is a JSON atom (null, bool, int, float,
str) or ``[index]`` into ``nodes``. Nodes: ``["l", refs]`` list, ``["q", refs]`` deque, ``["d",
[[k, v], ...]]`` dict, ``["o", class, [[attr, v], ...]]`` object (these four are mutable and may
form cycles), ``["t", refs]`` tuple, ``["S", refs]`` set, ``["F", refs]`` frozenset, ``["b",
hex]`` bytes, ``["B", hex]`` bytearray, ``["c", re, im]`` complex, ``["D", text]`` Decimal,
``["Q", num, den]`` Fraction, ``["I", hex]`` an integer of 2**53 or more in size, ``["h", id]``
handle. An immutable node refers only to mutable
nodes or to immutable nodes before it, so decoding is three flat passes: no recursion, whatever
the depth or length (a linked list of a million nodes decodes like a list).
"""

from __future__ import annotations

import collections
import decimal
import fractions
import numbers
from collections.abc import Callable, Container, Mapping
from typing import Any

__all__ = ["CodecError", "decode", "encode"]

_MAX_IMMUTABLE_DEPTH = 400
_INLINE_INT = 2**53
_HEX = frozenset("0123456789abcdef")
_MUTABLE = frozenset("lqdo")
_IMMUTABLE = frozenset("tSF")
_LEAF = frozenset("bBcDQhI")


class CodecError(ValueError):
    """A value that cannot travel as data, or data that is not a well-formed value."""


def encode(
    value: object, *, classes: Container[str], handle: Callable[[object], int] | None = None
) -> dict[str, Any]:
    """``value`` as data. Instances of classes named in ``classes`` travel as objects; anything
    else that is not data becomes ``handle(value)`` (CodecError without ``handle``)."""
    return _Encoder(classes, handle).run(value)


class _Encoder:
    def __init__(self, classes: Container[str], handle: Callable[[object], int] | None) -> None:
        self._classes = classes
        self._handle = handle
        self.nodes: list[Any] = []
        self._memo: dict[int, list[int]] = {}
        self._pending: list[tuple[int, object]] = []

    def run(self, value: object) -> dict[str, Any]:
        root = self.ref(value, 0)
        while self._pending:
            index, item = self._pending.pop()
            self.nodes[index] = self._fill(item)
        return {"root": root, "nodes": self.nodes}

    def _add(self, node: list[Any], value: object | None = None) -> list[int]:
        self.nodes.append(node)
        ref = [len(self.nodes) - 1]
        if value is not None:
            self._memo[id(value)] = ref
        return ref

    def ref(self, value: object, depth: int) -> Any:
        if value is None or type(value) in (bool, str):
            return value
        if isinstance(value, bool):
            return bool(value)
        if isinstance(value, int):
            return _int_ref(self, int(value))
        if isinstance(value, float):
            return float(value)
        if isinstance(value, str):
            return str.__str__(value)
        known = self._memo.get(id(value))
        if known is not None:
            return known
        if isinstance(value, (list, dict, collections.deque)) or type(value).__name__ in self._classes:
            if not isinstance(value, (list, dict, collections.deque)) and not hasattr(value, "__dict__"):
                return self._opaque(value)
            ref = self._add(["?"], value)
            self._pending.append((ref[0], value))
            return ref
        if depth > _MAX_IMMUTABLE_DEPTH:
            raise CodecError("value nested too deeply")
        if isinstance(value, tuple):
            return self._add(["t", [self.ref(v, depth + 1) for v in tuple(value)]], value)
        if isinstance(value, frozenset):
            return self._add(["F", [self.ref(v, depth + 1) for v in value]], value)
        if isinstance(value, set):
            return self._add(["S", [self.ref(v, depth + 1) for v in value]], value)
        if isinstance(value, bytes):
            return self._add(["b", bytes(value).hex()])
        if isinstance(value, bytearray):
            return self._add(["B", bytes(value).hex()], value)
        if isinstance(value, complex):
            return self._add(["c", repr(value.real), repr(value.imag)])
        if isinstance(value, decimal.Decimal):
            return self._add(["D", str(value)])
        if isinstance(value, fractions.Fraction):
            return self._add(["Q", format(value.numerator, "x"), format(value.denominator, "x")])
        if isinstance(value, numbers.Integral):  # numpy integers and the like
            return _int_ref(self, int(value))
        if isinstance(value, numbers.Real):
            return float(value)
        return self._opaque(value)

    def _opaque(self, value: object) -> list[int]:
        if self._handle is None:
            raise CodecError(f"a {type(value).__name__} cannot travel as data")
        return self._add(["h", self._handle(value)], value)

    def _fill(self, value: object) -> list[Any]:
        if isinstance(value, list):
            return ["l", [self.ref(v, 0) for v in list(value)]]
        if isinstance(value, collections.deque):
            return ["q", [self.ref(v, 0) for v in list(value)]]
        if isinstance(value, dict):
            return ["d", [[self.ref(k, 0), self.ref(v, 0)] for k, v in dict.items(value)]]
        attributes = [[name, self.ref(v, 0)] for name, v in vars(value).items() if _attribute_ok(name)]
        return ["o", type(value).__name__, attributes]


def _int_ref(encoder: _Encoder, value: int) -> Any:
    """Small integers inline; big ones in hex (linear time both ways, and not subject to
    ``sys.set_int_max_str_digits``, which caps decimal conversion)."""
    if -_INLINE_INT < value < _INLINE_INT:
        return value
    return encoder._add(["I", format(value, "x")])


def _attribute_ok(name: object) -> bool:
    return isinstance(name, str) and name.isidentifier() and not name.startswith("__")


def decode(data: object, *, classes: Mapping[str, type], handle: Callable[[int], object]) -> object:
    """The value ``data`` describes, built only from builtins, ``classes`` and ``handle(id)``.

    Raises CodecError for anything malformed (never runs code the data names).
    """
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list) or "root" not in data:
        raise CodecError("not an encoded value")
    nodes: list[Any] = data["nodes"]
    values: list[Any] = [None] * len(nodes)
    built = [False] * len(nodes)

    def get(ref: object) -> object:
        if ref is None or type(ref) in (bool, int, float, str):
            return ref
        # mutable shells exist from pass 1, immutables only once built (children come first)
        if (
            type(ref) is list
            and len(ref) == 1
            and type(ref[0]) is int
            and 0 <= ref[0] < len(nodes)
            and built[ref[0]]
        ):
            return values[ref[0]]
        raise CodecError(f"bad reference {str(ref)[:40]}")

    try:
        for index, node in enumerate(nodes):  # pass 1: leaves and empty mutable shells
            if type(node) is not list or not node or type(node[0]) is not str:
                raise CodecError("bad node")
            tag = node[0]
            if tag in _MUTABLE:
                values[index] = _shell(node, classes)
                built[index] = True
            elif tag in _LEAF:
                values[index] = _leaf(node, handle)
                built[index] = True
            elif tag not in _IMMUTABLE:
                raise CodecError(f"unknown node {tag[:10]!r}")
        for index, node in enumerate(nodes):  # pass 2: immutables, children first
            if node[0] in _IMMUTABLE:
                items = _refs(node)
                children = [get(r) for r in items]
                kind = {"t": tuple, "S": set, "F": frozenset}[node[0]]
                values[index] = kind(children)
                built[index] = True
        for index, node in enumerate(nodes):  # pass 3: fill the mutable shells
            tag, target = node[0], values[index]
            if tag in ("l", "q"):
                target.extend(get(r) for r in _refs(node))
            elif tag == "d":
                for pair in _refs(node):
                    if type(pair) is not list or len(pair) != 2:
                        raise CodecError("bad dict item")
                    target[get(pair[0])] = get(pair[1])
            elif tag == "o":
                if len(node) != 3 or type(node[2]) is not list:
                    raise CodecError("bad object")
                for pair in node[2]:
                    if type(pair) is not list or len(pair) != 2 or not _attribute_ok(pair[0]):
                        raise CodecError("bad attribute")
                    setattr(target, pair[0], get(pair[1]))
        return get(data["root"])
    except CodecError:
        raise
    except (TypeError, ValueError, ArithmeticError, AttributeError, IndexError, KeyError) as exc:
        raise CodecError(f"malformed value: {type(exc).__name__}: {str(exc)[:200]}") from None


def _refs(node: list[Any]) -> list[Any]:
    if len(node) != 2 or type(node[1]) is not list:
        raise CodecError("bad container")
    return node[1]


def _shell(node: list[Any], classes: Mapping[str, type]) -> object:
    tag = node[0]
    if tag == "l":
        return []
    if tag == "q":
        return collections.deque()
    if tag == "d":
        return {}
    name = node[1] if len(node) > 1 else None
    cls = classes.get(name) if isinstance(name, str) else None
    if not isinstance(cls, type):
        raise CodecError(f"class {str(name)[:40]!r} is not shared")
    return object.__new__(cls)


def _leaf(node: list[Any], handle: Callable[[int], object]) -> object:
    tag, args = node[0], node[1:]
    if not all(type(a) is str for a in args) and tag != "h":
        raise CodecError("bad leaf")
    if tag == "I" and len(args) == 1 and len(args[0].lstrip("-")) > 0 and set(args[0].lstrip("-")) <= _HEX:
        return int(args[0], 16)
    if tag == "b" and len(args) == 1:
        return bytes.fromhex(args[0])
    if tag == "B" and len(args) == 1:
        return bytearray.fromhex(args[0])
    if tag == "c" and len(args) == 2:
        return complex(float(args[0]), float(args[1]))
    if tag == "D" and len(args) == 1:
        return decimal.Decimal(args[0])
    if tag == "Q" and len(args) == 2:
        return fractions.Fraction(int(args[0], 16), int(args[1], 16))
    if tag == "h" and len(args) == 1 and type(args[0]) is int:
        return handle(args[0])
    raise CodecError(f"bad {tag!r} node")
