"""Reference CNN architectures in PyTorch, one module per family, from LeNet-5 to DenseNet.

Full-size networks follow the papers (and torchvision's layouts and parameter names where it has them);
the ``*_small`` variants and ``resnet_cifar`` take 32x32 images and train on a CPU. Factories pass every
keyword to their class, as torchvision's do (``densenet(growth_rate=16)``, ``vgg_small(width=8)``).

A new family is a module here with an ``__all__``, added to ``_FAMILIES`` below: the package exports
exactly the names its modules list.
"""

from . import alexnet as _alexnet
from . import blocks as _blocks
from . import densenet as _densenet
from . import googlenet as _googlenet
from . import lenet as _lenet
from . import resnet as _resnet
from . import utils as _utils
from . import vgg as _vgg
from .alexnet import *  # noqa: F401,F403
from .blocks import *  # noqa: F401,F403
from .densenet import *  # noqa: F401,F403
from .googlenet import *  # noqa: F401,F403
from .lenet import *  # noqa: F401,F403
from .resnet import *  # noqa: F401,F403
from .utils import *  # noqa: F401,F403
from .vgg import *  # noqa: F401,F403

_FAMILIES = (_utils, _lenet, _alexnet, _vgg, _resnet, _densenet, _googlenet, _blocks)
__all__ = [name for module in _FAMILIES for name in module.__all__]
