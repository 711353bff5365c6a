"""Dependencies point inward, and a package is entered only through its front door.

Why a test and not a convention: each rule below was broken once (the worker importing the API's
modules, ``app`` reaching into ``sandbox.job``, the settings read outside the settings class),
and nothing failed. The rules are checked on the source (``ast``), imports inside functions and
``TYPE_CHECKING`` blocks included, so a lazy import cannot hide a wrong arrow.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("app", "verifiers", "sandbox", "trainer_client")

# The audiences of ``app``, each a package: the HTTP layer (what the worker must never load) and
# the operator's tools behind the CLI (what neither the HTTP layer nor the worker may load).
HTTP_PACKAGE = "app.http"
TOOLS_PACKAGE = "app.tools"


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


HTTP_LIBRARIES = frozenset({"fastapi", "starlette", "uvicorn"})

# Who may read the process environment, and why. Everything else gets its configuration passed in.
ENV_READERS = {
    "app/settings.py": "the one settings class (pydantic-settings reads ARBITER_* here)",
    "sandbox/inside/child_process.py": "runs inside the sandbox, stdlib-only, before exec: it hands the "
    "program a minimal environment (PATH, LANG, HOME) taken from the sandbox's own",
}
# Packages only the GRPO script (trainer_client/grpo*.py) may import: the `grpo` extra's heavy ones.
HEAVY = frozenset({"torch", "transformers", "trl", "datasets", "accelerate", "peft", "vllm", "deepspeed"})


@dataclass(frozen=True, slots=True)
class Import:
    path: str  # relative to the repository root
    line: int
    module: str  # absolute dotted name
    names: tuple[str, ...]  # ``from module import names``; empty for ``import module``
    top_level: bool  # runs when the module is imported (not inside a function, not TYPE_CHECKING)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST, top_level: bool) -> Iterator[tuple[ast.AST, bool]]:
    for child in ast.iter_child_nodes(node):
        yield child, top_level
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            yield from _walk(child, False)
        elif isinstance(child, ast.If) and _is_type_checking(child):
            for sub in child.body:
                yield sub, False
                yield from _walk(sub, False)
            for sub in child.orelse:
                yield sub, top_level
                yield from _walk(sub, top_level)
        else:
            yield from _walk(child, top_level)


def _imports(path: Path) -> list[Import]:
    rel = str(path.relative_to(ROOT))
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    out = []
    for node, top in _walk(ast.parse(path.read_text(), rel), True):
        if isinstance(node, ast.Import):
            out += [Import(rel, node.lineno, a.name, (), top) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, module] if module else base)
            out.append(Import(rel, node.lineno, module, tuple(a.name for a in node.names), top))
    return out


def _sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


IMPORTS = {str(p.relative_to(ROOT)): _imports(p) for pkg in PACKAGES for p in _sources(pkg)}


def _all_of(package: str) -> set[str]:
    tree = ast.parse((ROOT / package / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return set(ast.literal_eval(node.value))
    raise AssertionError(f"{package}/__init__.py has no literal __all__")


def _top(module: str) -> str:
    return module.split(".")[0]


def _in(path: str, *packages: str) -> bool:
    return path.split("/")[0] in packages


def test_the_scan_sees_every_package_and_lazy_imports() -> None:
    # The rules below are only as good as the scan: it must find modules and function-level imports.
    assert all(any(_in(p, pkg) for p in IMPORTS) for pkg in PACKAGES)
    lazy = [i for i in IMPORTS["app/worker/process.py"] if not i.top_level]
    assert any(i.module == "verifiers" for i in lazy), lazy


@pytest.mark.parametrize("package", ["verifiers", "sandbox"])
def test_the_core_knows_nothing_of_the_service(package: str) -> None:
    forbidden = {"app", "fastapi", "starlette", "redis", "pydantic", "pydantic_settings", "trainer_client"}
    forbidden |= {"sandbox"} if package == "verifiers" else {"verifiers"}
    bad = [i for p, imps in IMPORTS.items() if _in(p, package) for i in imps if _top(i.module) in forbidden]
    assert bad == []


# The README's package table, column "may import" (besides the standard library and itself).
MAY_IMPORT = {
    "verifiers": {"sympy", "latex2sympy2_extended"},
    # "inside": sandbox/inside/runner.py run as a script in the sandbox imports its own folder by
    # that name (the folder beside it), not a third-party package
    "sandbox": {"docker", "inside"},
}


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_the_core_imports_only_its_declared_dependencies(package: str) -> None:
    allowed = sys.stdlib_module_names | MAY_IMPORT[package] | {package}
    bad = [i for p, imps in IMPORTS.items() if _in(p, package) for i in imps if _top(i.module) not in allowed]
    assert bad == []


def test_the_trainer_client_is_light() -> None:
    # A separate distribution (clients/python/pyproject.toml: httpx only): it never imports the
    # service's packages, and only the GRPO script touches the heavy training stack.
    bad = []
    for path, imps in IMPORTS.items():
        if not _in(path, "trainer_client"):
            continue
        grpo = Path(path).name.startswith("grpo")
        for i in imps:
            top = _top(i.module)
            if top in {"app", "verifiers", "sandbox"} or (not grpo and top in HEAVY):
                bad.append(i)
            elif (
                not grpo and i.top_level and top not in sys.stdlib_module_names | {"httpx", "trainer_client"}
            ):
                bad.append(i)  # an optional dependency must load lazily, where it is used
    assert bad == []


def test_app_enters_verifiers_and_sandbox_only_through_their_front_doors() -> None:
    exported = {pkg: _all_of(pkg) for pkg in ("verifiers", "sandbox")}
    bad = []
    for path, imps in IMPORTS.items():
        if not _in(path, "app"):
            continue
        for i in imps:
            pkg = _top(i.module)
            if pkg not in exported:
                continue
            if i.module != pkg:
                bad.append(f"{path}:{i.line} imports {i.module} (use `from {pkg} import ...`)")
            else:
                bad += [
                    f"{path}:{i.line} {pkg}.{n} is not in {pkg}.__all__"
                    for n in i.names
                    if n not in exported[pkg]
                ]
    assert bad == []


@pytest.mark.parametrize("package", ["verifiers", "sandbox"])
def test_every_exported_name_is_defined(package: str) -> None:
    module = __import__(package)
    assert [n for n in sorted(_all_of(package)) if not hasattr(module, n)] == []


def _reads_environment(path: Path) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and node.attr in {
            "environ",
            "environb",
            "getenv",
            "putenv",
            "unsetenv",
        }:
            if isinstance(node.value, ast.Name) and node.value.id in {"os", "posix"}:
                lines.append(node.lineno)
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module in {"os", "posix"}
            and any(a.name in {"environ", "environb", "getenv"} for a in node.names)
        ):
            lines.append(node.lineno)
    return lines


def test_only_the_settings_class_reads_the_environment() -> None:
    readers = {
        str(p.relative_to(ROOT)): lines
        for pkg in PACKAGES
        for p in _sources(pkg)
        if (lines := _reads_environment(p))
    }
    assert set(readers) <= set(ENV_READERS), readers
    pydantic_settings = [
        p for p, imps in IMPORTS.items() for i in imps if _top(i.module) == "pydantic_settings"
    ]
    assert set(pydantic_settings) <= {"app/settings.py"}


def test_the_environment_scan_can_fail(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("import os\nfrom os import getenv\ndef f():\n    return os.environ.get('X')\n")
    assert _reads_environment(probe) == [2, 4]


def _app_module_imports(module: str) -> set[str]:
    """The ``app`` modules ``module`` imports directly (lazy imports included)."""
    path = ROOT / Path(*module.split("."))
    file = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    out = set()
    for i in IMPORTS[str(file.relative_to(ROOT))]:
        if _top(i.module) != "app":
            continue
        # ``from app.queue import redis_streams`` names a submodule; ``from app.x import f`` a name
        for n in i.names:
            sub = f"{i.module}.{n}"
            if (ROOT / Path(*sub.split("."))).with_suffix(".py").exists():
                out.add(sub)
        out.add(i.module)
    return out


# The operator CLI is one command for every role (``arbiter serve`` / ``arbiter worker``), so it
# imports the HTTP layer lazily, in the ``serve`` branch; ``python -m app.worker`` delegates to it.
# The walk stops there; ``test_a_worker_process_loads_no_http_module`` checks what really loads.
_WORKER_WALK_STOPS = frozenset({"app.cli"})


def _worker_modules() -> list[str]:
    return [
        _module_name(p) for part in ("worker", "queue") for p in sorted((ROOT / "app" / part).rglob("*.py"))
    ]


def test_the_worker_never_imports_the_http_layer_or_the_tools() -> None:
    # Every app module the worker side reaches (lazy imports included), walked transitively.
    reached = _reach(_worker_modules(), _WORKER_WALK_STOPS)
    seen = set(reached)
    parent = {module: importer for module, importer in reached.items() if importer}
    assert {
        "app.worker.executor",
        "app.composition",
        "app.results",
        "app.queue.redis_streams",
    } <= seen  # the walk reached them
    chains = []
    for module in sorted(m for m in seen if _inside(m, HTTP_PACKAGE) or _inside(m, TOOLS_PACKAGE)):
        chain = [module]
        while chain[-1] in parent and len(chain) < 20:
            chain.append(parent[chain[-1]])
        chains.append(" <- ".join(chain))
    http_libraries = sorted(
        f"{p}:{i.line} {i.module}"
        for p, imps in IMPORTS.items()
        if _module_name(ROOT / p) in seen - _WORKER_WALK_STOPS
        for i in imps
        if _top(i.module) in HTTP_LIBRARIES
    )
    assert (chains, http_libraries) == ([], [])


def test_a_worker_process_loads_no_http_or_tools_module() -> None:
    # What a worker process really imports: the worker, its executor and lifecycle, and the CLI
    # it is started through, up to (not including) building the executor's pools.
    code = (
        "import sys\n"
        "import app.cli, app.worker, app.worker.executor, app.composition, app.results, app.queue.redis_worker\n"
        f"bad = sorted(m for m in sys.modules if m.startswith(({HTTP_PACKAGE!r}, {TOOLS_PACKAGE!r}))"
        f" or m.split('.')[0] in {sorted(HTTP_LIBRARIES)!r})\n"
        "print(','.join(bad))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


def _reach(roots: list[str], stops: frozenset[str] = frozenset()) -> dict[str, str]:
    """Every ``app`` module reachable from ``roots`` (lazy imports included), each with who imports it."""
    parent: dict[str, str] = {}
    todo = list(roots)
    seen: set[str] = set()
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        if module in stops:
            continue
        for dep in sorted(_app_module_imports(module)):
            parent.setdefault(dep, module)
            todo.append(dep)
    return {m: parent.get(m, "") for m in seen}


def test_the_http_layer_never_imports_the_tools_or_the_cli() -> None:
    # The API explains answers with ``app.explanation`` (shared), never with the CLI's code.
    roots = [_module_name(p) for p in _sources("app/http")]
    reached = _reach(roots)
    assert "app.service" in reached and "app.results" in reached  # the walk went past the package
    bad = sorted(f"{m} <- {reached[m]}" for m in reached if _inside(m, TOOLS_PACKAGE) or m == "app.cli")
    assert bad == []


def test_the_audience_walk_can_fail() -> None:
    # The CLI reaches both audiences (``serve`` and ``score``): the walk must see that.
    reached = _reach(["app.cli"])
    assert any(_inside(m, HTTP_PACKAGE) for m in reached)
    assert any(_inside(m, TOOLS_PACKAGE) for m in reached)
