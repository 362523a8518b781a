"""Release, check and grade notebook assignments, running student code in a sandboxed process.

See docs/autograder.md for the design and docs/assignment-format.md for the contract with assignments.
The wire format (protocol), the sandbox, the child's loop (worker) and notebook parsing stay in their modules.
"""

from autograder.check import *  # noqa: F401,F403
from autograder.config import *  # noqa: F401,F403
from autograder.grade import *  # noqa: F401,F403
from autograder.release import *  # noqa: F401,F403
from autograder.report import *  # noqa: F401,F403
from autograder.results import *  # noqa: F401,F403
from autograder.runner import *  # noqa: F401,F403
from autograder.testing import *  # noqa: F401,F403
