"""Segment every page of a folder and write the predictions in GT format.

    python tools/infer.py CONFIG CHECKPOINT INPUT_DIR OUTPUT_DIR \
        [--device cpu] [--cfg-options model.test_cfg.batch_windows=16] \
        [--label-values 1 2 4 8] [--overwrite] [--io-workers 1] \
        [--precision bfloat16] [--canvas]

    # The same on several processes (GPUs, or CPU processes) and machines:
    tools/dist_infer.sh CONFIG CHECKPOINT INPUT_DIR OUTPUT_DIR NPROC [flags]

For each image ``INPUT_DIR/<stem>.<ext>`` it writes ``OUTPUT_DIR/<stem>.png``:
an RGB PNG of the page's size whose blue channel holds the class encoding
(``label_values[class]``, e.g. the DIVA-HisDB bits) and red = green = 0, the
format of the GTs. No GT is needed: the config's test pipeline is used
without its annotation-loading step.

* Files that are not images are skipped with a warning.
* Each PNG is written atomically, so an interrupted run leaves no half-written
  file. ``OUTPUT_DIR/pixdiva_infer.json`` records the run (checkpoint
  SHA-256, model config, class encoding). Running again with the same
  settings continues where it stopped: a page whose output is a complete
  PNG of the page's size, written since the record was made, is skipped
  (``test_cfg`` settings of speed and memory, such as ``batch_windows``,
  may change in between). A folder holding another
  run's predictions, or PNGs of the pages that no run record accounts for
  (GTs, say), is refused before anything is written; ``--overwrite``
  redoes every page.
* ``'auto'`` values of the config (``num_classes``, ``mean``, ``std``,
  ``class_weight``) are taken from the config the checkpoint was trained
  with (the runner saves it in the checkpoint), else from the training data
  as ``tools/test.py`` does.
* A page that cannot be read is reported with its file name and the run goes
  on with the other pages; the exit status is then 1.
* The output folder may not be the input folder (a ``page.png`` beside
  ``page.jpg`` would be a second image of the page for every later run).
* Ctrl-C stops with one line saying how many pages are done and that the
  same command continues; exit status 130.
* The class encoding comes from ``--label-values``, else from the checkpoint
  (``meta.dataset_meta.label_values``, saved by the training runner), else
  from the config's dataset (``label_values`` or ``metainfo.label_values``).

How a page goes through (``docs/inference.md``):

* ``--io-workers N`` processes decode the next pages while the model works
  (at most one page ahead each), and a thread encodes and writes the
  predictions; ``--io-workers 0`` does both in turn in the main process.
* A ``MaxSlideEncoderDecoder`` with ``mode='slide'`` streams each page:
  windows run row by row, and every band of rows is turned into classes and
  handed to the writer as soon as no later window touches it, so memory
  holds the decoded page and about one window height of logits instead of
  a float copy of the page and a ``classes x H x W`` canvas. ``--canvas``
  uses the whole-page canvas instead (the same predictions; also used for
  models and pipelines that cannot stream).
* Under ``tools/dist_infer.sh`` (torchrun) the pages are split between the
  processes by pixel count, each page is written once by one process, rank
  0 keeps the run record and shows the progress of all processes, and a
  rerun of the same command continues after any process died.
"""
import argparse
import copy
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import mmseg_pixdiva  # noqa: E402,F401  (compat layer before mmseg/mmengine)
from mmseg_pixdiva.apis.page_loader import (  # noqa: E402
    LoadedPage, load_pages, split_test_pipeline)
from mmseg_pixdiva.datasets.pairing import (IMAGE_SUFFIXES,  # noqa: E402
                                            PairingError, pair_by_stem)
from mmseg_pixdiva.utils.errors import (InputError,  # noqa: E402
                                        exit_on_input_error, problem_list)
from mmseg_pixdiva.utils.output_guard import (  # noqa: E402
    refuse_foreign_files, refuse_input_folders, refuse_inputs)


#: Exit status after Ctrl-C (the shell's 128 + SIGINT).
INTERRUPTED = 130

#: The run record in the output folder (what wrote the predictions there).
RUN_RECORD = 'pixdiva_infer.json'


class InferError(InputError):
    """A problem with the inputs that stops the run before any work
    (printed as ``error: ...``, exit status 2, by :func:`main`'s wrapper)."""


