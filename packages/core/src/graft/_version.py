"""graft-core's version (a bottom module: the cache keys and the plugin checks read it).

Example::

    from graft._version import __version__
"""

__version__ = "0.1.0"
