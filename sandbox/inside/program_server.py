"""The program's side of an assert-style test: answer the harness's calls, over data only.

Why the program only serves: the test code and its verdict live in the harness, another process
(see ``harness``). Here the program is run as usual, then this loop answers requests on the channel
until the harness closes it: look names up in the program's globals, call a function or a method,
read an attribute, step an iterator (a batch of items at a time). Values go back as data (``codec``); anything that is not data
(a ``Solution()`` instance, a bound method, a generator) stays here and travels as a handle
number. Nothing here is trusted: the program may replace all of it, and gains nothing by that,
since the harness believes only data and judges it with its own code.
"""

from __future__ import annotations

import contextlib
import types
from typing import Any

from . import channel, codec

__all__ = ["serve"]

_MAX_ERROR_CHARS = 1000
_MAX_TAKE = 4096


class _Handles:
    def __init__(self) -> None:
        self.objects: list[object] = []

    def add(self, value: object) -> int:
        self.objects.append(value)
        return len(self.objects) - 1

    def get(self, number: object) -> Any:
        if type(number) is not int or not 0 <= number < len(self.objects):
            raise codec.CodecError(f"no handle {number!r}")
        return self.objects[number]


def fatal(fd: int, exc: BaseException) -> None:
    """Tell the harness the program failed before serving (best effort)."""
    with contextlib.suppress(BaseException):
        channel.send(fd, {"fatal": type(exc).__name__, "message": str(exc)[:_MAX_ERROR_CHARS]})


def serve(namespace: dict[str, Any], fd: int, limit_bytes: int = channel.MESSAGE_LIMIT_BYTES) -> None:
    """Answer requests until the harness closes the channel; MemoryError and SystemExit propagate."""
    handles = _Handles()
    classes: frozenset[str] = frozenset()

    def out(value: object) -> dict[str, Any]:
        return codec.encode(value, classes=classes, handle=handles.add)

    def into(data: object) -> Any:
        shared = {name: cls for name in classes if isinstance(cls := namespace.get(name), type)}
        return codec.decode(data, classes=shared, handle=handles.get)

    while True:
        try:
            request = channel.receive(fd, limit_bytes)
        except channel.ChannelClosed:
            return
        if not isinstance(request, dict):
            return
        seq, op = request.get("seq"), request.get("op")
        response: dict[str, Any] = {"seq": seq}
        try:
            if op == "lookup":
                classes = frozenset(str(c) for c in request.get("classes", ()))
                response["names"] = {
                    str(n): _lookup(namespace, str(n), out) for n in request.get("names", ())
                }
            elif op == "call":
                target = handles.get(request.get("h"))
                args = into(request.get("args"))
                kwargs = into(request.get("kwargs"))
                response["value"] = out(target(*args, **kwargs))
                if any(_mutable(a) for a in (*args, *kwargs.values())):
                    response["args"] = out([args, kwargs])  # in-place changes go back, as data
            elif op == "getattr":
                response["value"] = out(getattr(handles.get(request.get("h")), str(request.get("name"))))
            elif op == "iter":
                response["value"] = out(iter(handles.get(request.get("h"))))
            elif op == "take":  # up to n items of an iterator at once (fewer round trips)
                iterator = handles.get(request.get("h"))
                count = request.get("n")
                items: list[object] = []
                try:
                    while len(items) < (count if type(count) is int and 0 < count <= _MAX_TAKE else 1):
                        items.append(next(iterator))
                except StopIteration:
                    response["stop"] = True
                except MemoryError:
                    raise
                except Exception as exc:  # raised after the items taken so far
                    response["then_raise"] = [type(exc).__name__, str(exc)[:_MAX_ERROR_CHARS]]
                response["value"] = out(items)
            else:
                response["raise"] = ["ProtocolError", f"unknown op {str(op)[:40]!r}"]
        except MemoryError:
            raise
        except Exception as exc:
            response = {"seq": seq, "raise": [type(exc).__name__, str(exc)[:_MAX_ERROR_CHARS]]}
        channel.send(fd, response, limit_bytes)


def _mutable(value: object) -> bool:
    return isinstance(value, (list, dict, set, bytearray)) or hasattr(value, "__dict__")


def _lookup(namespace: dict[str, Any], name: str, out: Any) -> Any:
    if name not in namespace:
        return None
    value = namespace[name]
    if isinstance(value, types.ModuleType):
        return {"module": str(getattr(value, "__name__", ""))}
    return {"value": out(value)}
