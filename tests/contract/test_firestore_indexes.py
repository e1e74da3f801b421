"""``firestore.indexes.json`` declares every composite index the services' queries need.

The emulator serves any query, so this reads the queries out of the source: each
``Query(...)`` and each ``page(...)`` listing, with its filters and order. A query whose
collection cannot be read statically must be covered in some collection group.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

from archbuilder.adapters.gcp.indexes import IndexCatalog, required_index
from archbuilder.ports import Filter, Query
from tests.conftest import REPO_ROOT

SOURCE = REPO_ROOT / "shared" / "archbuilder"
ANY_GROUP = "*"


@dataclass(frozen=True)
class FoundQuery:
    where: str
    query: Query


def _literal(node: ast.AST | None) -> object:
    try:
        return ast.literal_eval(node) if node is not None else None
    except ValueError:
        return None


def _group(
    node: ast.AST | None, names: dict[str, ast.AST] | None = None, returns: dict[str, ast.AST] | None = None
) -> str:
    """The collection id of a collection expression, when the source shows it: a literal, an
    f-string, a local variable or module function that yields one, or a ``TenantPaths`` method."""
    names, returns = names or {}, returns or {}
    if isinstance(node, ast.Name) and node.id in names:
        return _group(names[node.id], {}, returns)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in returns:
        return _group(returns[node.func.id], {}, {})
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.rsplit("/", 1)[-1]
    if isinstance(node, ast.JoinedStr) and node.values:
        last = node.values[-1]
        if isinstance(last, ast.Constant) and isinstance(last.value, str) and "/" in last.value:
            return last.value.rsplit("/", 1)[-1]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr  # TenantPaths(...).projects() → projects
    return ANY_GROUP


def _filters(node: ast.AST | None) -> list[Filter]:
    out = []
    if isinstance(node, (ast.List, ast.Tuple)):
        for item in node.elts:
            if (
                isinstance(item, ast.Call)
                and getattr(item.func, "id", None) == "Filter"
                and len(item.args) >= 2
            ):
                field, op = _literal(item.args[0]), _literal(item.args[1])
                if isinstance(field, str) and isinstance(op, str):
                    out.append(Filter(field, op, None))  # type: ignore[arg-type]
    return out


def _orders(node: ast.AST | None) -> list[tuple[str, str]] | None:
    value = _literal(node)
    if value is None and node is not None:
        return None  # built from variables: found through its callers
    return [(str(f), str(d)) for f, d in (value or [])]  # type: ignore[union-attr]


def service_queries() -> list[FoundQuery]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        if "adapters" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        returns = {
            fn.name: ret.value
            for fn in ast.walk(tree)
            if isinstance(fn, ast.FunctionDef)
            for ret in ast.walk(fn)
            if isinstance(ret, ast.Return) and ret.value is not None
        }
        scopes = [fn for fn in ast.walk(tree) if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))]
        for scope in scopes:
            names = {
                t.id: a.value
                for a in ast.walk(scope)
                if isinstance(a, ast.Assign)
                for t in a.targets
                if isinstance(t, ast.Name)
            }
            for node in ast.walk(scope):
                if isinstance(node, ast.Call):
                    query = _query_of(node, names, returns)
                    if query is not None:
                        found.append(FoundQuery(f"{path.relative_to(REPO_ROOT)}:{node.lineno}", query))
    unique = {f.where: f for f in found}  # nested functions are walked twice
    return sorted(unique.values(), key=lambda f: f.where)


def _query_of(node: ast.Call, names: dict[str, ast.AST], returns: dict[str, ast.AST]) -> Query | None:
    name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
    kwargs = {k.arg: k.value for k in node.keywords}
    if name == "Query":
        collection = kwargs.get("collection", node.args[0] if node.args else None)
        orders = _orders(kwargs.get("order_by"))
        if orders is None:
            return None
        group = _group(collection, names, returns)
        return Query(group, where=_filters(kwargs.get("where")), order_by=orders)  # type: ignore[arg-type]
    if name == "page" and "order_field" in kwargs:
        field, direction = _literal(kwargs["order_field"]), _literal(kwargs.get("direction")) or "asc"
        collection = node.args[1] if len(node.args) > 1 else kwargs.get("collection")
        return Query(_group(collection, names, returns), order_by=[(str(field), direction)])  # type: ignore[list-item]
    return None


def _covered(catalog: IndexCatalog, query: Query) -> bool:
    needed = required_index(query)
    if needed is None:
        return True
    if needed.collection_group != ANY_GROUP:
        return catalog.covers(needed)
    return any(
        catalog.covers(type(needed)(declared.collection_group, needed.equality, needed.tail))
        for declared in catalog.indexes
    )


def test_the_scan_finds_the_services_queries() -> None:
    wheres = {f.where.split(":")[0] for f in service_queries()}
    # The listings every tenant uses: if these are not found, the scan is broken.
    assert "shared/archbuilder/services/projects.py" in wheres
    assert "shared/archbuilder/services/identity.py" in wheres


@pytest.mark.parametrize("found", service_queries(), ids=lambda f: f.where)
def test_every_service_query_has_its_index(found: FoundQuery) -> None:
    catalog = IndexCatalog.load(REPO_ROOT / "firestore.indexes.json")
    assert _covered(catalog, found.query), (
        f"{found.where}: add to firestore.indexes.json: {required_index(found.query).suggestion().to_json()}"  # type: ignore[union-attr]
    )


def test_index_rules() -> None:
    catalog = IndexCatalog.load(REPO_ROOT / "firestore.indexes.json")
    # Single-field and pure-equality queries need no composite index.
    assert required_index(Query("tenants/t/projects", order_by=[("created_at", "desc")])) is None
    assert (
        required_index(Query("api_keys", where=[Filter("tenant_id", "==", 1), Filter("a", "==", 2)])) is None
    )
    assert required_index(Query("x", where=[Filter("n", ">", 1)], order_by=[("n", "asc")])) is None
    # Equality plus order on another field does, and the declared one covers it.
    keys = Query("api_keys", where=[Filter("tenant_id", "==", "t")], order_by=[("created_at", "asc")])
    assert required_index(keys) is not None and catalog.check(keys) is None
    assert catalog.check(
        Query("api_keys", where=[Filter("tenant_id", "==", "t")], order_by=[("created_at", "desc")])
    )
    # A range on one field and an order on another.
    assert required_index(Query("x", where=[Filter("a", ">", 1)], order_by=[("b", "asc")])) is not None


def test_declared_ttl_fields_are_the_ones_the_adapter_writes() -> None:
    import json

    from archbuilder.adapters.gcp.firestore_store import EXPIRE_AT

    overrides = json.loads(Path(REPO_ROOT / "firestore.indexes.json").read_text())["fieldOverrides"]
    assert {o["fieldPath"] for o in overrides if o.get("ttl")} == {EXPIRE_AT}
