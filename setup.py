"""Install mmseg_pixdiva beside mmsegmentation.

torch and mmcv are deliberately not in ``install_requires``: users pick their
own torch build (CPU or CUDA) and either mmcv-lite or full mmcv, as with any
OpenMMLab project; the Makefile installs the CPU pair used on this project's
machines (see docs/development.md, "Installation").
"""
from setuptools import find_packages, setup


def read_version() -> str:
    namespace = {}
    with open('mmseg_pixdiva/version.py', encoding='utf-8') as f:
        exec(f.read(), namespace)
    return namespace['__version__']


setup(
    name='mmseg_pixdiva',
    version=read_version(),
    description=('DeepDIVA-style pixel-level segmentation of document images '
                 'for MMSegmentation'),
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['mmseg_pixdiva', 'mmseg_pixdiva.*']),
    python_requires='>=3.10',
    install_requires=[
        'mmengine>=0.10.7,<0.11',
        'mmsegmentation>=1.2.2,<1.3',
        # mmengine 0.10.7 imports pkg_resources to resolve mmseg:: configs;
        # setuptools>=81 no longer ships it.
        'setuptools>=77.0.3,<81',
        # mmseg imports these unconditionally without declaring them.
        'ftfy',
        'regex',
        'numpy',
        'pillow',
        'opencv-python',
        'matplotlib',
        # PAGE XML: parsing, writing and schema validation; polygon validity.
        'lxml',
        'shapely>=2',
        # Inflates PNG rows about 2.5x as fast as stdlib zlib (the GT scan
        # before training, mmseg_pixdiva/utils/png_rows.py).
        'zlib-ng>=1.0',
    ],
    extras_require={
        'tests': ['pytest>=7', 'tensorboard'],
    },
    entry_points={
        'console_scripts': [
            'pixdiva-evaluate=mmseg_pixdiva.evaluation.layout_cli:main',
        ],
    },
    license='LGPL-3.0',
)
