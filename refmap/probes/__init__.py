"""Probes: the functions that concept checks run (`probe: <module>.<function>` in an entry).

The contract (refmap/probes/registry.py):

- A probe is `@probe`-decorated `def name(ctx: ProbeContext) -> ProbeOutput` in a module of this
  package; it is registered as `"<module>.<function>"` (for example `params.all_trainable`), the
  name an entry's check gives as `probe:`. Helpers stay private (a leading underscore, no
  decorator) or live in the helper modules `arrays` and `nets`, which register nothing.
- `ctx.inputs` holds the check's inputs (seed, steps, grad_scale ...); `ctx.torch` and
  `ctx.mindspore` are the two frameworks; `ctx.torch_device` is the torch device of the run.
- Every torch tensor built from NumPy data goes on `ctx.torch_device` (`ctx.torch_tensor`,
  `ctx.torch_param`, or `.to(ctx.torch_device)` for modules); values are read back with
  `ctx.numpy` (or `.detach().cpu()`). Seeded data comes from `arrays`, so a seed gives the same
  numbers in both frameworks and on every run.
- A probe returns `ProbeOutput(torch=[...], mindspore=[...], labels=[...])`: two sequences of
  equal shape, one vector (or number) per step, that the check's expectation is held against.
  Code for one framework runs inside `with ctx.side("torch"):` or `with ctx.side("mindspore"):`
  so that an exception is reported as that framework's.
- The docstring is shown on the site next to the probe's source: it says what each side measures.

Importing this package registers every probe in `registry.PROBES` without importing torch or
MindSpore; the frameworks arrive only through `ctx` when a probe runs.
"""

from . import (  # noqa: F401 - imported to register their probes
    custom_optimizer,
    get_lr,
    grad_clipping,
    loss_scale,
    param_groups,
    params,
    state_dict,
    zero_grad,
)
