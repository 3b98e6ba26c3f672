"""placeholder"""


class Model: ...


def modelcontext(m=None): ...
