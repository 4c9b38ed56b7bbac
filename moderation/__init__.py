"""Crisis-language detector for Kindred (pure Python, standard library only).

    >>> from moderation import assess
    >>> a = assess("I won't be around much longer")
    >>> a.level, a.target
    (2, 'self')

See moderation/README.md for how it works and how it is measured.
"""

from .detector import Assessment, assess

__all__ = ["Assessment", "assess"]
