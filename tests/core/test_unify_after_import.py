"""The unification libraries work on graft graphs after a plain ``import graft``,
whichever of them is imported first and whether before or after graft, and
``import graft`` itself imports none of them."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

PROGRAM = textwrap.dedent(
    """
    import sys
    {first}
    import graft
    import graft.tensor as gt
    assert "unification" not in sys.modules or {expect_loaded}
    from unification import unify, reify, var
    from cons import car, cdr, cons
    from etuples import etuple, etuplize
    x, y = gt.vector("x"), gt.vector("y")
    e = x + y
    s = unify(cons(var("op"), var("args")), e, {{}})
    assert s is not False and s[var("op")] is e.owner.op, s
    assert car(e) is e.owner.op and list(cdr(e)) == [x, y]
    z = var("z")
    s = unify(e, etuple(e.owner.op, x, z), {{}})
    assert s[z] is y, s
    assert reify(etuple(e.owner.op, x, z), s).evaled_obj.owner.inputs == [x, y]
    assert etuplize(e)[0] is e.owner.op
    print("ok")
    """
)


@pytest.mark.parametrize(
    "first",
    ["", "import unification", "import cons", "import etuples", "from etuples import etuple"],
)
def test_unify_works_after_plain_import(first):
    code = PROGRAM.format(first=first, expect_loaded=bool(first))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_import_graft_does_not_import_the_unification_libraries():
    code = (
        "import sys, graft, graft.tensor\n"
        "print(sorted(m for m in ('unification', 'cons', 'etuples', 'kanren') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
