# The two commands of the README: `make demo` and `make test`.
# Both create .venv if missing and install everything first.
#
# CPU machines (default): the local torch CPU wheel and mmcv-lite.
# GPU users choose their own builds, e.g.
#   make install TORCH_SPEC='torch==2.4.1' MMCV_SPEC='mmcv==2.1.0' \
#        PIP_EXTRA='--index-url https://download.pytorch.org/whl/cu121'
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0+cpu
MMCV_SPEC ?= mmcv-lite==2.1.0
PIP_EXTRA ?=
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu
PY := $(VENV)/bin/python
STAMP := $(VENV)/.pixdiva-installed
DEMO_DIR ?= work_dirs/demo

.PHONY: install demo test bench bench-real clean

install: $(STAMP)

# torch: the +cpu build is not on PyPI; pip finds it in a local wheel folder
# if the machine has one (pip's find-links), else on PyTorch's CPU index.
# mmcv: no build isolation, since full mmcv is an sdist whose setup.py needs
# pkg_resources (setuptools<81, installed first) and the torch installed here.
$(STAMP): setup.py Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade 'setuptools>=77.0.3,<81' wheel
	$(PY) -m pip install -q $(PIP_EXTRA) '$(TORCH_SPEC)' || \
	  $(PY) -m pip install -q $(PIP_EXTRA) --extra-index-url $(TORCH_CPU_INDEX) '$(TORCH_SPEC)'
	$(PY) -m pip install -q --no-build-isolation '$(MMCV_SPEC)'
	$(PY) -m pip install -q --no-build-isolation -e '.[tests]'
	touch $(STAMP)

demo: install
	$(PY) tools/demo.py --work-dir $(DEMO_DIR)

test: install
	$(PY) -m pytest -q tests

# Side-by-side benchmarks (run on a quiet machine; see docs/benchmarks.md).
bench: install
	$(PY) benchmarks/bench_layout_evaluator.py --repeat 3
	$(PY) benchmarks/bench_crop_sampler.py
	$(PY) benchmarks/bench_max_slide.py
	$(PY) benchmarks/bench_channels_last_training.py
	$(PY) benchmarks/gt_value_scan.py
	$(PY) benchmarks/preflight_check.py

# The real-page recipe (~30 min on 2 CPU cores).
bench-real: install
	$(PY) benchmarks/real_pages.py run

clean:
	rm -rf $(VENV) work_dirs *.egg-info
