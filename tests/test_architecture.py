"""The rules of docs/architecture.md, checked on the source.

Which room may import which, which rooms stay free of torch and the
OpenMMLab stack at module level, and how each layer lets messages out. A
new import or message that breaks a rule fails here, naming the file and
the line, instead of waiting for a reader to notice.
"""
import ast
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / 'mmseg_pixdiva'

#: Rooms (sub-packages; the ``datasets``, ``evaluation``, ``models`` and
#: ``engine`` sub-folders are rooms of their own) and the rooms each may
#: import besides itself, as docs/architecture.md draws them.
MAY_IMPORT = {
    'core': set(),
    'utils': {'core'},
    'compat': {'utils'},
    'datasets': {'core', 'utils'},
    'evaluation': {'core', 'utils'},
    'fileio': {'core', 'utils'},
    'visualization': {'evaluation', 'core', 'utils'},
    'datasets/samplers': {'datasets', 'core', 'utils'},
    'datasets/transforms': {'datasets', 'core', 'utils'},
    'models/utils': set(),
    'models/losses': {'models/utils', 'core'},
    'models/segmentors': {'models/utils', 'evaluation', 'core'},
    'models': {'models/utils', 'models/losses', 'models/segmentors'},
    'evaluation/metrics': {'evaluation', 'core', 'utils'},
    'engine/hooks': {'visualization', 'datasets', 'datasets/samplers',
                     'core', 'utils'},
    'engine/optimizers': {'core', 'utils'},
    'engine/runner': {'datasets', 'datasets/samplers', 'core', 'utils'},
    'engine': {'engine/hooks', 'engine/optimizers', 'engine/runner'},
    'apis': {'datasets', 'datasets/transforms', 'compat', 'utils', 'core'},
    'registration': {'datasets', 'datasets/samplers', 'datasets/transforms',
                     'engine', 'evaluation/metrics', 'models'},
    'version': set(),
    '': {'compat', 'version'},  # the package __init__
}

#: Rooms that must load without torch, mmcv, mmengine or mmseg.
PURE_ROOMS = ('core', 'utils', 'datasets', 'evaluation', 'fileio',
              'visualization', 'version', '')
HEAVY = ('torch', 'mmcv', 'mmengine', 'mmseg')
#: The registered classes of a pure room (the datasets), which subclass
#: mmseg's and are imported only through the registries.
REGISTERED_IN_PURE_ROOMS = {'datasets/hisdb.py',
                            'datasets/paired_blue_channel.py'}

#: The command-line modules: they alone print and exit.
CLI_MODULES = {'evaluation/layout_cli.py', 'utils/errors.py'}
#: Modules that run in a runner and still warn (a page a hook leaves out).
WARNING_HOOKS = {'engine/hooks/page_hook_base.py',
                 'engine/hooks/test_pictures_hook.py'}

SPLIT_ROOMS = ('datasets', 'evaluation', 'models', 'engine')


def room_of(module: Path) -> str:
    """The room of a module or package folder of the package."""
    parts = module.relative_to(PACKAGE).parts
    if parts[-1] == '__init__.py':
        parts = parts[:-1]
    elif parts[-1].endswith('.py'):
        parts = parts[:-1] + (parts[-1][:-3], )
    if not parts:
        return ''
    if parts[0] in SPLIT_ROOMS and len(parts) > 1 and \
            (PACKAGE / parts[0] / parts[1]).is_dir():
        return f'{parts[0]}/{parts[1]}'
    return parts[0]


def modules() -> List[Path]:
    return sorted(PACKAGE.rglob('*.py'))


def resolve(module: Path, node: ast.ImportFrom) -> List[Path]:
    """The package files an import statement names."""
    if node.level:
        base = module.parent
        for _ in range(node.level - 1):
            base = base.parent
    elif node.module and node.module.split('.')[0] == PACKAGE.name:
        base = PACKAGE.parent
    else:
        return []
    target = base.joinpath(*(node.module or '').split('.')) \
        if node.module else base
    if target.with_suffix('.py').is_file():
        return [target.with_suffix('.py')]
    if not (target / '__init__.py').is_file():
        return []
    found = []
    for alias in node.names:  # ``from package import module``
        sub = target / alias.name
        if sub.with_suffix('.py').is_file():
            found.append(sub.with_suffix('.py'))
        elif (sub / '__init__.py').is_file():
            found.append(sub / '__init__.py')
        else:
            found.append(target / '__init__.py')
    return found


