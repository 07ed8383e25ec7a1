"""Import a tool script of ``tools/`` as a module (to call its ``main``
in-process: fast, and its errors are captured by ``capsys``)."""
import importlib.util
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[2] / 'tools'


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(
        f'pixdiva_tool_{name}', TOOLS / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
