"""Make graft graphs work with `unification`, `etuples` and `cons`.

Importing this module registers dispatch rules so that a `Variable` computed
by a node behaves as the S-expression ``(op, *inputs)``:

- ``car(v)`` is ``v.owner.op`` and ``cdr(v)`` the etuple of its inputs, so
  ``unify(cons(op_lv, args_lv), add(x, y))`` binds the op and the arguments;
- a variable unifies with an `ExpressionTuple` by its one-level etuple form,
  so ``unify(add(x, y), etuple(add, x, y_lv))`` gives ``{y_lv: y}``;
- ``etuplize(v)`` builds the etuple of a whole graph, and evaluating an etuple
  whose head is an `Op` (``.evaled_obj``) builds graft nodes again.

Owner-less variables (inputs, constants) are atoms.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cons.core import ConsError, _car, _cdr
from etuples import etuple, etuplize
from etuples.core import ExpressionTuple
from unification.core import _reify, _unify

from graft.graph.basic import Variable
from graft.graph.op import Op


def car_Variable(x: Variable) -> Op:
    if x.owner is None:
        raise ConsError(f"{x} has no owner, so it is not a cons")
    return x.owner.op


def cdr_Variable(x: Variable) -> ExpressionTuple:
    if x.owner is None:
        raise ConsError(f"{x} has no owner, so it is not a cons")
    return etuple(*x.owner.inputs)


_car.add((Variable,), car_Variable)
_cdr.add((Variable,), cdr_Variable)


def _unify_Variable_ExpressionTuple(u: Variable, v: ExpressionTuple, s: Mapping[Any, Any]) -> Any:
    if u.owner is None:
        yield False
        return
    yield _unify(etuplize(u, shallow=True), v, s)


def _unify_ExpressionTuple_Variable(u: ExpressionTuple, v: Variable, s: Mapping[Any, Any]) -> Any:
    if v.owner is None:
        yield False
        return
    yield _unify(u, etuplize(v, shallow=True), s)


_unify.add((Variable, ExpressionTuple, Mapping), _unify_Variable_ExpressionTuple)
_unify.add((ExpressionTuple, Variable, Mapping), _unify_ExpressionTuple_Variable)


def _reify_Variable(u: Variable, s: Mapping[Any, Any]) -> Any:
    # Graph variables hold no logic variables.
    yield u


_reify.add((Variable, Mapping), _reify_Variable)


def eval_if_etuple(x: Any) -> Any:
    """Evaluate ``x`` if it is an etuple (building graft nodes), else return it."""
    if isinstance(x, ExpressionTuple):
        return x.evaled_obj
    return x


__all__ = ["car_Variable", "cdr_Variable", "eval_if_etuple"]
