"""Imported only when the backend is used."""


class GoodLinker:
    pass
