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
            "matcher._pricing",
            ["matcher/_pricing.cpp"],
            language="c++",
            # no fused multiply-add, so that its costs are numpy's to the last bit
            extra_compile_args=["-O3", "-std=c++17", "-Wall", "-Wextra", "-ffp-contract=off"],
        ),
    ]
)
