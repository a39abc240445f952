"""Where a month's time goes, thread by thread, by the code it runs (Linux ``perf``).

    uv run python benchmarks/profile.py [--households 200000] [--months 60] [--top 20]

A child process builds the baseline county (stepping on two threads, as ``abm run``),
steps two months, then steps ``--months`` months while ``perf record -e cpu-clock``
samples its threads (``--freq`` samples a second). The child runs Python with ``-X
perf``, which names Python's functions in perf's map; before it exits it adds the
compiled kernels (``abm.kernels``, numba) to that map, so a sample in a kernel is named
by the kernel. The sampling stops before the child exits (its last garbage collection is
not counted).

It prints, for the stepping thread and the helper thread (``abm.parallel``), the
milliseconds a month each spends in compiled kernels, numpy, the Python interpreter,
the C library and the operating system's kernel (time asleep, waiting for the GIL or
the other thread, is not sampled: it is the month less the stepping thread's total),
then each thread's top symbols. A sample is charged to the compiled kernel whose code
starts nearest below it, so a kernel's inlined helpers count as its own. With
``--stacks`` perf also records each sample's call stack (``--call-graph dwarf``, at
most 500 samples a second), and the stepping thread's time outside the compiled
kernels (numpy, the interpreter, the C library) is listed by the Python function it
ran in: where the glue between the passes is. Only the innermost Python function is
known (perf cannot unwind past Python's perf trampolines), so time in numpy's own
Python wrappers shows as theirs (``_sum`` for ``a.sum()``, ``_wrapfunc`` for
``np.flatnonzero`` and the like).

Needs ``perf`` (Debian's ``linux-perf``) and leave to sample one's own processes
(``/proc/sys/kernel/perf_event_paranoid`` at most 2, or root). Sampling slows the month
by a few percent. Nothing here is asserted by the tests.
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, os, sys, threading, time
sys.path.insert(0, sys.argv[1])
os.chdir(sys.argv[1])
households, months, ready, done = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
from abm.config import load_config
from abm.runner import build_model
from abm import parallel

model = build_model(load_config("configs/baseline.yaml", households=households,
                                months=months + 2), prefetch_draws=True)
for _ in range(2):
    model.step()
with open(ready, "w") as f:
    f.write(str(os.getpid()))
while os.path.exists(ready):  # the parent removes it once perf is sampling
    time.sleep(0.01)
t = time.perf_counter()
for _ in range(months):
    model.step()
seconds = time.perf_counter() - t

# The compiled kernels in perf's map: each one's code from its entry to the next one's.
import numba
from abm import kernels

starts = []
for name, disp in vars(kernels).items():
    if isinstance(disp, numba.core.registry.CPUDispatcher):
        for cres in disp.overloads.values():
            addr = cres.library.get_pointer_to_function(cres.fndesc.llvm_func_name)
            if addr:
                starts.append((addr, name))
starts.sort()
with open(f"/tmp/perf-{os.getpid()}.map", "a") as f:
    for (addr, name), (after, _) in zip(starts, starts[1:] + [(starts[-1][0] + 65536, "")]):
        f.write(f"{addr:x} {min(after - addr, 1 << 18):x} kernels.{name}\n")
helper = parallel._helper._thread.native_id if parallel._helper is not None else None
with open(done + ".tmp", "w") as f:
    json.dump({"seconds": seconds, "main": threading.get_native_id(), "helper": helper}, f)
os.replace(done + ".tmp", done)
while os.path.exists(done):  # the parent stops perf first
    time.sleep(0.01)
"""

KINDS = ("compiled kernels", "numpy", "Python interpreter", "C library", "OS kernel",
         "other")


def kind_of(sym: str, dso: str) -> str:
    if sym.startswith("kernels.") or ("perf-" in dso and not sym.startswith("py::")):
        return "compiled kernels"
    if sym.startswith("py::") or "libpython" in dso:
        return "Python interpreter"
    if "numpy" in dso:
        return "numpy"
    if "kernel.kallsyms" in dso:
        return "OS kernel"
    if any(lib in dso for lib in ("libc.so", "libm.so", "ld-linux")):
        return "C library"
    return "other"