class PageReadError(Exception):
    """One page cannot be read or segmented (the run continues)."""


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(
        description='Segment every image of a folder and write the '
        'predictions in GT format (blue channel = class encoding).')
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('input_dir', help='folder of page images')
    parser.add_argument('output_dir', help='folder for <stem>.png outputs')
    parser.add_argument(
        '--device', default=None,
        help='device, e.g. cpu or cuda:0 (default: cuda:0 if available)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, e.g. '
        'model.test_cfg.batch_windows=16')
    parser.add_argument(
        '--label-values', nargs='+', type=int, default=None,
        help='blue value of each class, in class order (default: from the '
        'checkpoint meta, else from the config dataset)')
    parser.add_argument(
        '--page-xml', action='store_true',
        help='also write <stem>.xml beside each PNG: PAGE XML 2019 with one '
        'region per area of each DIVA-HisDB class (tools/gt_to_page.py)')
    parser.add_argument(
        '--overwrite', action='store_true',
        help='segment every page again, even if its output is complete')
    parser.add_argument(
        '--io-workers', type=int, default=1, metavar='N',
        help='processes decoding pages ahead of the model, plus a thread '
        'writing predictions (default 1); 0 decodes and writes in turn in '
        'the main process')
    parser.add_argument(
        '--precision', choices=('float32', 'bfloat16', 'float16'),
        default=None,
        help='run the windows under autocast in this dtype (sets '
        'model.test_cfg.precision; default: the config\'s, float32)')
    parser.add_argument(
        '--canvas', action='store_true',
        help='merge windows into a whole-page canvas instead of streaming '
        'bands of rows (same predictions, more memory)')
    parser.add_argument(
        '--launcher', choices=('none', 'pytorch'), default='none',
        help='set by tools/dist_infer.sh (torchrun)')
    args = parser.parse_args(argv)
    if args.io_workers < 0:
        raise InferError(f'--io-workers must be 0 or more, got '
                         f'{args.io_workers}')
    return args


def list_pages(input_dir: Path, output_dir: Path) -> Tuple[List[Path],
                                                           List[Path]]:
    """Images of ``input_dir`` (sorted) and the other files skipped.

    Raises:
        InferError: Missing folder, no image, two images with the same stem
            (both would be written to ``<stem>.png``).
        OutputIsInputError: The output folder is the input folder, or an
            output would replace an input.
    """
    if not input_dir.is_dir():
        raise InferError(f'input folder {input_dir} does not exist or is '
                         'not a folder')
    if output_dir.exists() and not output_dir.is_dir():
        raise InferError(f'output folder {output_dir} exists and is not a '
                         'folder')
    # The dataset's own listing: the same suffixes, hidden files ignored,
    # and two images with one stem refused (both would be written to
    # <stem>.png).
    try:
        listed = pair_by_stem(str(input_dir), None)
    except PairingError as error:
        raise InferError(str(error)) from None
    pages = [Path(image) for _, image, _ in listed]
    chosen = set(pages)
    skipped = [path for path in sorted(input_dir.iterdir())
               if path.is_file() and path not in chosen
               and not path.name.startswith('.')]
    # Outputs in the input folder would sit beside the scans: page.png
    # beside page.jpg is a second image of that page for every later run,
    # and a PNG scan would be replaced by its own prediction.
    refuse_input_folders(output_dir, [('input', input_dir)])
    refuse_inputs((output_path(output_dir, page) for page in pages),
                  (('input image', page) for page in pages))
    return pages, skipped


def check_pages(pages: Sequence[Path]) -> List[Tuple[int, int]]:
    """Read every page's header before the model is loaded: an empty,
    truncated or unreadable image stops the run, all of them named, before
    anything is written.

    Returns:
        list[tuple[int, int]]: ``(width, height)`` of each page.

    Raises:
        InferError: Listing every page that cannot be segmented.
    """
    from mmseg_pixdiva.datasets.file_checks import check_file_complete
    problems, sizes = [], []
    for page in pages:
        try:
            check_file_complete(str(page), 'page')
            sizes.append(page_size(page))
        except (InputError, PageReadError) as error:
            problems.append(str(error))
    if len(problems) == 1:
        raise InferError(problems[0])
    if problems:
        raise InferError(problem_list(f'{len(problems)} pages cannot be read',
                                      problems))
    return sizes


