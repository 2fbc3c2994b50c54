"""Import the frameworks once per worker, pick devices, report versions.

REFMAP_DEVICE=cpu (default) | gpu | auto. `gpu` insists on CUDA for torch; MindSpore joins on
GPU only where its wheel supports one, and the result says what each side really ran on.
"""

from __future__ import annotations

import gc
import os
import platform
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any

DEVICE_CHOICES = ("cpu", "gpu", "auto")


class DeviceError(RuntimeError):
    pass


def requested_device() -> str:
    """REFMAP_DEVICE, validated (no framework import: the cache key needs it too)."""
    raw = os.environ.get("REFMAP_DEVICE", "cpu")
    choice = raw.strip().lower() or "cpu"
    if choice not in DEVICE_CHOICES:
        raise DeviceError(f"REFMAP_DEVICE={raw!r} is not a device choice; use one of {', '.join(DEVICE_CHOICES)}")
    return choice


@dataclass(frozen=True)
class Runtime:
    torch: ModuleType
    mindspore: ModuleType
    np: ModuleType
    torch_device: Any  # torch.device
    env: dict[str, str]  # versions and devices, as stored with results

    def set_mindspore_mode(self, mode: str) -> None:
        ms = self.mindspore
        ms.set_context(mode=ms.GRAPH_MODE if mode == "graph" else ms.PYNATIVE_MODE)

    def reset(self) -> None:
        """Before each check: the same seeds and modes whatever ran before in this worker."""
        self.torch.manual_seed(0)
        self.np.random.seed(0)
        self.mindspore.set_seed(0)
        self.torch.set_default_dtype(self.torch.float32)
        self.set_mindspore_mode("pynative")


def _mindspore_gpu(ms: ModuleType) -> bool:
    try:
        ms.set_device("GPU")
        return True
    except Exception:  # noqa: BLE001 - any failure means "no usable GPU backend"
        return False


@cache
def runtime() -> Runtime:
    choice = requested_device()
    os.environ.setdefault("GLOG_v", "3")  # MindSpore: errors only from C++
    import mindspore
    import numpy
    import torch

    # Bit-for-bit repeatable CPU numbers: one thread per worker (the pool gives the parallelism),
    # deterministic kernels.
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True, warn_only=True)
    mindspore.set_context(mode=mindspore.PYNATIVE_MODE)
    want_gpu = choice in ("gpu", "auto")
    if want_gpu and torch.cuda.is_available():
        tdev = torch.device("cuda")
        tname = f"cuda ({torch.cuda.get_device_name(0)})"
    elif choice == "gpu":
        raise DeviceError("REFMAP_DEVICE=gpu but torch sees no CUDA device")
    else:
        tdev, tname = torch.device("cpu"), "cpu"
    if want_gpu and _mindspore_gpu(mindspore):
        msname = "GPU"
    else:
        mindspore.set_device("CPU")
        mindspore.device_context.cpu.op_tuning.threads_num(1)
        msname = "CPU"
    # Ops run synchronously: an error surfaces at the op that caused it, and small kernels run faster.
    mindspore.runtime.launch_blocking()
    # The imported frameworks are long-lived: keep the collector from rescanning them every check.
    gc.freeze()
    env = {
        "torch": torch.__version__.split("+")[0],
        "mindspore": mindspore.__version__,
        "numpy": numpy.__version__,
        "python": platform.python_version(),
        "torch_device": tname,
        "mindspore_device": msname,
    }
    return Runtime(torch, mindspore, numpy, tdev, env)
