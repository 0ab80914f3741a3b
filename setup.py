"""Packaging glue that pyproject.toml cannot say: ship the demo corpus and the study codebook inside the package.

``corpora/`` and ``codebooks/`` live at the top of the repository (where researchers look for them) and are
installed as the data packages ``tematik.corpora`` and ``tematik.codebooks``, so ``tematik demo`` finds them in
a normal (non-editable) install too.
"""

from setuptools import find_packages, setup

DATA_PACKAGES = {"tematik.corpora": "corpora", "tematik.codebooks": "codebooks"}

setup(
    packages=find_packages("src") + list(DATA_PACKAGES),
    package_dir={"": "src", **DATA_PACKAGES},
    package_data={"tematik": ["py.typed"], **{name: ["**/*"] for name in DATA_PACKAGES}},
    include_package_data=False,
)