def output_path(output_dir: Path, page: Path) -> Path:
    from mmseg_pixdiva.utils.gt_format import gt_format_path
    return gt_format_path(output_dir, page)


def page_size(path: Path) -> Tuple[int, int]:
    """``(width, height)`` of a page as the pipeline will decode it (EXIF
    rotation applied, as OpenCV does), read from the header only."""
    from mmseg_pixdiva.utils.image_header import header_size
    try:
        height, width = header_size(str(path), apply_orientation=True)
    except ValueError as error:  # names the file
        raise PageReadError(str(error)) from None
    return width, height


def checkpoint_config(checkpoint: Path):
    """The config a checkpoint was trained with (``meta['cfg']``, which
    mmengine's runner saves), or None if it holds none.

    Raises:
        InferError: If the checkpoint cannot be loaded.
    """
    from mmengine.config import Config

    from mmseg_pixdiva.compat.checkpoint import load_from_local_safely
    try:
        loaded = load_from_local_safely(str(checkpoint), map_location='cpu')
    except Exception as error:  # torch raises many types for bad files
        raise InferError(f'checkpoint {checkpoint}: cannot load it '
                         f'({error})') from None
    text = (loaded.get('meta') or {}).get('cfg') \
        if isinstance(loaded, dict) else None
    if not isinstance(text, str):
        return None
    try:
        return Config.fromstring(text, '.py')
    except Exception:  # an unparsable saved config: fall back to the data
        return None


def resolve_auto_values(cfg, config: Path, checkpoint: Path) -> str:
    """Replace the ``'auto'`` values of ``cfg`` in place; say from where.

    First from the checkpoint's training config (no data needed), then from
    the training data of ``cfg`` (as ``tools/test.py`` does).

    Returns:
        str: Where the values came from (empty if there was no ``'auto'``).

    Raises:
        InferError: If neither resolves them; names the keys and files.
    """
    from mmseg_pixdiva.apis import (auto_keys, fill_auto_from,
                                    resolve_auto_config)
    if not auto_keys(cfg):
        return ''
    trained = checkpoint_config(checkpoint)
    if trained is not None:
        fill_auto_from(cfg, trained)
        if not auto_keys(cfg):
            return f'the training config saved in {checkpoint}'
    keys = ', '.join(auto_keys(cfg))
    try:
        resolve_auto_config(cfg)
    except Exception as error:
        raise InferError(
            f'config {config} has {keys} = \'auto\', which the checkpoint '
            f'{checkpoint} does not record and the training data could not '
            f'give ({error}); write the numbers into the config or pass '
            'them with --cfg-options') from None
    return 'the training data of the config'


#: ``test_cfg`` keys that set speed or memory only (at most float rounding
#: differs): changing them, e.g. fewer windows per batch after running out
#: of memory, continues the same run.
SPEED_ONLY_TEST_CFG = ('batch_windows', 'accumulate_on_cpu', 'channels_last')


def _drop_init_cfg(node) -> None:
    if isinstance(node, dict):
        node.pop('init_cfg', None)
        for value in node.values():
            _drop_init_cfg(value)
    elif isinstance(node, (list, tuple)):
        for item in node:
            _drop_init_cfg(item)


def prediction_config(model_cfg: dict) -> dict:
    """The part of a model config that decides its predictions.

    Leaves out the speed/memory settings of ``test_cfg``
    (:data:`SPEED_ONLY_TEST_CFG`) and where the initial weights came from
    (``pretrained``, ``init_cfg``: the checkpoint replaces them).
    """
    cfg = copy.deepcopy(model_cfg)
    for key in SPEED_ONLY_TEST_CFG:
        (cfg.get('test_cfg') or {}).pop(key, None)
    cfg.pop('pretrained', None)
    _drop_init_cfg(cfg)
    return cfg


def run_record(checkpoint: Path, model_cfg: dict,
               label_values: Sequence[int]) -> dict:
    """What decides the predictions of a run: weights (by content, so a
    copied or touched checkpoint is the same), model config (see
    :func:`prediction_config`), encoding."""
    from mmseg_pixdiva.utils.file_signature import file_sha256
    model_text = json.dumps(prediction_config(model_cfg), sort_keys=True,
                            default=str)
    return dict(
        version=1,
        checkpoint_sha256=file_sha256(checkpoint),
        model_sha256=hashlib.sha256(model_text.encode()).hexdigest(),
        label_values=[int(v) for v in label_values])


