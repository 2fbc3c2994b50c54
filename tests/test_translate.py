"""`refmap translate` and `refmap compare`, tested the PaConvert way, through the public surface.

For every rewrite rule (a KB counterpart whose recipe checks passed), a whole torch training script
is built from the recipe, translated with `refmap.translate.translate_source`, and both scripts run on
the recipe check's multi-scale inputs: every torch script in one process, every translation in
another (tests/translate_cases/run_scripts.py), so each framework is imported once. The parameter
trajectories must agree within the entry's tolerance. Scripts with a model and autograd, constructs
without a rule and bad input are checked too, and the two commands are run as a user runs them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from refmap.schema import Inputs
from refmap.translate import Rule, Rulebook, Translation, load_rulebook, translate_source
from refmap.translate.scripts import whole_script, write_inputs

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
CASES = REPO / "tests" / "translate_cases"
RUNNER = CASES / "run_scripts.py"
MAX_STEPS = 60  # a prefix of each recipe check's run: enough steps for the schedules to act
SETUP_CASES = {  # whole scripts of KB setups (refmap/setups/) written as a user writes them
    "adamw_no_decay_groups.py": "adamw-no-decay-norm-bias",
    "sgd_momentum_multisteplr.py": "sgd-momentum-multisteplr",
    "adamw_warmup_cosine.py": "adamw-warmup-cosine",
}


def _env() -> dict[str, str]:
    cache = os.environ.get("REFMAP_CACHE_DIR") or str(REPO / ".refmap_cache")
    return {**os.environ, "GLOG_v": "3", "REFMAP_CACHE_DIR": cache}


@pytest.fixture(scope="module")
def book() -> Iterator[Rulebook]:
    """The rules of the real KB (its cached verification; on a cold cache this verifies the KB,
    which the docs build then reuses)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REFMAP_CACHE_DIR", _env()["REFMAP_CACHE_DIR"])
        yield load_rulebook()


@dataclass
class Case:
    name: str
    torch: str
    translation: Translation
    folder: Path
    tolerance: tuple[float, float]
    rule: Rule | None = None

    def result(self, side: str) -> np.ndarray | str:
        folder = self.folder / side
        err = folder / "error.txt"
        if err.exists():
            return err.read_text(encoding="utf-8").strip().splitlines()[-1]
        path = folder / "result.json"
        if not path.exists():
            return "no result.json"
        return np.asarray(json.loads(path.read_text(encoding="utf-8")), dtype=np.float64)


def _inputs(rule: Rule) -> Inputs:
    i = rule.check.inputs
    return i.model_copy(update={"steps": min(i.steps, MAX_STEPS)})


def _optimizer_rules(book: Rulebook, rule: Rule) -> list[str]:
    """A schedule recipe that builds only the schedule (an nn list) is composed with the
    optimizer's own rules on the same target."""
    if "opt" in rule.template.binders:
        return []
    return [
        r.id
        for r in book.rules
        if r.target == rule.target and not r.schedulers and r.optimizer.api == rule.optimizer.api
    ]


def _rule_cases(book: Rulebook, root: Path) -> list[Case]:
    cases = []
    for n, rule in enumerate(book.rules):
        assert rule.tolerance is not None, rule.id
        variants: list[tuple[str, dict]] = [("", {})]
        lr = rule.holes.get(("opt", "lr"))
        value = rule.values.get(("opt", "lr"))
        if lr is not None and lr.direct and not lr.pinned and isinstance(value, float):
            variants.append((" lr*0.5", {("opt", "lr"): value * 0.5}))  # the user's rate carried over
        for suffix, changes in variants:
            source = whole_script(rule, changes)
            tr = translate_source(source, book, rule.target, only=[rule.id, *_optimizer_rules(book, rule)])
            folder = root / f"rule{n}{'-lr' if suffix else ''}"
            write_inputs(folder, _inputs(rule))
            cases.append(Case(rule.id + suffix, source, tr, folder, rule.tolerance, rule))
    return cases


def _setup_cases(book: Rulebook, root: Path) -> list[Case]:
    cases = []
    for file, entry_id in SETUP_CASES.items():
        source = (CASES / file).read_text(encoding="utf-8")
        tr = translate_source(source, book)
        tols = [r.tolerance for r in book.rules if r.entry.id == entry_id and r.tolerance]
        folder = root / file.removesuffix(".py")
        write_inputs(folder, Inputs(steps=MAX_STEPS))
        cases.append(Case(file, source, tr, folder, max(tols, default=(1e-5, 1e-6))))
    return cases