def package_imports(module: Path) -> Iterator[Tuple[int, Path]]:
    tree = ast.parse(module.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for target in resolve(module, node):
                yield node.lineno, target
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split('.')
                if parts[0] != PACKAGE.name or len(parts) == 1:
                    continue
                target = PACKAGE.parent.joinpath(*parts)
                yield node.lineno, (target.with_suffix('.py')
                                    if target.with_suffix('.py').is_file()
                                    else target / '__init__.py')


def calls(module: Path) -> Iterator[Tuple[int, str]]:
    """``(line, dotted name)`` of every call in ``module``."""
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.Call):
            name = node.func
            dotted = []
            while isinstance(name, ast.Attribute):
                dotted.append(name.attr)
                name = name.value
            if isinstance(name, ast.Name):
                dotted.append(name.id)
                yield node.lineno, '.'.join(reversed(dotted))


def test_every_room_is_known():
    rooms = {room_of(module) for module in modules()}
    assert rooms <= set(MAY_IMPORT), rooms - set(MAY_IMPORT)


def test_rooms_import_only_the_rooms_below_them():
    wrong = []
    for module in modules():
        room = room_of(module)
        for line, target in package_imports(module):
            other = room_of(target)
            if other != room and other not in MAY_IMPORT[room]:
                wrong.append(f'{module.relative_to(PACKAGE)}:{line}: '
                             f'{room or "package"} imports {other}')
    assert not wrong, '\n'.join(wrong)


def module_level(nodes) -> Iterator[ast.stmt]:
    """Statements run when a module is imported: the body, and what lies
    in its ``if`` / ``try`` / ``with`` blocks, not function bodies."""
    for node in nodes:
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for field in ('body', 'orelse', 'finalbody', 'handlers'):
            yield from module_level(getattr(node, field, []))


def test_pure_rooms_load_without_the_stack():
    """Module-level imports only: functions may import torch lazily."""
    wrong = []
    for module in modules():
        if room_of(module) not in PURE_ROOMS or str(
                module.relative_to(PACKAGE)) in REGISTERED_IN_PURE_ROOMS:
            continue
        for node in module_level(ast.parse(module.read_text()).body):
            names = [alias.name for alias in node.names] \
                if isinstance(node, ast.Import) else \
                [node.module or ''] if isinstance(node, ast.ImportFrom) \
                and not node.level else []
            for name in names:
                if name.split('.')[0] in HEAVY:
                    wrong.append(f'{module.relative_to(PACKAGE)}:'
                                 f'{node.lineno}: imports {name}')
    assert not wrong, '\n'.join(wrong)


@pytest.mark.parametrize('call, allowed', [
    ('print', CLI_MODULES),
    ('sys.exit', CLI_MODULES),
])
def test_only_the_command_line_prints_and_exits(call, allowed):
    wrong = [f'{module.relative_to(PACKAGE)}:{line}: {call}()'
             for module in modules() for line, name in calls(module)
             if name == call and
             str(module.relative_to(PACKAGE)) not in allowed]
    assert not wrong, '\n'.join(wrong)


def test_code_in_a_runner_logs_rather_than_warns():
    """Modules that import the stack at module level run inside mmengine's
    runner: their messages go to its log (print_log), where the run's other
    messages are; the page hooks alone also warn."""
    wrong = []
    for module in modules():
        relative = str(module.relative_to(PACKAGE))
        if room_of(module) in PURE_ROOMS or relative in WARNING_HOOKS:
            continue
        wrong += [f'{relative}:{line}: {name}()'
                  for line, name in calls(module)
                  if name in ('warnings.warn', 'warn')]
    assert not wrong, '\n'.join(wrong)


def test_the_checker_sees_a_broken_rule(tmp_path):
    """The rules can fail: an import upwards is found."""
    module = PACKAGE / 'utils' / 'atomic.py'
    node = ast.parse('from ..datasets import pairing').body[0]
    [target] = resolve(module, node)
    assert room_of(target) == 'datasets'
    assert 'datasets' not in MAY_IMPORT[room_of(module)]


def test_imports_inside_blocks_are_module_level():
    tree = ast.parse('try:\n    import torch\nexcept ImportError:\n'
                     '    pass\ndef f():\n    import mmseg\n')
    imported = [alias.name for node in module_level(tree.body)
                if isinstance(node, ast.Import) for alias in node.names]
    assert imported == ['torch']
