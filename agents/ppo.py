"""PPO for prompt repair, in one readable file (actor-critic, clipped surrogate, GAE, KL penalty to the start).

Both learned policies train with this code: ``preface-lite`` (a small network choosing a repair operator) and
``preface`` (a small causal LM writing the repair instruction, whose *sequence* log-probability is the
action's log-probability). PPO sees the world only through :class:`agents.env.RepairEnv`'s reset/step; the
agent object supplies four things:

* ``act(state) -> Decision`` — sample an action, with its log-probability, value and the reference
  (initial) policy's log-probability of the same action;
* ``evaluate(states, actions) -> (logprob, entropy, value)`` — with gradients, for the update;
* ``parameters()`` — what the optimizer trains;
* ``state_dict()`` / ``load_state_dict()`` — for checkpoints.

Order of this file (as in CleanRL's single-file PPO): Args, seeding, buffers, rollout, reversed GAE loop,
flattening, shuffled minibatch epochs with clipped policy/value losses, entropy bonus, grad-norm clip and an
optional target-KL stop. Every update logs ``losses/*`` and ``charts/*`` to a CSV file.
"""

from __future__ import annotations

import csv
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch


@dataclass
class Args:
    """Every PPO hyperparameter, in one place (dumped into the run folder)."""

    seed: int = 0
    """seed of python, numpy and torch (and of the LLM's sampling where the backend accepts one)"""
    episodes: int = 40
    """total training episodes (one episode = one task, up to ``budget`` attempts)"""
    num_steps: int = 16
    """environment steps (LLM attempts) collected per rollout before each PPO update"""
    learning_rate: float = 3e-4
    """Adam learning rate"""
    anneal_lr: bool = False
    """linearly anneal the learning rate to zero over the training"""
    gamma: float = 0.9
    """discount factor over attempts"""
    gae_lambda: float = 0.95
    """lambda of generalized advantage estimation"""
    num_minibatches: int = 2
    """minibatches per epoch"""
    update_epochs: int = 4
    """passes over each rollout"""
    norm_adv: bool = True
    """normalize advantages within a minibatch"""
    clip_coef: float = 0.2
    """surrogate clipping coefficient"""
    clip_vloss: bool = True
    """clip the value loss around the rollout's value estimates"""
    ent_coef: float = 0.01
    """entropy bonus coefficient"""
    vf_coef: float = 0.5
    """value loss coefficient"""
    max_grad_norm: float = 0.5
    """gradient norm clip"""
    target_kl: float | None = None
    """stop the epochs of an update early when the approximate KL exceeds this"""
    kl_coef: float = 0.05
    """KL penalty to the reference (initial) policy, subtracted from each step's reward"""
    budget: int = 7
    """attempts per episode"""
    checkpoint_every: int = 1
    """save a checkpoint after every this many updates"""
    torch_threads: int = 1
    """torch CPU threads (1 avoids OpenMP spin-waiting on a small shared CPU; 0 keeps torch's default)"""

    # derived after parsing
    batch_size: int = field(default=0, init=False)
    """= num_steps (one environment at a time: each step is an LLM call and a verifier run)"""
    minibatch_size: int = field(default=0, init=False)
    """= batch_size // num_minibatches"""

    def __post_init__(self) -> None:
        self.batch_size = int(self.num_steps)
        self.minibatch_size = max(1, self.batch_size // max(1, self.num_minibatches))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Decision:
    """One sampled action: the prompt to send, the policy's own action, and the numbers PPO needs."""

    prompt: Any
    action: Any
    logprob: float
    value: float
    ref_logprob: float


class Agent(Protocol):
    def act(self, state: Any) -> Decision: ...

    def value(self, state: Any) -> float: ...

    def evaluate(self, states: list[Any], actions: list[Any]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        ...

    def parameters(self) -> Iterator[torch.nn.Parameter]: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


# ============================================================================================ algorithm pieces


def compute_gae(
    rewards: torch.Tensor, values: torch.Tensor, dones: torch.Tensor, next_value: float, next_done: float,
    gamma: float, gae_lambda: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Reversed GAE loop. ``dones[t]`` is 1 when the state at step t *starts* a new episode (CleanRL's convention:
    the done flag that came back with the observation), so ``1 - dones[t + 1]`` cuts the bootstrap.

    Returns:
        (advantages, returns), each of shape ``rewards.shape``.
    """
    n = rewards.shape[0]
    advantages = torch.zeros_like(rewards)
    lastgaelam = 0.0
    for t in reversed(range(n)):
        if t == n - 1:
            nextnonterminal = 1.0 - next_done
            nextvalues = next_value
        else:
            nextnonterminal = 1.0 - dones[t + 1]
            nextvalues = values[t + 1]
        delta = rewards[t] + gamma * nextvalues * nextnonterminal - values[t]
        lastgaelam = delta + gamma * gae_lambda * nextnonterminal * lastgaelam
        advantages[t] = lastgaelam
    return advantages, advantages + values


def explained_variance(y_pred: np.ndarray, y_true: np.ndarray) -> float:
    var_y = np.var(y_true)
    return float("nan") if var_y == 0 else float(1 - np.var(y_true - y_pred) / var_y)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# ============================================================================================ training loop


@dataclass
class TrainState:
    """Where training stands; saved in every checkpoint so a rerun continues from it."""

    iteration: int = 0
    global_step: int = 0
    episodes: int = 0
    task_cursor: int = 0


class CsvLog:
    """Append rows to a CSV file whose header is fixed by the first row."""

    def __init__(self, path: Path, fields: list[str]) -> None:
        self.path, self.fields = path, fields
        if not path.exists():
            with path.open("w", newline="") as fh:
                csv.DictWriter(fh, fields).writeheader()

    def write(self, rows: list[dict[str, Any]]) -> None:
        with self.path.open("a", newline="") as fh:
            w = csv.DictWriter(fh, self.fields, extrasaction="ignore")
            for row in rows:
                w.writerow(row)


UPDATE_FIELDS = [
    "iteration", "global_step", "episodes", "learning_rate", "losses/value_loss", "losses/policy_loss",
    "losses/entropy", "losses/old_approx_kl", "losses/approx_kl", "losses/clipfrac", "losses/explained_variance",
    "charts/approx_kl", "charts/clipfrac", "charts/explained_variance", "charts/kl_ref", "charts/mean_reward",
    "charts/verified_rate", "charts/SPS",
]
EPISODE_FIELDS = ["iteration", "episode", "task", "return", "verified", "attempts", "tokens", "actions"]


def train(
    args: Args,
    agent: Agent,
    next_env: Callable[[int], Any],
    out_dir: Path,
    state: TrainState | None = None,
    save_checkpoint: Callable[[TrainState, torch.optim.Optimizer], None] | None = None,
    optimizer_state: dict[str, Any] | None = None,
    log: Callable[[str], None] = print,
) -> TrainState:
    """Run PPO until ``args.episodes`` episodes are done.

    Args:
        args: hyperparameters.
        agent: the actor-critic (see the module docstring).
        next_env: ``cursor -> RepairEnv`` for the next episode (the trainer cycles tasks by cursor).
        out_dir: run folder: ``updates.csv`` and ``episodes.csv`` are appended there.
        state: where a resumed run stands (``None``: from scratch).
        save_checkpoint: called after every ``checkpoint_every`` updates with the state and optimizer.
        optimizer_state: the optimizer's saved state when resuming.
        log: progress line sink.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    st = state or TrainState()

    # ---------------------------------------------------------------------------------------- seeding
    # one seeding block; offset by the iteration so a resumed run does not replay the same random stream
    seed_everything(args.seed + 1000 * st.iteration)
    if args.torch_threads > 0:
        torch.set_num_threads(args.torch_threads)

    params = [p for p in agent.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=args.learning_rate, eps=1e-5)
    if optimizer_state:
        optimizer.load_state_dict(optimizer_state)
    updates_log = CsvLog(out_dir / "updates.csv", UPDATE_FIELDS)
    episodes_log = CsvLog(out_dir / "episodes.csv", EPISODE_FIELDS)
    num_iterations_est = max(1, -(-args.episodes * args.budget // args.batch_size))

    # ---------------------------------------------------------------------------------------- buffers
    states: list[Any] = [None] * args.num_steps
    actions: list[Any] = [None] * args.num_steps
    logprobs = torch.zeros(args.num_steps)
    ref_logprobs = torch.zeros(args.num_steps)
    rewards = torch.zeros(args.num_steps)
    dones = torch.zeros(args.num_steps)
    values = torch.zeros(args.num_steps)

    env = next_env(st.task_cursor)
    next_obs = env.reset()
    next_done = 1.0
    episode_return, episode_actions = 0.0, []
    start_time = time.time()

    while st.episodes < args.episodes:
        st.iteration += 1
        if args.anneal_lr:
            frac = max(0.0, 1.0 - (st.iteration - 1.0) / num_iterations_est)
            optimizer.param_groups[0]["lr"] = frac * args.learning_rate
        finished: list[dict[str, Any]] = []

        # ------------------------------------------------------------------------------------ rollout
        n = 0
        for step in range(args.num_steps):
            if st.episodes + len(finished) >= args.episodes and next_done:
                break  # every episode asked for has finished: stop at the episode boundary
            st.global_step += 1
            states[step] = next_obs
            dones[step] = next_done
            with torch.no_grad():
                decision = agent.act(next_obs)
            actions[step] = decision.action
            logprobs[step] = decision.logprob
            ref_logprobs[step] = decision.ref_logprob
            values[step] = decision.value
            next_obs, reward, done, info = env.step(decision.prompt)
            rewards[step] = float(reward)
            episode_return += float(reward)
            episode_actions.append(str(decision.prompt.action))
            next_done = 1.0 if done else 0.0
            n = step + 1
            if done:
                finished.append({
                    "iteration": st.iteration, "episode": st.episodes + len(finished) + 1, "task": env.task.id,
                    "return": round(episode_return, 4), "verified": int(info["verified"]),
                    "attempts": info["attempt"], "tokens": sum(a.tokens for a in env.attempts),
                    "actions": " ".join(episode_actions),
                })
                log(f"episode {finished[-1]['episode']}/{args.episodes} {env.task.id}: "
                    f"{'verified' if info['verified'] else 'failed'} after {info['attempt']} attempt(s), "
                    f"return {episode_return:.2f}")
                st.task_cursor += 1
                env = next_env(st.task_cursor)
                next_obs = env.reset()
                episode_return, episode_actions = 0.0, []
        if n == 0:
            break

        # ------------------------------------------------------------------------------------ KL penalty
        # reward shaping towards the initial policy: r_t - beta * (log pi(a_t|s_t) - log pi_ref(a_t|s_t))
        kl_ref = (logprobs[:n] - ref_logprobs[:n]).clone()
        shaped = rewards[:n] - args.kl_coef * kl_ref

        # ------------------------------------------------------------------------------------ GAE (reversed)
        with torch.no_grad():
            next_value = 0.0 if next_done else float(agent.value(next_obs))
        advantages, returns = compute_gae(
            shaped, values[:n], dones[:n], next_value, next_done, args.gamma, args.gae_lambda
        )

        # ------------------------------------------------------------------------------------ flatten batch
        b_states, b_actions = states[:n], actions[:n]
        b_logprobs, b_advantages = logprobs[:n].clone(), advantages
        b_returns, b_values = returns, values[:n].clone()
        minibatch_size = max(1, min(args.minibatch_size, n))

        # ------------------------------------------------------------------------------------ optimize
        b_inds = np.arange(n)
        clipfracs: list[float] = []
        approx_kl = old_approx_kl = torch.tensor(0.0)
        pg_loss = v_loss = entropy_loss = torch.tensor(0.0)
        for _epoch in range(args.update_epochs):
            np.random.shuffle(b_inds)
            for start in range(0, n, minibatch_size):
                mb_inds = b_inds[start:start + minibatch_size]
                newlogprob, entropy, newvalue = agent.evaluate(
                    [b_states[i] for i in mb_inds], [b_actions[i] for i in mb_inds]
                )
                logratio = newlogprob - b_logprobs[mb_inds]
                ratio = logratio.exp()
                with torch.no_grad():
                    old_approx_kl = (-logratio).mean()
                    approx_kl = ((ratio - 1) - logratio).mean()
                    clipfracs.append(((ratio - 1.0).abs() > args.clip_coef).float().mean().item())

                mb_advantages = b_advantages[mb_inds]
                if args.norm_adv and len(mb_inds) > 1:
                    mb_advantages = (mb_advantages - mb_advantages.mean()) / (mb_advantages.std() + 1e-8)

                # clipped policy loss
                pg_loss1 = -mb_advantages * ratio
                pg_loss2 = -mb_advantages * torch.clamp(ratio, 1 - args.clip_coef, 1 + args.clip_coef)
                pg_loss = torch.max(pg_loss1, pg_loss2).mean()

                # value loss (clipped around the rollout's estimates)
                newvalue = newvalue.view(-1)
                if args.clip_vloss:
                    v_loss_unclipped = (newvalue - b_returns[mb_inds]) ** 2
                    v_clipped = b_values[mb_inds] + torch.clamp(
                        newvalue - b_values[mb_inds], -args.clip_coef, args.clip_coef
                    )
                    v_loss_clipped = (v_clipped - b_returns[mb_inds]) ** 2
                    v_loss = 0.5 * torch.max(v_loss_unclipped, v_loss_clipped).mean()
                else:
                    v_loss = 0.5 * ((newvalue - b_returns[mb_inds]) ** 2).mean()

                entropy_loss = entropy.mean()
                loss = pg_loss - args.ent_coef * entropy_loss + v_loss * args.vf_coef

                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, args.max_grad_norm)
                optimizer.step()

            if args.target_kl is not None and approx_kl > args.target_kl:
                break

        # ------------------------------------------------------------------------------------ bookkeeping
        y_pred, y_true = b_values.numpy(), b_returns.numpy()
        ev = explained_variance(y_pred, y_true)
        st.episodes += len(finished)
        row = {
            "iteration": st.iteration, "global_step": st.global_step, "episodes": st.episodes,
            "learning_rate": optimizer.param_groups[0]["lr"], "losses/value_loss": v_loss.item(),
            "losses/policy_loss": pg_loss.item(), "losses/entropy": entropy_loss.item(),
            "losses/old_approx_kl": old_approx_kl.item(), "losses/approx_kl": approx_kl.item(),
            "losses/clipfrac": float(np.mean(clipfracs)) if clipfracs else 0.0, "losses/explained_variance": ev,
            "charts/approx_kl": approx_kl.item(), "charts/clipfrac": float(np.mean(clipfracs)) if clipfracs else 0.0,
            "charts/explained_variance": ev, "charts/kl_ref": kl_ref.mean().item(),
            "charts/mean_reward": rewards[:n].mean().item(),
            "charts/verified_rate": float(np.mean([f["verified"] for f in finished])) if finished else float("nan"),
            "charts/SPS": st.global_step / max(time.time() - start_time, 1e-9),
        }
        updates_log.write([row])
        episodes_log.write(finished)
        log(f"update {st.iteration}: policy_loss {row['losses/policy_loss']:.3f} value_loss "
            f"{row['losses/value_loss']:.3f} approx_kl {row['charts/approx_kl']:.4f} episodes {st.episodes}")
        if save_checkpoint and st.iteration % args.checkpoint_every == 0:
            # a partly played episode is dropped on resume; the cursor already points past finished ones
            save_checkpoint(st, optimizer)

    if save_checkpoint:
        save_checkpoint(st, optimizer)
    return st
