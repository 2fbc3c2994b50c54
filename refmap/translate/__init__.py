"""`python -m refmap translate` and `python -m refmap compare`: PyTorch optimizer and scheduler code
into MindSpore, using only recipes of the knowledge base whose checks passed in this build.

- rules.py: derive rewrite rules from the loaded KB and its verification results;
- template.py: a recipe's MindSpore side as a template (holes for the torch arguments);
- apply.py: match an optimizer and its schedulers to rules and fill the templates;
- rewrite.py: the libcst rewrite of a whole script;
- compare.py: run a configuration in both frameworks (worker processes) and report the difference;
- scripts.py: torch scripts to translate (a configuration in the verifier's protocol, a rule's recipe
  as a whole training script) and the standard inputs they read;
- constructions.py, snippets.py, values.py, signatures.py: reading calls, literals and signatures;
- cli.py: the two subcommands.
"""

from .rewrite import Note, Translation, translate_source
from .rules import Rule, Rulebook, load_rulebook

__all__ = ["Note", "Rule", "Rulebook", "Translation", "load_rulebook", "translate_source"]
