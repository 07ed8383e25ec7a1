# The whole DIVA-HisDB pages of CSG18 and CSG863 in ../shared/data/hisdb-pages
# (the official training pages that have scans and the ten official
# validation pages of each manuscript), read in place: both manuscripts in
# one training run, one dataset over four folders.
#
# The split (docs/hisdb_pages.md): of each manuscript's ten official
# validation pages, every third one in page order (positions 0, 3, 6, 9) is
# held out for validation; the two official training pages and the six
# others are trained on. 16 training pages, 8 validation pages, among them
# two without any decoration (CSG863 018 and 126), as in the official test
# set. The official test pages are not in ../shared: they are scored
# separately with tools/infer.py and pixdiva-evaluate.
#
# PIXDIVA_SHARED points at another copy of the shared folder.
_base_ = ['./hisdb.py']
data_root = '{{$PIXDIVA_SHARED:../shared}}/data/hisdb-pages'
# Every bit combination the GTs use, fixed so that the class order never
# depends on which pages are listed.
label_values = [1, 2, 4, 6, 8, 10, 12, 14]

hisdb_pages_folders = [
    dict(img_path=f'{manuscript}/{split}/data',
         seg_map_path=f'{manuscript}/{split}/gt')
    for manuscript in ('CSG18', 'CSG863') for split in ('train', 'val')
]
hisdb_pages_val = [
    'e-codices_csg-0018_072_max', 'e-codices_csg-0018_158_max',
    'e-codices_csg-0018_169_max', 'e-codices_csg-0018_185_max',
    'e-codices_csg-0863_018_max', 'e-codices_csg-0863_082_max',
    'e-codices_csg-0863_126_max', 'e-codices_csg-0863_143_max',
]
hisdb_pages_train = [
    # official training pages
    'e-codices_csg-0018_099_max', 'e-codices_csg-0018_105_max',
    'e-codices_csg-0863_011_max', 'e-codices_csg-0863_241_max',
    # the other six official validation pages of each manuscript
    'e-codices_csg-0018_081_max', 'e-codices_csg-0018_157_max',
    'e-codices_csg-0018_162_max', 'e-codices_csg-0018_165_max',
    'e-codices_csg-0018_183_max', 'e-codices_csg-0018_184_max',
    'e-codices_csg-0863_019_max', 'e-codices_csg-0863_020_max',
    'e-codices_csg-0863_109_max', 'e-codices_csg-0863_123_max',
    'e-codices_csg-0863_134_max', 'e-codices_csg-0863_142_max',
]

# The pipelines, sampler and evaluators are DIVA-HisDB's (hisdb.py); here:
# the folders and pages, fixed classes, and the DataLoader in the main
# process (cropping a cached page costs far less than a step, and a worker
# would compete with torch for the cores; a 3328x4992 page decodes in about
# a third of a second, once per epoch with 4 of the 16 pages in memory).
# Vertical flips, as in the real-page recipe (a page's bottom edge looks
# like its top edge upside down).
train_pipeline = [
    dict(type='LoadPageCrop', crop_size=(128, 128)),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    dict(type='PackSegInputs'),
]
pages_dataset = dict(data_root=data_root, data_prefix=None,
                     data_prefixes=hisdb_pages_folders,
                     label_values=label_values)
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(crops_per_image=200),
    dataset=dict(pages_dataset, pages=hisdb_pages_train,
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(crops_per_image=40),
    dataset=dict(pages_dataset, pages=hisdb_pages_val))
# Whole validation pages at full resolution: the segmentor slides windows.
test_dataloader = dict(
    num_workers=0,
    dataset=dict(pages_dataset, pages=hisdb_pages_val))