def check_previous_run(output_dir: Path, pages: Sequence[Path],
                       record: dict) -> Optional[dict]:
    """Refuse to mix this run's predictions with other files.

    Returns:
        dict | None: The folder's run record if it is this run's (to be
        continued), None if the folder holds no outputs of these pages.

    Raises:
        InferError: If ``output_dir`` holds another run's record, or
            outputs of these pages without any record (not ours, or from a
            version without records); nothing is changed there.
    """
    path = output_dir / RUN_RECORD
    if path.is_file():
        try:
            previous = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise InferError(f'{path}: unreadable run record ({error}); use '
                             'another output folder or --overwrite') from None
        differ = [k for k in record if previous.get(k) != record[k]]
        if differ:
            raise InferError(
                f'{output_dir} holds the predictions of another run ('
                f'{", ".join(differ)} differ from this one, see {path}); '
                'use another output folder, or --overwrite to replace them')
        return previous
    existing = [out for out in (output_path(output_dir, p) for p in pages)
                if out.exists()]
    if existing:
        raise InferError(
            f'{output_dir} already holds {existing[0].name}' +
            (f' and {len(existing) - 1} more outputs' if len(existing) > 1
             else '') +
            f' but no {RUN_RECORD}: they were not written by this tool (or '
            'by a version without run records) and are left as they are. '
            'Use another output folder, or --overwrite to replace them')
    return None


def is_done(page_size: Tuple[int, int], out: Path, since: float) -> bool:
    """Whether ``out`` is a complete PNG of ``page_size`` (``(width,
    height)`` of its page, from :func:`check_pages`) written by the current
    run record (not before ``since``, its start: an interrupted
    ``--overwrite`` leaves older outputs that are not)."""
    from mmseg_pixdiva.utils.gt_format import png_size
    return png_size(out) == page_size and out.stat().st_mtime >= since


def find_label_values(model, cfg, override: Optional[Sequence[int]] = None
                      ) -> Tuple[List[int], str]:
    """The blue value of each class and where it came from.

    Order: ``override`` (``--label-values``), the checkpoint's
    ``dataset_meta``, the config's test/val/train dataset (``label_values``
    or ``metainfo.label_values``, looking inside dataset wrappers).

    Raises:
        InferError: If none gives it, or it does not match the model's
            number of classes.
    """
    values, source = None, None
    if override:
        values, source = list(override), '--label-values'
    if values is None:
        meta = getattr(model, 'dataset_meta', None) or {}
        if meta.get('label_values') is not None:
            values, source = meta['label_values'], 'the checkpoint meta'
    if values is None:
        for loader in ('test_dataloader', 'val_dataloader',
                       'train_dataloader'):
            dataset = (cfg.get(loader) or {}).get('dataset')
            while dataset is not None and values is None:
                metainfo = dataset.get('metainfo') or {}
                values = dataset.get('label_values') or \
                    metainfo.get('label_values')
                dataset = dataset.get('dataset')  # wrappers: Repeat, ...
            if values is not None:
                source = f'the config ({loader}.dataset)'
                break
    if values is None:
        raise InferError(
            'no label values (the blue value of each class) in the '
            'checkpoint meta (dataset_meta.label_values) nor in the config '
            'dataset (label_values or metainfo.label_values); give them '
            'with --label-values, e.g. --label-values 1 2 4 8')
    from mmseg_pixdiva.core.encoding import (InvalidLabelValuesError,
                                             check_label_values)
    try:
        values = check_label_values(values)
    except InvalidLabelValuesError as error:
        raise InferError(f'label values from {source}: {error}') from None
    # A per-bit segmentor predicts its own label_values' classes from
    # fewer outputs (one per bit).
    num_classes = getattr(model, 'num_output_classes', None) or \
        getattr(model, 'out_channels', None)
    if num_classes is not None and num_classes > 1 and \
            len(values) != num_classes:
        raise InferError(
            f'{len(values)} label values {values} from {source} but the '
            f'model predicts {num_classes} classes')
    return values, source


