"""cnncourse: the reference code of the CNN course.

``cnncourse.numpy`` builds every layer from scratch in NumPy; ``cnncourse.torch`` holds the
same ideas in PyTorch (imported on demand, so the NumPy part never pays for torch). What the two
halves share is stated once, in modules that import neither: ``history`` (the record a ``fit`` returns),
``activations`` (the activation names), ``lenet`` (LeNet-5's layout) and ``pooling`` (the pooling names).
``data`` holds the data sets, ``plot`` and ``widgets`` the figures and demos of the chapters.
"""

__version__ = "0.1.0"
