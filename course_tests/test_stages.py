"""The tooling's house by stage: every module in a stage's sub-package, no folder of more than a
dozen modules, imports that run one way (a stage imports only what its docstring's "May import"
names, all of them stages below it), and no circle between modules."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import penguin_course

PACKAGE = Path(penguin_course.__file__).parent
MAX_MODULES = 12


def modules(package: Path) -> dict[str, Path]:
    """Every module of the package, by dotted name (a sub-package by its __init__)."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def run_time_nodes(tree: ast.AST):
    """Every node of ``tree`` but those under ``if TYPE_CHECKING:`` (imports for type hints only)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            continue
        yield node
        yield from run_time_nodes(node)


def imports(path: Path, names: set[str]) -> set[str]:
    """The package's modules that ``path`` imports when it runs, at its top or inside a function."""
    found = set()
    for node in run_time_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name in names}


def stage_of(module: str) -> str:
    """The stage a module belongs to: its sub-package (the package itself for its entry points)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] not in ("__main__", "bench") else ""


def allowed_imports(docstring: str) -> list[str]:
    """The stages a sub-package's docstring says it may import ("May import: ``a``, ``b``.")."""
    match = re.search(r"May import: (.*)", docstring or "")
    if match is None:
        return []
    if "every other stage" in match.group(1):
        return ["*"]
    return re.findall(r"``(\w+)``", match.group(1))


def problems(package: Path, stages: tuple[str, ...], entry_points: tuple[str, ...]) -> list[str]:
    """What breaks the house's rules in ``package`` (empty if nothing does)."""
    found = modules(package)
    name = package.name
    found_problems = []
    # every module lives in a stage, and no stage holds more than a dozen
    for module in found:
        parts = module.split(".")
        if len(parts) == 2 and parts[1] not in entry_points and parts[1] not in stages:
            found_problems.append(f"{module} is in no stage's sub-package")
        if len(parts) > 3:
            found_problems.append(f"{module} is nested deeper than a stage")
    for stage in stages:
        count = sum(1 for module in found if module.startswith(f"{name}.{stage}."))
        if count > MAX_MODULES:
            found_problems.append(f"{stage} holds {count} modules, more than {MAX_MODULES}")
        if f"{name}.{stage}" not in found:
            found_problems.append(f"{stage} is not a sub-package of {name}")
    # a stage imports only what its docstring allows, and only stages below it
    rank = {stage: index for index, stage in enumerate(stages)}
    allowed = {}
    for stage in stages:
        path = found.get(f"{name}.{stage}")
        docstring = ast.get_docstring(ast.parse(path.read_text())) if path else ""
        if "May import:" not in (docstring or ""):
            found_problems.append(f"{name}.{stage} has no docstring saying what it may import")
        said = allowed_imports(docstring)
        below = set(stages[:rank[stage]])
        allowed[stage] = below if said == ["*"] else set(said)
        found_problems += [f"{name}.{stage}'s docstring allows importing {other}, which is not below it"
                           for other in said if other != "*" and other not in below]
    graph = {module: imports(path, set(found)) for module, path in found.items()}
    for module, imported in sorted(graph.items()):
        stage = stage_of(module)
        if not stage:
            continue
        for other in sorted(imported):
            target = stage_of(other)
            if target and target != stage and target not in allowed[stage]:
                found_problems.append(f"{module} ({stage}) imports {other} ({target}), which {stage} may not import")
            if not target and other != name:
                found_problems.append(f"{module} ({stage}) imports the entry point {other}")
    # no circle
    state: dict[str, int] = {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for other in sorted(graph[module]):
            if other == module or other == name or module.startswith(f"{other}."):
                continue
            if state.get(other) == 1:
                found_problems.append("a circle: " + " -> ".join(trail[trail.index(other):] + [other]))
            elif other not in state:
                visit(other, trail + [other])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    return found_problems


def test_the_tooling_keeps_its_house_by_stage():
    assert problems(PACKAGE, penguin_course.STAGES, penguin_course.ENTRY_POINTS) == []


def test_every_stage_and_module_says_what_it_is_for():
    for module, path in modules(PACKAGE).items():
        assert ast.get_docstring(ast.parse(path.read_text())), f"{module} has no docstring"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_the_check_finds_an_upward_import_a_circle_and_a_loose_module(tmp_path):
    package = tmp_path / "toy"
    write(package / "__init__.py", '"""Toy."""\n')
    write(package / "low" / "__init__.py", '"""Low.\n\nMay import: nothing else.\n"""\n')
    write(package / "high" / "__init__.py", '"""High.\n\nMay import: ``low``.\n"""\n')
    write(package / "low" / "a.py", '"""A."""\nfrom toy.high import b\n')  # upward
    write(package / "high" / "b.py", '"""B."""\nfrom toy.high import c\n')
    write(package / "high" / "c.py", '"""C."""\nif TYPE_CHECKING:\n    from toy.low import a\n'
                                    'def f():\n    from toy.high import b\n')  # a circle, lazily
    write(package / "loose.py", '"""Loose."""\n')
    found = problems(package, ("low", "high"), ())
    assert "toy.low.a (low) imports toy.high.b (high), which low may not import" in found
    assert any(problem.startswith("a circle: toy.high.b -> toy.high.c -> toy.high.b") for problem in found)
    assert "toy.loose is in no stage's sub-package" in found
    write(package / "low" / "a.py", '"""A."""\n')
    write(package / "high" / "c.py", '"""C."""\n')
    write(package / "low" / "__init__.py", '"""Low.\n\nMay import: ``high``.\n"""\n')
    write(package / "loose.py", "")
    (package / "loose.py").unlink()
    assert problems(package, ("low", "high"), ()) == ["toy.low's docstring allows importing high, which is not below it"]


def test_the_readme_table_names_every_module_under_its_stage():
    readme = (PACKAGE.parent / "README.md").read_text()
    table = readme[readme.index("### The tooling"):].split("\n## ", 1)[0]
    listed, stage = set(), ""
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) != 3 or not cells[1].startswith("`"):
            continue
        if cells[0]:  # a row that starts a stage ("`course`: ..."), or the entry points
            stage = cells[0].split("`")[1] if cells[0].startswith("`") else ""
        listed.add(".".join(filter(None, [PACKAGE.name, stage, cells[1].strip("`")])))
    actual = {module for module in modules(PACKAGE) if module.count(".") == 2 or stage_of(module) == ""} - {PACKAGE.name}
    assert listed == actual