def _wait_for(path: Path, proc: subprocess.Popen, what: str) -> None:
    while not path.exists():
        if proc.poll() is not None:
            sys.exit(f"profile: the model's process ended before {what} (exit {proc.returncode})")
        time.sleep(0.02)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--households", type=int, default=200_000)
    ap.add_argument("--months", type=int, default=60)
    ap.add_argument("--freq", type=int, default=2000, help="samples a second (perf -F)")
    ap.add_argument("--top", type=int, default=20, help="symbols listed per thread")
    ap.add_argument("--stacks", action="store_true",
                    help="record call stacks: the glue by Python function")
    args = ap.parse_args()
    if args.stacks:
        args.freq = min(args.freq, 500)  # (each sample copies 16 KB of stack)
    perf = shutil.which("perf")
    if perf is None:
        print("profile: perf is not installed (Debian: apt-get install linux-perf)",
              file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        ready, done, data = Path(tmp, "ready"), Path(tmp, "done"), Path(tmp, "perf.data")
        child = subprocess.Popen([sys.executable, "-X", "perf", "-c", CHILD, str(ROOT),
                                  str(args.households), str(args.months), str(ready),
                                  str(done)])
        _wait_for(ready, child, "its first two months")
        stacks = ["--call-graph", "dwarf,16384"] if args.stacks else []
        rec = subprocess.Popen([perf, "record", "-e", "cpu-clock", "-F", str(args.freq),
                                *stacks, "-p", str(child.pid), "-o", str(data)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(0.5)  # (perf attaches to every thread)
        if rec.poll() is not None:
            child.kill()
            print("profile: perf record failed: "
                  + rec.stderr.read().decode(errors="replace").strip().splitlines()[-1],
                  file=sys.stderr)
            return 2
        ready.unlink()
        _wait_for(done, child, "the months were done")
        rec.send_signal(signal.SIGINT)
        rec.wait()
        info = json.loads(done.read_text())
        done.unlink()
        child.wait()
        script = subprocess.run([perf, "script", "-i", str(data), "-F", "tid,ip,sym,dso"],
                                capture_output=True, text=True, check=True).stdout
        perf_map = Path(f"/tmp/perf-{child.pid}.map")  # (Python's and the kernels')
        perf_map.unlink(missing_ok=True)

    ms_per_sample = 1000.0 / args.freq / args.months
    kinds: dict[int, collections.Counter] = collections.defaultdict(collections.Counter)
    syms: dict[int, collections.Counter] = collections.defaultdict(collections.Counter)
    glue: collections.Counter = collections.Counter()
    for tid, frames in _samples(script, args.stacks):
        sym, dso = frames[0]
        k = kind_of(sym, dso)
        kinds[tid][k] += 1
        syms[tid][(k, sym)] += 1
        if args.stacks and tid == info["main"] and k != "compiled kernels":
            py = next((f for f, _ in frames if f.startswith("py::")), "(no Python frame)")
            glue[py.removeprefix("py::").replace(str(ROOT) + "/", "")] += 1
    month_ms = info["seconds"] / args.months * 1e3
    print(f"{args.households:,} households, {args.months} months sampled at {args.freq} Hz: "
          f"{month_ms:.2f} ms a month (wall clock, while sampled)")
    names = {info["main"]: "stepping thread", info["helper"]: "helper thread"}
    print(f"\n{'ms a month':<22}" + "".join(f"{names[t]:>18}" for t in names if t in kinds))
    for k in KINDS:
        print(f"{k:<22}" + "".join(f"{kinds[t][k] * ms_per_sample:>18.2f}"
                                    for t in names if t in kinds))
    totals = {t: sum(kinds[t].values()) * ms_per_sample for t in names if t in kinds}
    print(f"{'on a core':<22}" + "".join(f"{v:>18.2f}" for v in totals.values()))
    if info["main"] in totals:
        print(f"{'not on a core':<22}{month_ms - totals[info['main']]:>18.2f}"
              "   (the stepping thread asleep: waiting for the GIL, the helper, the OS)")
    others = sum(sum(c.values()) for t, c in kinds.items() if t not in names)
    if others:
        print(f"other threads: {others * ms_per_sample:.2f} ms a month")
    for tid, name in names.items():
        if tid not in syms:
            continue
        print(f"\n{name}: top symbols (ms a month)")
        for (k, sym), c in syms[tid].most_common(args.top):
            print(f"  {c * ms_per_sample:6.2f}  {k:<18}  {sym[:90]}")
    if glue:
        print("\nstepping thread outside the compiled kernels, by the Python function it ran "
              "in (ms a month)")
        for fn, c in glue.most_common(args.top):
            print(f"  {c * ms_per_sample:6.2f}  {fn[:100]}")
    return 0


def _samples(script: str, stacks: bool):
    """(thread id, [(symbol, library), ...] innermost first) for each sample of ``perf
    script -F tid,ip,sym,dso``: a line a sample, or with call stacks a header line
    then a frame a line, and a blank line after."""
    def frame(text: str) -> tuple[str, str]:
        sym, _, dso = text.rpartition(" (")
        return sym.split("+0x")[0].strip() or "[unknown]", dso.rstrip(")")

    if not stacks:
        for line in script.splitlines():
            parts = line.split(None, 2)
            if len(parts) == 3 and parts[0].isdigit():
                yield int(parts[0]), [frame(parts[2])]
        return
    for block in script.split("\n\n"):
        lines = [x for x in block.splitlines() if x.strip()]
        if not lines or not lines[0].split()[0].isdigit():
            continue
        frames = [frame(x.strip().split(None, 1)[1]) for x in lines[1:]
                  if len(x.strip().split(None, 1)) == 2]
        if frames:
            yield int(lines[0].split()[0]), frames


if __name__ == "__main__":
    sys.exit(main())
