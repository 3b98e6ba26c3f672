"""Graph rewriting: rewriters, rewrite databases, unification and miniKanren integration."""