def _run_all(cases: list[Case]) -> None:
    """Every torch script in one process, every translation in another, at the same time."""
    runnable = [c for c in cases if c.translation.complete]
    for c in runnable:
        for side, code in (("torch", c.torch), ("mindspore", c.translation.code)):
            (c.folder / side).mkdir(parents=True, exist_ok=True)
            (c.folder / side / "inputs.npz").write_bytes((c.folder / "inputs.npz").read_bytes())
            (c.folder / side / "script.py").write_text(code, encoding="utf-8")
    procs = [
        subprocess.Popen(
            [sys.executable, str(RUNNER), *(str(c.folder / side) for c in runnable)],
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for side in ("torch", "mindspore")
    ]
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-2000:]


@pytest.fixture(scope="module")
def cases(book: Rulebook, tmp_path_factory: pytest.TempPathFactory) -> list[Case]:
    root = tmp_path_factory.mktemp("translate")
    out = _rule_cases(book, root) + _setup_cases(book, root)
    _run_all(out)
    return out


def _mismatch(c: Case) -> str | None:
    if not c.translation.complete:
        left = c.translation.untranslated + c.translation.torch_uses
        return "not translated: " + "; ".join(n.render() for n in left)[:600]
    t, m = c.result("torch"), c.result("mindspore")
    if isinstance(t, str) or isinstance(m, str):
        return f"torch: {t if isinstance(t, str) else 'ran'}; MindSpore: {m if isinstance(m, str) else 'ran'}"
    if t.shape != m.shape:
        return f"trajectories of shapes {t.shape} and {m.shape}"
    if np.allclose(t[-1], t[0]):
        return "the parameters did not move"
    rtol, atol = c.tolerance
    gap = np.abs(t - m) - (atol + rtol * np.abs(t))
    if not np.isfinite(m).all() or gap.max() > 0:
        step = int(np.argmax(gap.max(axis=1)))
        return f"step {step}: max |Δ| {np.abs(t - m)[step].max():.3g} exceeds rtol={rtol:g}, atol={atol:g}"
    return None


def test_every_rule_translates_a_script_that_matches_torch(cases: list[Case]) -> None:
    """Each rule, at the recipe's values and (where the KB shows the rate carries over) at another
    learning rate: the translated script runs in MindSpore and follows torch within the entry's tolerance."""
    rule_cases = [c for c in cases if c.rule is not None]
    failures = [f"{c.name}: {why}" for c in rule_cases if (why := _mismatch(c))]
    assert failures == [], "\n".join(failures)
    for c in rule_cases:
        assert c.translation.target == c.rule.target  # type: ignore[union-attr]
        assert c.rule.id in [n.source for n in c.translation.rewrites]  # type: ignore[union-attr]


def test_setup_scripts_written_by_hand_translate_and_match(cases: list[Case]) -> None:
    """Whole scripts for the KB's setups (refmap/setups/), as a user writes them: the default target."""
    failures = [f"{c.name}: {why}" for c in cases if c.rule is None and (why := _mismatch(c))]
    assert failures == [], "\n".join(failures)


def test_rules_account_for_every_recipe(book: Rulebook) -> None:
    """Every counterpart with a recipe is a rule or rejected with a reason; the KB gives dozens of rules,
    every target among them, and the setups."""
    recipes = {
        (le.entry.id, cp.api, cp.label)
        for le in book.entries
        if le.entry.kind != "concept"
        for cp in le.entry.counterparts
        if cp.recipe is not None and cp.api
    }
    got = {(r.entry.id, r.cp.api, r.cp.label) for r in book.rules} | {
        (x.entry_id, x.api, x.label) for x in book.rejected
    }
    assert got == recipes
    assert all(x.reason for x in book.rejected)
    assert len(book.rules) >= 40
    assert {r.target for r in book.rules} == {"experimental", "nn", "mint"}
    assert any(r.entry.kind == "setup" for r in book.rules)


def test_parameter_groups_translate_where_the_kb_shows_them(book: Rulebook) -> None:
    source = (CASES / "adamw_no_decay_groups.py").read_text(encoding="utf-8")
    tr = translate_source(source, book, "experimental")
    assert tr.complete, tr.untranslated
    assert '{"params": decay, "weight_decay": 0.1}' in tr.code
    assert "mindspore.experimental.optim.AdamW([" in tr.code


def test_a_model_with_autograd_keeps_its_torch_code_and_lists_it(book: Rulebook) -> None:
    source = (CASES / "model_autograd.py").read_text(encoding="utf-8")
    tr = translate_source(source, book)
    assert "mindspore.experimental.optim.SGD(" in tr.code
    assert "torch.nn.Linear(3, 2)" in tr.code and "loss.backward()" in tr.code
    listed = " ".join(n.render() for n in tr.torch_uses)
    for use in ("torch.nn.Linear", "torch.randn", "torch.nn.functional.mse_loss", ".backward()"):
        assert use in listed
    assert not tr.complete
    # the step protocol cannot be rewritten without the gradients: left, commented, linked
    assert "# refmap: not translated: the gradients come from autograd" in tr.code
    assert any("zero_grad.html" in (n.url or "") for n in tr.untranslated)


