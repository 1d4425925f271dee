"""Speed of the embedded LLM runtime builds: prompt and generation tokens per second, build against build.

Usage::

    .venv/bin/python -m benchmarks.llm_runtime_speed --model 0.5b \\
        --runtime .venv/bin/python --runtime OTHER_VENV/bin/python [--repeats 3] [--out FILE.json]

Each ``--runtime`` is the Python of an environment holding a llama-cpp-python build (e.g. one made with
``python -m agents.llm.runtime_build ensure --level native`` in a second venv). The prompt is the real
few-shot prompt of ``benchmarks/examples/max2.yaml``; each runtime loads the model in a fresh process and
decodes greedily, ``--repeats`` times (the evaluated prompt is dropped between repeats, so every repeat
evaluates it in full). The figures are the median of the repeats of llama.cpp's own timings. Why: the
portable build (a named ISA level, AMX off) must not cost speed against ``-march=native`` where both run.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Runs inside each runtime's environment: only llama_cpp and the standard library.
_CHILD = r"""
import json, os, sys, time
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import llama_cpp
req = json.load(sys.stdin)
llm = llama_cpp.Llama(model_path=req["model"], n_ctx=4096, n_threads=req["threads"], n_gpu_layers=0, verbose=False)
runs = []
for _ in range(req["repeats"]):
    llm.reset()
    tokens = llm.tokenize(req["prompt"].encode())
    t0 = time.perf_counter()
    llm.eval(tokens)
    t1 = time.perf_counter()
    n = 0
    for tok in llm.generate([], top_k=1, temp=0.0, reset=False):
        n += 1
        if n >= req["max_tokens"] or tok == llm.token_eos():
            break
    t2 = time.perf_counter()
    runs.append({"prompt_tokens": len(tokens), "prompt_s": t1 - t0, "gen_tokens": n, "gen_s": t2 - t1})
marker = os.path.join(sys.prefix, req["marker"])
build = json.load(open(marker)) if os.path.exists(marker) else {"key": None, "level": "pip default (native)"}
print(json.dumps({"build": build, "version": llama_cpp.__version__, "runs": runs}))
"""


def _prompt() -> str:
    from agents.prompts import PromptBuilder
    from pipeline.task import load_task

    prompt = PromptBuilder("completion", n_examples=3).initial(load_task(REPO / "benchmarks/examples/max2.yaml"))
    return prompt.messages[0]["content"]


def measure(python: str, model: Path, prompt: str, repeats: int, max_tokens: int, threads: int) -> dict:
    """One runtime's figures: medians of prompt and generation tokens per second."""
    from agents.llm.runtime_build import MARKER

    req = {"model": str(model), "prompt": prompt, "repeats": repeats, "max_tokens": max_tokens, "threads": threads,
           "marker": MARKER}
    out = subprocess.run([python, "-c", _CHILD], input=json.dumps(req), capture_output=True, text=True, check=True)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    runs = data.pop("runs")
    data.update(
        python=python, repeats=repeats, prompt_tokens=runs[0]["prompt_tokens"], gen_tokens=runs[0]["gen_tokens"],
        prompt_tok_per_s=round(statistics.median(r["prompt_tokens"] / r["prompt_s"] for r in runs), 1),
        gen_tok_per_s=round(statistics.median(r["gen_tokens"] / r["gen_s"] for r in runs), 1),
    )
    return data


def _commit() -> str:
    out = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return out.stdout.strip()


def _cpu() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def main(argv: list[str] | None = None) -> int:
    from agents.llm.fetch_model import ensure_model
    from agents.llm.runtime_build import choose_level, host_cpu_flags

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="0.5b", help="embedded model key (0.5b, 1.5b, smollm2)")
    parser.add_argument("--runtime", action="append", required=True, help="a Python whose env holds a build")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", help="write the figures as JSON here too")
    args = parser.parse_args(argv)
    model, prompt = ensure_model(args.model), _prompt()
    results = [measure(py, model, prompt, args.repeats, args.max_tokens, args.threads) for py in args.runtime]
    record = {"commit": _commit(), "cpu": _cpu(), "host_level": choose_level(host_cpu_flags()),
              "model": model.name, "threads": args.threads, "results": results}
    print("| build | prompt tok/s | generation tok/s |\n| --- | --- | --- |")
    for r in results:
        print(f"| {r['build'].get('level')} | {r['prompt_tok_per_s']} | {r['gen_tok_per_s']} |")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(record, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
