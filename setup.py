"""Declares the optional C extension; all metadata lives in pyproject.toml.

``optional=True`` makes setuptools warn and carry on when the extension cannot be compiled (no compiler,
no Python headers, another interpreter): ``reference.core.ws.mask`` then uses its pure-Python fallback.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "reference.core.ws._speedups",
            sources=["reference/core/ws/_speedups.c"],
            optional=True,
        )
    ]
)