def stream_reason(model, results: dict, canvas: bool) -> Optional[str]:
    """Why a loaded page goes through the whole-page canvas rather than
    :meth:`~mmseg_pixdiva.models.segmentors.MaxSlideEncoderDecoder.
    stream_page`, or None to stream it."""
    if canvas:
        return '--canvas'
    if not hasattr(model, 'stream_page'):
        return f'{type(model).__name__} cannot stream'
    reason = model.stream_unsupported()
    if reason is not None:
        return reason
    image = results['img']
    if image.ndim != 3 or image.dtype.name != 'uint8':
        return f'the pipeline loads {image.dtype} {image.shape} pages'
    ori_shape = tuple(results.get('ori_shape', image.shape[:2]))[:2]
    if image.shape[:2] != ori_shape or results.get('flip'):
        return 'the test pipeline resizes or flips pages'
    return None


def segment_page(model, pack, loaded: LoadedPage, page: Path,
                 canvas: bool = False):
    """Class indices of one page (``rows x W`` numpy bands, top to bottom).

    Streams the page band by band when the model and pipeline allow it
    (:func:`stream_reason`), else runs the packed page through
    ``model.test_step`` and gives it as one band.

    Raises:
        PageReadError: If the page could not be loaded or packed.
    """
    import torch
    if loaded.error is not None:
        raise PageReadError(loaded.error)
    results = loaded.results
    if stream_reason(model, results, canvas) is None:
        return _streamed(model, results['img'])
    try:
        data = pack(results)
    except Exception as error:
        raise PageReadError(f'{page}: cannot read image ({error})') from None
    batch = dict(inputs=[data['inputs']], data_samples=[data['data_samples']])
    with torch.no_grad():
        [result] = model.test_step(batch)
    return [result.pred_sem_seg.data[0].cpu().numpy()]


def _streamed(model, image):
    """Bands of :meth:`stream_page` as numpy; joined first when the model
    cleans whole pages (``test_cfg.postprocess``)."""
    import torch
    with torch.no_grad():
        if model.needs_whole_page:
            # The whole class map, a byte per pixel (not int64's eight).
            dtype = torch.uint8 if model.num_output_classes <= 256 \
                else torch.int32
            bands = [classes.to(dtype)
                     for _, classes in model.stream_page(image)]
            yield model.postprocess_page(torch.cat(bands)).numpy()
            return
        for _, classes in model.stream_page(image):
            yield classes.numpy()


def write_page_xml(out: Path, page: Path) -> None:
    """``<stem>.xml`` beside the prediction ``out``: its regions as PAGE
    XML 2019, ``imageFilename`` the page's name."""
    from mmseg_pixdiva.evaluation.layout_io import read_label_image
    from mmseg_pixdiva.fileio.page_gt import gt_to_page_document
    from mmseg_pixdiva.fileio.page_xml import page_xml_bytes
    from mmseg_pixdiva.utils.atomic import atomic_write_bytes
    blue = read_label_image(out, 'prediction')[..., 2]
    document = gt_to_page_document(blue, page.name, source=str(out))
    atomic_write_bytes(out.with_suffix('.xml'), page_xml_bytes(document))


class RankZeroError(InferError):
    """Rank 0's input error, passed to the other processes of a
    distributed run (only rank 0 prints it)."""


class Cluster:
    """The processes of one run: just this one, or torchrun's.

    Args:
        launcher (str): ``'none'`` or ``'pytorch'`` (torchrun's environment;
            gloo, whose point-to-point and object collectives work for CPU
            and GPU runs alike and are all this tool needs).
    """

    def __init__(self, launcher: str) -> None:
        self.distributed = launcher == 'pytorch'
        self.rank, self.world_size, self.local_rank = 0, 1, 0
        if self.distributed:
            import os

            import torch.distributed as dist
            if not dist.is_initialized():
                dist.init_process_group(backend='gloo')
            self.rank, self.world_size = dist.get_rank(), \
                dist.get_world_size()
            self.local_rank = int(os.environ.get('LOCAL_RANK', 0))

    def on_rank0(self, work):
        """Run ``work()`` on rank 0 and give its result (or its input
        error, as :class:`RankZeroError`) to every process."""
        result, error = None, None
        if self.rank == 0:
            try:
                result = work()
            except InputError as failure:
                if not self.distributed:
                    raise
                error = failure
        if not self.distributed:
            return result
        import torch.distributed as dist
        box = [(result, None if error is None else str(error))]
        dist.broadcast_object_list(box, src=0)
        result, message = box[0]
        if error is not None:
            raise error
        if message is not None:
            raise RankZeroError(message)
        return result

    def gather(self, value) -> list:
        """Every process's ``value``, on rank 0 (None elsewhere)."""
        if not self.distributed:
            return [value]
        import torch.distributed as dist
        values = [None] * self.world_size if self.rank == 0 else None
        dist.gather_object(value, values, dst=0)
        return values

    def close(self) -> None:
        if self.distributed:
            import torch.distributed as dist
            dist.destroy_process_group()


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _main(argv: Optional[Sequence[str]]) -> int:
    args = parse_args(argv)
    if args.launcher == 'pytorch':
        import signal

        # torchrun stops the other processes with SIGTERM when one fails:
        # finish like Ctrl-C (no temporary file left, one line).
        signal.signal(signal.SIGTERM, _interrupt)
    cluster = Cluster(args.launcher)
    try:
        return run(args, cluster)
    except RankZeroError:
        return 2  # rank 0 has said why
    finally:
        cluster.close()


