"""Load mmengine checkpoints under torch>=2.6 without disabling weights_only.

torch>=2.6 loads with ``weights_only=True`` by default and mmengine 0.10.7
calls ``torch.load`` without the argument, so a checkpoint written by the
runner (its ``message_hub`` holds ``HistoryBuffer`` objects and numpy arrays)
cannot be resumed or tested. Turning ``weights_only`` off would run arbitrary
pickle code from any file given to ``--resume`` or ``tools/test.py``. Instead we
replace mmengine's local-file loader with one that allow-lists exactly the
globals mmengine checkpoints contain, and refuses anything else with a message
naming the file and the global.
"""
import codecs
import os.path as osp
import pickle
from types import ModuleType
from typing import Any, List, Optional

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer

from ..utils.errors import InputError

# ``mmengine.runner.checkpoint`` is deliberately not imported at module level:
# ``import mmseg_pixdiva`` installs our loader from a hook that runs when that
# module finishes importing, and that hook imports this module. Importing
# mmengine.runner from here would fire the hook while this module is still
# half-initialised (a circular ImportError in a fresh interpreter).


# HistoryBuffer fills its class-level method table lazily, in __init__, so
# in a fresh process the table may still be empty: name the built-ins.
_BUILTIN_STATISTICS = frozenset({'min', 'max', 'current', 'mean'})


def history_buffer_getattr(obj: Any, name: str) -> Any:
    """``getattr`` restricted to HistoryBuffer's statistics methods.

    A pickled HistoryBuffer stores its statistics methods as
    ``getattr(HistoryBuffer, 'mean')``. Allowing the real ``getattr`` would
    let a crafted file walk from any allowed object to arbitrary code, so
    the unpickler gets this narrow stand-in under the name
    ``builtins.getattr``.
    """
    allowed = _BUILTIN_STATISTICS | set(HistoryBuffer._statistics_methods)
    if obj is HistoryBuffer and name in allowed:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'getattr({obj!r}, {name!r}) is not allowed in a checkpoint')


def mmengine_checkpoint_globals() -> List[Any]:
    """The globals an mmengine training checkpoint may pickle.

    Returns:
        list: Classes and functions safe to unpickle (no code execution),
        some as ``(stand-in, 'module.name')`` pairs.
    """
    multiarray = np._core.multiarray if hasattr(np, '_core') \
        else np.core.multiarray
    dtypes = [type(np.dtype(t)) for t in (
        np.float16, np.float32, np.float64, np.int8, np.int16, np.int32,
        np.int64, np.uint8, np.uint16, np.uint32, np.uint64, np.bool_)]
    return [HistoryBuffer, multiarray._reconstruct, multiarray.scalar,
            np.ndarray, np.dtype,
            *dtypes, (codecs.encode, '_codecs.encode'),
            (history_buffer_getattr, 'builtins.getattr')]


class UnsafeCheckpointError(InputError, pickle.UnpicklingError):
    """A checkpoint needs globals outside the mmengine allow-list."""


class CorruptCheckpointError(InputError, ValueError):
    """A checkpoint file is corrupt, truncated or not a torch checkpoint."""


# Phrases of torch's weights-only unpickler when the pickle is well formed but
# asks for something outside the allow-list (ours included); any other
# unpickling failure means the byte stream itself is broken.
_REFUSAL_MARKERS = ('GLOBAL ', 'unrecognized function', 'Can only create new',
                    'Can only build', 'is not allowed in a checkpoint',
                    'must be imported to load')

# RuntimeErrors torch raises for a damaged file (zip reader, legacy format);
# other RuntimeErrors (e.g. a CUDA checkpoint without a GPU) are not damage.
_DAMAGE_MARKERS = ('PytorchStreamReader', 'EOF', 'corrupt', 'magic number',
                   'zip archive')


def _torch_detail(error: BaseException) -> str:
    """Torch's own reason for a failure, without its weights_only advice.

    torch wraps unpickler errors in advice to retry with
    ``weights_only=False``, which is exactly wrong for an untrusted or
    damaged file, so only the underlying reason is kept.

    Args:
        error (BaseException): The exception raised by :func:`torch.load`.

    Returns:
        str: ``'<ExceptionType>: <reason>'``.
    """
    message = str(error).split('\n\nCheck the documentation of torch.load')[0]
    if isinstance(error, pickle.UnpicklingError):
        message = message.split('WeightsUnpickler error: ')[-1]
        message = message.rsplit('\n\n', 1)[-1]
    return f'{type(error).__name__}: {message.strip()}'


def _corrupt(filename: str, error: BaseException) -> CorruptCheckpointError:
    return CorruptCheckpointError(
        f'Cannot load checkpoint {filename}: the file is corrupt or truncated '
        f'(or not a torch checkpoint at all). torch said: '
        f'{_torch_detail(error)}')


def load_from_local_safely(filename: str,
                           map_location: Optional[Any] = None) -> Any:
    """Load a local checkpoint with ``weights_only=True`` and an allow-list.

    Args:
        filename (str): Path of the checkpoint file.
        map_location: Passed to :func:`torch.load`.

    Returns:
        The loaded checkpoint (usually a dict).

    Raises:
        FileNotFoundError: If the file does not exist.
        UnsafeCheckpointError: If the file pickles anything beyond what
            mmengine checkpoints contain.
        CorruptCheckpointError: If the file is damaged (random bytes,
            truncated download, half-written save).
        RuntimeError: If torch fails for another reason (e.g. a CUDA
            checkpoint without ``map_location`` on a CPU-only machine); the
            message names the file.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    with torch.serialization.safe_globals(mmengine_checkpoint_globals()):
        try:
            return torch.load(
                filename, map_location=map_location, weights_only=True)
        except (OSError, MemoryError):
            # Not the file's content: the OS errors already name the file.
            raise
        except pickle.UnpicklingError as error:
            if not any(marker in str(error) for marker in _REFUSAL_MARKERS):
                raise _corrupt(filename, error) from None
            raise UnsafeCheckpointError(
                f'Refusing to load checkpoint {filename}: it contains objects '
                'outside the allow-list of mmengine checkpoints (tensors, '
                'numpy arrays, HistoryBuffer), so loading it would execute '
                f'arbitrary pickle code. torch said: {error}') from None
        except RuntimeError as error:
            if any(marker in str(error) for marker in _DAMAGE_MARKERS):
                raise _corrupt(filename, error) from None
            raise RuntimeError(
                f'Cannot load checkpoint {filename}: {error}') from error
        except Exception as error:  # noqa: BLE001
            # A damaged pickle stream can break the unpickler in any way
            # (KeyError, IndexError, UnicodeDecodeError, struct.error, ...).
            raise _corrupt(filename, error) from None


def install_safe_checkpoint_loader(module: Optional[ModuleType] = None
                                   ) -> None:
    """Make mmengine's local-file scheme use :func:`load_from_local_safely`.

    Args:
        module (ModuleType, optional): ``mmengine.runner.checkpoint``, as
            :func:`~mmseg_pixdiva.compat.apply_compat_shims` passes it;
            imported here if not given.
    """
    # Imported here, not at the top: see the note below the imports.
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local_safely, force=True)