def test_constructs_without_a_rule_stay_with_a_comment(book: Rulebook) -> None:
    source = (CASES / "untranslatable.py").read_text(encoding="utf-8")
    tr = translate_source(source, book)
    lines = tr.code.splitlines()
    # ReduceLROnPlateau has no rule: left in place, with the entry's page and the reason
    i = next(i for i, ln in enumerate(lines) if "torch.optim.lr_scheduler.ReduceLROnPlateau(" in ln)
    comments = [ln.strip() for ln in lines[:i] if ln.strip().startswith("# refmap:")]
    assert any("reference/adam.html" in c or "reducelronplateau.html" in c for c in comments)
    assert any("not translated:" in c for c in comments)
    # gradient clipping has no rule: the torch call stays and is listed
    assert "torch.nn.utils.clip_grad_norm_" in tr.code
    assert any("clip_grad_norm_" in n.text for n in tr.torch_uses)
    assert tr.untranslated and not tr.complete


def test_an_argument_the_kb_has_not_proven_is_refused_with_the_reason(book: Rulebook) -> None:
    tr = translate_source("import torch\nopt = torch.optim.Adam(params, lr=1e-3, eps=1e-6)\n", book, "nn")
    assert "torch.optim.Adam(" in tr.code and "mindspore" not in tr.code.split("# refmap")[0]
    assert any("`eps` is 1e-06" in n.text for n in tr.untranslated)


def test_bad_input_is_a_clear_error(book: Rulebook) -> None:
    with pytest.raises(ValueError, match="target must be one of"):
        translate_source("x = 1\n", book, "graph")
    with pytest.raises(SyntaxError, match="line 2"):
        translate_source("import torch\nopt = torch.optim.SGD(params, lr=\n", book)


def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "refmap", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=_env(),
        cwd=REPO,
        timeout=600,
    )


def test_translate_cli_stdin_to_stdout_with_a_target(tmp_path: Path) -> None:
    source = (CASES / "sgd_cosine.py").read_text(encoding="utf-8")
    p = _cli("translate", "-", "--target", "nn", stdin=source)
    assert p.returncode == 0, p.stderr
    assert "mindspore.nn." in p.stdout and "import torch" not in p.stdout and "torch.optim" not in p.stdout
    assert "translated:" in p.stderr and "rule(s) applied, target nn" in p.stderr
    bad = tmp_path / "bad.py"
    bad.write_text("import torch\nopt = torch.optim.SGD(params, lr=\n", encoding="utf-8")
    p = _cli("translate", str(bad), "-o", str(tmp_path / "out.py"))
    assert p.returncode == 2 and "bad.py" in p.stderr and "line 2" in p.stderr
    assert "Traceback" not in p.stderr and not (tmp_path / "out.py").exists()
    p = _cli("translate", str(tmp_path / "missing.py"))
    assert p.returncode == 2 and "missing.py" in p.stderr and "Traceback" not in p.stderr


def test_compare_cli_runs_both_sides_and_reports_per_step_range() -> None:
    p = _cli(
        "compare",
        "torch.optim.AdamW(params, lr=3e-4, weight_decay=0.1)",
        "--schedule",
        "torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)",
        "--steps",
        "60",
    )
    assert p.returncode == 0, p.stdout + p.stderr
    out = p.stdout
    assert "mindspore.experimental.optim.AdamW(params, lr=3e-4, weight_decay=0.1)" in out
    assert "1-10" in out and "11-50" in out and "51-60" in out
    assert "within the KB's tolerance" in out
    p = _cli("compare", "torch.optim.SGD(params, lr=")
    assert p.returncode == 2 and "not valid Python" in p.stderr and "Traceback" not in p.stderr


def test_the_gallery_example_embeds_the_current_translation(book: Rulebook) -> None:
    """examples/plot_translate_script.py carries the translator's output so it runs without refmap;
    it must be exactly what `translate` writes now."""
    import ast

    tree = ast.parse((REPO / "examples" / "plot_translate_script.py").read_text(encoding="utf-8"))
    strings = {
        t.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    tr = translate_source(strings["TORCH_SCRIPT"], book)
    assert tr.complete and tr.target == "experimental"
    assert tr.code == strings["MINDSPORE_SCRIPT"], "regenerate MINDSPORE_SCRIPT with `python -m refmap translate`"