def run(args: argparse.Namespace, cluster: Cluster) -> int:
    from mmengine.logging import print_log

    from mmseg_pixdiva.apis.dist_progress import ClusterProgress
    from mmseg_pixdiva.apis.page_writer import PageWriter
    from mmseg_pixdiva.apis.sharding import balance_by_pixels
    from mmseg_pixdiva.utils.atomic import (atomic_write_text,
                                            stale_temporaries)
    leader = cluster.rank == 0

    def say(message: str) -> None:
        if leader:
            print_log(message, logger='current')

    def warn(message: str) -> None:
        # stderr, between progress-bar lines of stdout.
        print(f'\nwarning: {message}', file=sys.stderr, flush=True)

    input_dir, output_dir = Path(args.input_dir), Path(args.output_dir)

    def listing():
        pages, skipped = list_pages(input_dir, output_dir)
        return pages, skipped, check_pages(pages)

    pages, skipped, sizes = cluster.on_rank0(listing)
    if leader:
        for path in skipped:
            warn(f'skipping {path}: not an image (suffix not in '
                 f'{", ".join(IMAGE_SUFFIXES)})')

    import torch
    from mmengine.config import Config
    from mmseg.apis import init_model

    def files_exist():
        for path, what in ((args.config, 'config'),
                           (args.checkpoint, 'checkpoint')):
            if not Path(path).is_file():
                raise InferError(f'{what} file {path} does not exist')

    cluster.on_rank0(files_exist)
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    if cluster.distributed and device.startswith('cuda'):
        device = f'cuda:{cluster.local_rank}'  # one GPU per process
    elif device == 'cuda':
        device = 'cuda:0'
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.precision is not None:
        cfg.model.setdefault('test_cfg', {})['precision'] = args.precision
    auto_source = cluster.on_rank0(lambda: resolve_auto_values(
        cfg, Path(args.config), Path(args.checkpoint)))
    if auto_source:
        if not leader:  # the same values, without reading the data again
            resolve_auto_values(cfg, Path(args.config), Path(args.checkpoint))
        say(f"'auto' config values from {auto_source}")
    model = init_model(cfg, args.checkpoint, device=device)
    label_values, source = find_label_values(model, model.cfg,
                                             args.label_values)
    if args.page_xml and not all(0 < v < 16 for v in label_values):
        raise InferError(f'--page-xml needs DIVA-HisDB bit flags (blue '
                         f'1..15), not label values {label_values}')

    def plan() -> dict:
        if args.page_xml:
            from mmseg_pixdiva.fileio.page_xml import is_own_page_file
            refuse_foreign_files(
                (output_path(output_dir, page).with_suffix('.xml')
                 for page in pages), is_own_page_file, 'tools/infer.py')
        settings = run_record(Path(args.checkpoint),
                              model.cfg.model.to_dict(), label_values)
        previous = None if args.overwrite else \
            check_previous_run(output_dir, pages, settings)
        # Recorded before the first page, so that an interrupted run can be
        # continued (and only by the same settings). A new record (first
        # run, --overwrite) starts now: outputs older than it are never
        # trusted.
        record = previous if previous is not None else \
            dict(settings, started=time.time())
        if previous is None:
            atomic_write_text(output_dir / RUN_RECORD,
                              json.dumps(record, indent=1) + '\n')
        since = float(record.get('started', 0.0))
        todo, kept = [], 0
        for index, page in enumerate(pages):
            out = output_path(output_dir, page)
            # A process killed outright (SIGKILL, out of memory) cannot
            # delete its temporary file; no writer of this folder runs now.
            for stale in stale_temporaries(out):
                stale.unlink(missing_ok=True)
            if not args.overwrite and out.exists() and \
                    is_done(sizes[index], out, since):
                kept += 1
                # A page a continued run had done without --page-xml gets
                # its first XML.
                if args.page_xml and not out.with_suffix('.xml').exists():
                    write_page_xml(out, page)
            else:
                todo.append(index)
        pixels = [sizes[i][0] * sizes[i][1] for i in todo]
        return dict(todo=todo, kept=kept,
                    shares=balance_by_pixels(pixels, cluster.world_size))

    work = cluster.on_rank0(plan)
    say(f'label values {label_values} (from {source}); writing to '
        f'{output_dir}' + (f' with {cluster.world_size} processes'
                          if cluster.distributed else ''))
    mine = [pages[work['todo'][i]] for i in work['shares'][cluster.rank]]
    load, pack = split_test_pipeline(model.cfg)
    after_write = (lambda page, out: write_page_xml(out, page)) \
        if args.page_xml else None
    writer = PageWriter(label_values, background=args.io_workers > 0,
                        after_write=after_write)
    progress = ClusterProgress(len(work['todo']), cluster.distributed)
    failed: List[str] = []
    done = 0

    def collect(finished) -> None:
        nonlocal done
        for written in finished:
            if written.error is None:
                done += 1
            else:
                failed.append(written.error)
                print(f'\nerror: {written.error}', file=sys.stderr,
                      flush=True)
            progress.page_done()

    started = time.perf_counter()
    try:
        for loaded in load_pages(mine, load, args.io_workers):
            page = mine[loaded.index]
            try:
                bands = segment_page(model, pack, loaded, page, args.canvas)
                width, height = loaded.results['img'].shape[1::-1]
                writer.begin(page, output_path(output_dir, page), width,
                             height)
                for band in bands:
                    writer.rows(band)
                writer.end()
            except PageReadError as error:
                writer.abort()
                failed.append(str(error))
                print(f'\nerror: {error}', file=sys.stderr, flush=True)
                progress.page_done()
            collect(writer.finished())
        collect(writer.close())
    except RuntimeError as error:
        if 'DataLoader worker' not in str(error):
            raise
        # A decoding worker was killed (the system out of memory, say):
        # one line instead of the DataLoader's traceback.
        collect(writer.close())
        print(f'\nerror: a page-decoding worker process died ({error}); '
              f'{done} pages segmented; rerun the same command to continue, '
              'with fewer --io-workers if memory is short', file=sys.stderr,
              flush=True)
        return 1
    except KeyboardInterrupt:
        # Every output is written atomically: the finished pages are
        # complete and the page in progress left nothing behind.
        collect(writer.close())
        print(f'\ninterrupted: {done} pages segmented, {work["kept"]} '
              f'already done, {len(pages) - done - work["kept"] - len(failed)}'
              ' left; rerun the same command to continue', file=sys.stderr,
              flush=True)
        return INTERRUPTED
    progress.close()
    seconds = time.perf_counter() - started
    totals = cluster.gather((done, failed))
    if not leader:
        return 1 if failed else 0
    done = sum(count for count, _ in totals)
    failed = [error for _, errors in totals for error in errors]
    print()
    rate = f' in {seconds:.1f} s ({60 * done / seconds:.2f} pages/min)' \
        if done and seconds > 0 else ''
    say(f'{done} pages segmented{rate}, {work["kept"]} already done, '
        f'{len(skipped)} files skipped, {len(failed)} failed; outputs in '
        f'{output_dir}')
    if cluster.distributed:
        say('pages segmented per process: ' +
            ', '.join(f'rank {rank}: {count}'
                      for rank, (count, _) in enumerate(totals)))
    if failed:
        print(problem_list('pages that failed', failed), file=sys.stderr)
        return 1
    return 0


@exit_on_input_error
def main(argv: Optional[Sequence[str]] = None) -> int:
    return _main(argv)


if __name__ == '__main__':
    sys.exit(main())
