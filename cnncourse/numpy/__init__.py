"""From-scratch reference implementations in NumPy (no torch import anywhere below here).

Every module lists its public names in ``__all__``; they are re-exported here so a chapter can
write ``from cnncourse.numpy import Conv2d, im2col``.
"""

from . import (autograd, features, filters, functional, gradcheck, init, layers, losses, models, optim,
               perceptron, receptive_field, train)
from .autograd import *  # noqa: F401,F403
from .features import *  # noqa: F401,F403
from .filters import *  # noqa: F401,F403
from .functional import *  # noqa: F401,F403
from .gradcheck import *  # noqa: F401,F403
from .init import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .models import *  # noqa: F401,F403
from .optim import *  # noqa: F401,F403
from .perceptron import *  # noqa: F401,F403
from .quadratic import *  # noqa: F401,F403
from .receptive_field import *  # noqa: F401,F403
from .train import *  # noqa: F401,F403
