"""Publish the audited marts: one complete, deterministic dataset folder per set of inputs, switched in atomically.

Layout under ``published/`` (see :mod:`transforms.publish.layout`)::

    datasets/<dataset_id>/             the whole dataset (tables, XLSX, datapackage.json, metadata.json,
                                       the website index.html + data.js + assets/) and periods/<period>/ slices
    latest   -> datasets/<dataset_id>  symlink, switched with one rename
    <period> -> datasets/<dataset_id>/periods/<period>   one symlink per period, each switched with one rename

Modules: ``dataset`` writes a dataset and switches the links, ``records`` is the one JSON style of the files,
``datapackage`` the data dictionary and Frictionless descriptor, ``excel`` the officials' workbook, ``site`` the
static page (rendered from the dataset's own files), ``integrity`` checks, restores and cleans what is
published, ``notice`` announces a publication, ``diff`` compares two datasets.
"""
