"""cnncourse: the reference code of the CNN course.

``cnncourse.numpy`` builds every layer from scratch in NumPy; ``cnncourse.torch`` holds the
same ideas in PyTorch (imported on demand, so the NumPy part never pays for torch).
"""

__version__ = "0.1.0"
