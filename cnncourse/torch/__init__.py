"""The course's ideas in PyTorch: architectures, training, interpretation and attacks.

Device-agnostic: code follows the model's device, and ``pick_device`` chooses CUDA, then Apple
MPS, then the CPU. Every module lists its public names in ``__all__``; they are re-exported here.
"""

from . import attacks, augment, compare, device, gradients, init_stats, interpret, loaders, models, summary, train, transfer
from . import attribution, representations, robustness, sanity
from . import batch_augment, dead_units, lr_finder, recipes, schedules, tensor_batches
from .attacks import *  # noqa: F401,F403
from .attribution import *  # noqa: F401,F403
from .batch_augment import *  # noqa: F401,F403
from .dead_units import *  # noqa: F401,F403
from .lr_finder import *  # noqa: F401,F403
from .recipes import *  # noqa: F401,F403
from .schedules import *  # noqa: F401,F403
from .tensor_batches import *  # noqa: F401,F403
from .augment import *  # noqa: F401,F403
from .compare import *  # noqa: F401,F403
from .device import *  # noqa: F401,F403
from .gradients import *  # noqa: F401,F403
from .init_stats import *  # noqa: F401,F403
from .interpret import *  # noqa: F401,F403
from .loaders import *  # noqa: F401,F403
from .models import *  # noqa: F401,F403
from .summary import *  # noqa: F401,F403
from .representations import *  # noqa: F401,F403
from .robustness import *  # noqa: F401,F403
from .sanity import *  # noqa: F401,F403
from .train import *  # noqa: F401,F403
from .transfer import *  # noqa: F401,F403
