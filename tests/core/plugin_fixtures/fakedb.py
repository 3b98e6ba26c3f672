"""A minimal rewrite database: register / __getitem__ / __contains__ / unregister."""


class FakeDB:
    def __init__(self, subs=("canonicalize", "stabilize", "specialize")):
        self.entries = {}
        for name in subs:
            self.entries[name] = (FakeDB(()), (), {})

    def register(self, name, obj, *tags, **kwargs):
        if name in self.entries:
            raise ValueError(f"{name!r} is already registered")
        if getattr(obj, "explode", False):
            raise RuntimeError(f"database refuses {name!r}")
        self.entries[name] = (obj, tags, kwargs)

    def unregister(self, name):
        del self.entries[name]

    def __getitem__(self, name):
        return self.entries[name][0]

    def __contains__(self, name):
        return name in self.entries

    def dump(self):
        """name -> nested dump for sub-databases, else [tags, kwargs]."""
        out = {}
        for name, (obj, tags, kwargs) in self.entries.items():
            out[name] = obj.dump() if isinstance(obj, FakeDB) else [list(tags), kwargs]
        return out
