"""The shape of the package: small functions, no import cycles, rooms that import only downstream, a line on top of
every file (docs/architecture.md)."""
import ast
import os
import os.path as osp
from collections import defaultdict

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
PACKAGE = osp.join(REPO, 'highlight_plugin')
MAX_LINES = 60  # a function's body, its docstring left out
MAX_PARAMS = 8  # self / cls left out

# the rooms a room may import (at module level or inside functions): the data's way, one direction
ALLOWED = {
    'engine': {'weights'},  # the runner's load_from and the test tool take zoo names
    'media': {'engine'},
    'weights': {'engine', 'features'},  # converters are registered beside the networks whose files they read
    'datasets': {'engine'},
    'evaluation': {'engine'},
    'models': {'engine', 'datasets'},
    'features': {'engine', 'media', 'weights'},
    'decoding': {'engine', 'datasets'},  # the class names of a dataset's label map
    'analysis': {'engine', 'media'},
    'render': {'engine', 'media', 'analysis'},
    'review': {'engine', 'media', 'analysis', 'render', 'apis', 'weights', 'decoding'},
    'apis': {'engine', 'media', 'weights', 'datasets', 'models', 'evaluation', 'features', 'decoding', 'analysis',
             'render'},
}


def _modules():
    for root, _, files in os.walk(PACKAGE):
        for name in sorted(files):
            if name.endswith('.py'):
                path = osp.join(root, name)
                with open(path) as f:
                    yield path, ast.parse(f.read(), path)


def _registered(cls: ast.ClassDef) -> bool:
    """A class built from configs by a registry (``@X.register_module()``): its __init__ takes the config's keys."""
    return any('register_module' in ast.unparse(d) for d in cls.decorator_list)


def _functions(tree):
    """``(qualified name, node, exempt)`` of every function; the __init__ of registered classes is exempt."""
    out = []

    def visit(node, prefix, registered):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, f'{prefix}{child.name}.', _registered(child))
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                out.append((prefix + child.name, child, registered and child.name == '__init__'))
                visit(child, f'{prefix}{child.name}.', False)
    visit(tree, '', False)
    return out


def _body_lines(fn) -> int:
    body = fn.body
    first = body[0]
    if isinstance(first, ast.Expr) and isinstance(getattr(first, 'value', None), ast.Constant) and len(body) > 1:
        first = body[1]
    return fn.end_lineno - first.lineno + 1


def _params(fn) -> int:
    a = fn.args
    return len([x for x in a.posonlyargs + a.args + a.kwonlyargs if x.arg not in ('self', 'cls')])


def test_functions_are_small():
    too_big = []
    for path, tree in _modules():
        for name, fn, exempt in _functions(tree):
            if exempt:
                continue
            lines, params = _body_lines(fn), _params(fn)
            if lines > MAX_LINES or params > MAX_PARAMS:
                too_big.append(f'{osp.relpath(path, REPO)}:{fn.lineno} {name}: {lines} lines, {params} parameters')
    assert not too_big, '\n'.join(too_big)


def _imports(path, tree):
    """The package modules ``path`` imports (module level and inside functions)."""
    package = osp.relpath(osp.dirname(path), REPO).replace(os.sep, '.')
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split('.')[:len(package.split('.')) - node.level + 1]
                mod = '.'.join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ''
            if mod.startswith('highlight_plugin'):
                found.add(mod)
                found.update(f'{mod}.{a.name}' for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith('highlight_plugin'))
    return found


def _module_name(path):
    rel = osp.relpath(path, REPO)[:-3].replace(os.sep, '.')
    return rel[:-len('.__init__')] if rel.endswith('.__init__') else rel


def test_rooms_import_only_downstream():
    wrong = []
    for path, tree in _modules():
        parts = _module_name(path).split('.')
        if len(parts) < 2 or parts[1] not in ALLOWED:
            continue
        room = parts[1]
        for mod in sorted(_imports(path, tree)):
            other = mod.split('.')[1] if mod.count('.') else None
            if other in ALLOWED and other != room and other not in ALLOWED[room]:
                wrong.append(f'{osp.relpath(path, REPO)} ({room}) imports {mod}')
    assert not wrong, '\n'.join(wrong)


def test_no_import_cycles():
    """Module-level imports between the package's modules form no cycle (imports inside functions are left out:
    they run after every module is loaded)."""
    names = {}
    graph = defaultdict(set)
    trees = dict(_modules())
    for path in trees:
        names[_module_name(path)] = path
    for path, tree in trees.items():
        me = _module_name(path)
        top = ast.Module(body=[n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))], type_ignores=[])
        for mod in _imports(path, top):
            if mod in names and mod != me and not me.startswith(mod + '.'):
                graph[me].add(mod)
    cycles, state = [], {}

    def visit(node, stack):
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(' -> '.join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2
    for node in sorted(names):
        if node not in state:
            visit(node, [node])
    assert not cycles, '\n'.join(cycles)


@pytest.mark.parametrize('folder', ['highlight_plugin', 'tools', 'benchmarks'])
def test_every_file_says_what_it_is_for(folder):
    missing = []
    for root, _, files in os.walk(osp.join(REPO, folder)):
        for name in files:
            if name.endswith('.py') and not (name == '__init__.py' and not open(osp.join(root, name)).read()):
                with open(osp.join(root, name)) as f:
                    tree = ast.parse(f.read())
                if not ast.get_docstring(tree):
                    missing.append(osp.relpath(osp.join(root, name), REPO))
    assert not missing, 'no docstring on top: ' + ', '.join(missing)
