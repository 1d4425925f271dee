"""p2s run: the whole chain from the task's natural-language description to RTL."""

from __future__ import annotations

import argparse
import time

from agents.env import DEFAULT_BUDGET
from pipeline.commands.hw_args import add_formal_argument, add_hls_argument, add_runner_argument
from pipeline.commands.llm_args import add_grammar_argument, add_llm_call_arguments, llm_call_options

HELP = "generate verified Dafny from a task with an LLM, then run the hardware stages (python, c, rtl, cosim, estimate)"
EPILOG = """examples:
  p2s run --task benchmarks/examples/max2.yaml                       # embedded Qwen2.5-Coder-0.5B, one shot
  p2s run --task benchmarks/examples/clamp.yaml --agent repair
  p2s run --task T.yaml --llm embedded:1.5b --agent repair
  p2s run --task T.yaml --agent preface-lite --checkpoint runs/lite --attempts 7   # a trained policy (p2s train)
  p2s run --task T.yaml --llm openai:gpt-4o-mini                    # OPENAI_BASE_URL / OPENAI_API_KEY
  p2s run --task T.yaml --llm reference                             # the task's own solution (no model)
  p2s run --task T.yaml --llm replay:runs/<run>/transcript.jsonl     # replay a recorded run
The run folder holds report.json, transcript.jsonl (every LLM call), attempts.jsonl and each stage's files.
Exit status 0 only when every stage passed.
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--task", required=True, help="task YAML file")
    p.add_argument("--llm", default="embedded",
                   help="embedded[:0.5b|1.5b|smollm2] (default), openai:MODEL, hf:PATH, reference, replay:FILE")
    p.add_argument("--agent", default="none",
                   help="none (one shot, default), repair (feed diagnostics back), or best-of-n, preface-lite, preface")
    p.add_argument("--attempts", type=int, default=None,
                   help=f"attempt budget (default {DEFAULT_BUDGET}; none uses one)")
    p.add_argument("--prompt", default="auto", choices=["auto", "chat", "completion"],
                   help="prompt style (auto: few-shot completion for embedded models, chat otherwise)")
    p.add_argument("--max-tokens", type=int, default=None, help="reply length limit (default: the agent's own)")
    p.add_argument("--temperature", type=float, default=None,
                   help="sampling temperature (default: the agent's own, 0 for none and 0.75 for the others; "
                        "a learned policy may change it per prompt)")
    p.add_argument("--seed", type=int, default=0,
                   help="episode seed: each LLM call's sampling seed and the policy's own sampling derive from it")
    p.add_argument("--checkpoint", help="policy checkpoint for a trained agent")
    add_hls_argument(p)
    add_runner_argument(p)
    p.add_argument("--verify-timeout", type=float, default=60.0, help="seconds per verifier call")
    add_formal_argument(p)
    p.add_argument("--out", help="run folder (default runs/{task}__{llm}__{seed}__{time})")
    p.add_argument("--cache", metavar="FILE", help="SQLite cache of greedy LLM calls (reused across runs)")
    add_grammar_argument(p)
    add_llm_call_arguments(p)
    p.add_argument("--json", action="store_true", help="print report.json instead of the summary table")


class Progress:
    """A one-line live status (stage, attempt) on a terminal; silent otherwise."""

    def __init__(self) -> None:
        import sys

        self.status = None
        if sys.stderr.isatty():
            from rich.console import Console

            self.status = Console(stderr=True).status("starting")
            self.status.start()

    def __call__(self, event: str, **info) -> None:
        if self.status is None:
            return
        if event == "loading":
            self.status.update(f"loading LLM {info['llm']}")
        elif event == "attempt":
            self.status.update(f"generate: attempt {info['index']}/{info['budget']} (LLM)")
        elif event == "llm_done":
            self.status.update(f"verify: attempt {info['index']} ({info['tokens']} tokens)")
        elif event == "stage" and info.get("result") is None:
            self.status.update(f"stage {info['name']}")

    def stop(self) -> None:
        if self.status is not None:
            self.status.stop()


def print_summary(ctx, extra: dict) -> None:
    from pipeline.display import print_stage_table

    print_stage_table(ctx, f"p2s run {ctx.task.id}",
                      f"attempts {extra['attempts']}, tokens {extra['tokens']}; report: {ctx.out_dir / 'report.json'}",
                      detail_width=90)


def check_out_dir(out, given: bool) -> None:
    """A run folder that can be made: a file at ``out`` (or at a parent) is one error line, not a traceback."""
    from pathlib import Path

    from pipeline.errors import UserError

    out = Path(out)
    what = f"--out {out}" if given else f"run folder {out}"
    if out.exists() and not out.is_dir():
        raise UserError(f"{what}: is a file, not a folder: give a new or existing folder for the run")
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise UserError(f"{what}: {parent} is a file, not a folder: give a path under a folder")
            break


def check_replay_file(llm: str) -> None:
    """``replay:FILE`` is read before the model is built (the prompt style follows it): check it up front."""
    name, _, arg = llm.partition(":")
    if name == "replay" and arg:
        from agents.llm.transcript import check_transcripts

        check_transcripts(arg)


def run(args: argparse.Namespace) -> int:
    import re
    from pathlib import Path

    from pipeline.errors import UserError
    from pipeline.generate import run_task_from_spec
    from pipeline.runner import run_passed
    from pipeline.stage import RunOptions
    from pipeline.task import load_task

    task = load_task(args.task)
    if args.attempts is not None and args.attempts < 1:
        raise UserError("--attempts must be at least 1")
    attempts = args.attempts if args.attempts is not None else DEFAULT_BUDGET
    llm_tag = re.sub(r"[^\w.-]+", "_", args.llm.replace(":", "-").split("/")[-1])[:40]
    out = Path(args.out or f"runs/{task.id}__{llm_tag}__{args.seed}__{time.strftime('%Y%m%d-%H%M%S')}")
    check_out_dir(out, given=bool(args.out))
    check_replay_file(args.llm)
    llm_options = llm_call_options(args)
    options = RunOptions(hls=args.hls, runner=args.runner, seed=args.seed, verify_timeout=args.verify_timeout,
                         formal=args.formal, formal_timeout=args.formal_timeout)
    progress = Progress()
    try:
        ctx, extra = run_task_from_spec(
            task, llm=args.llm, agent=args.agent, attempts=attempts, options=options, out_dir=out,
            checkpoint=args.checkpoint, temperature=args.temperature, prompt_style=args.prompt, grammar=args.grammar,
            max_tokens=args.max_tokens, cache=args.cache,
            llm_options=llm_options, on_event=progress,
        )
    finally:
        progress.stop()
    if args.json:
        print((ctx.out_dir / "report.json").read_text())
    else:
        print_summary(ctx, extra)
    return 0 if run_passed(ctx.results) else 1
