"""The C++ parts of the package: setuptools reads everything else from pyproject.toml."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "matcher._netsimplex",
            ["matcher/_netsimplex.cpp"],
            language="c++",
            extra_compile_args=["-O3", "-std=c++17", "-Wall", "-Wextra"],
        ),
        Extension(
            "matcher._dominance",
            ["matcher/_dominance.cpp"],
            language="c++",
            extra_compile_args=["-O3", "-std=c++17", "-Wall", "-Wextra"],
        ),
    ]
)
