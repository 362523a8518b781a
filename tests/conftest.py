"""Settings for the whole test suite."""

import os
import sys


def pytest_configure(config):
    # Many tiny models share 2 cores with pytest-xdist workers, notebook kernels and sandboxed
    # submissions: one BLAS/OpenMP thread per process avoids oversubscription, which made small
    # training steps many times slower. Set before torch and NumPy's BLAS are loaded.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("MPLBACKEND", "Agg")
    if "torch" in sys.modules:  # imported by a plugin before this hook ran
        sys.modules["torch"].set_num_threads(1)
