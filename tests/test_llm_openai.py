"""The openai backend against a real HTTP server on loopback speaking the chat-completions protocol."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from agents.llm import GenParams, Request, get_llm
from pipeline.errors import LLMUnavailableError, UserError


class FakeOpenAI:
    """A loopback server; ``script`` is consumed one action per request: ok, 429, 500, sleep:SECONDS."""

    def __init__(self, script: list[str] | None = None, reply: str = "```dafny\nmethod A() {}\n```") -> None:
        self.script = list(script or [])
        self.reply = reply
        self.requests: list[dict] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with owner.lock:
                    owner.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                    action = owner.script.pop(0) if owner.script else "ok"
                    owner.in_flight += 1
                    owner.max_in_flight = max(owner.max_in_flight, owner.in_flight)
                try:
                    self._answer(action, body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout): nothing to answer
                finally:
                    with owner.lock:
                        owner.in_flight -= 1

            def _answer(self, action, body):
                if action.startswith("sleep:"):
                    time.sleep(float(action.split(":")[1]))
                    action = "ok"
                if action in ("400", "429", "500"):
                    self._json(int(action), {"error": {"message": f"status {action}", "type": "test"}},
                               {"Retry-After": "0"} if action == "429" else {})
                    return
                if self.path.endswith("/chat/completions"):
                    choice = {"index": 0, "message": {"role": "assistant", "content": owner.reply},
                              "finish_reason": "stop"}
                    obj = "chat.completion"
                else:
                    choice = {"index": 0, "text": owner.reply, "finish_reason": "stop", "logprobs": None}
                    obj = "text_completion"
                self._json(200, {"id": "x1", "object": obj, "created": 0, "model": body["model"], "choices": [choice],
                                 "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}})

            def _json(self, status, data, headers=None):
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


MESSAGES = [{"role": "system", "content": "You write Dafny."}, {"role": "user", "content": "Write A."}]


def make(server: FakeOpenAI, **kw):
    kw.setdefault("backoff", 0.05)
    return get_llm("openai:test-model", base_url=server.url, api_key="k-test", **kw)


def test_normal_reply_records_usage_and_sends_the_protocol():
    with FakeOpenAI() as server:
        llm = make(server)
        out = llm.complete(MESSAGES, GenParams(max_tokens=64, temperature=0.0, seed=3, stop=("END",)))
    assert out.text.startswith("```dafny")
    assert (out.usage.prompt_tokens, out.usage.completion_tokens) == (11, 7)
    assert out.seconds > 0
    [req] = server.requests
    assert req["path"] == "/v1/chat/completions"
    assert req["auth"] == "Bearer k-test"
    body = req["body"]
    assert body["model"] == "test-model" and body["messages"] == MESSAGES
    assert (body["max_tokens"], body["temperature"], body["seed"], body["stop"]) == (64, 0.0, 3, ["END"])


def test_a_grammar_is_sent_as_llama_cpp_servers_take_it_and_only_when_set():
    grammar = 'root ::= "```dafny\\n" [a-z]+ "\\n```"\n'
    with FakeOpenAI() as server:
        make(server).complete(MESSAGES, GenParams(max_tokens=8, grammar=grammar))
        make(server).complete(MESSAGES, GenParams(max_tokens=8))
    constrained, plain = (r["body"] for r in server.requests)
    assert constrained["grammar"] == grammar
    assert "grammar" not in plain


def test_completion_style_uses_the_completions_endpoint():
    with FakeOpenAI() as server:
        out = make(server).complete([{"role": "user", "content": "// Task"}], GenParams(style="completion"))
    assert out.text.startswith("```dafny")
    assert server.requests[0]["path"] == "/v1/completions"
    assert server.requests[0]["body"]["prompt"] == "// Task"


def test_429_then_success_is_retried():
    with FakeOpenAI(["429", "ok"]) as server:
        llm = make(server)
        out = llm.complete(MESSAGES)
    assert out.text.startswith("```dafny")
    assert len(server.requests) == 2 and llm.retries == 1


def test_500_then_success_is_retried():
    with FakeOpenAI(["500", "500", "ok"]) as server:
        llm = make(server)
        out = llm.complete(MESSAGES)
        assert out.usage.completion_tokens == 7
    assert len(server.requests) == 3 and llm.retries == 2
    assert out.retries == 2 and all("InternalServerError" in i for i in out.incidents)  # the report shows them


def test_cli_timeout_and_retries_reach_the_client():
    with FakeOpenAI(["500", "500", "ok"]) as server:
        llm = get_llm("openai:m", base_url=server.url, api_key="k", timeout=7.5, retries=1, backoff=0.01)
        assert (llm.timeout, llm.max_retries) == (7.5, 1)
        with pytest.raises(LLMUnavailableError, match="HTTP 500"):
            llm.complete(MESSAGES)


def test_timeout_then_success_within_the_bound():
    with FakeOpenAI(["sleep:3", "ok"]) as server:
        llm = make(server, timeout=0.5)
        start = time.monotonic()
        out = llm.complete(MESSAGES)
        elapsed = time.monotonic() - start
    assert out.text and llm.retries == 1
    assert elapsed < 2.5, elapsed  # the first call was cut at the per-call timeout, not after the server's sleep


def test_persistent_timeout_is_one_outage_error_after_bounded_retries():
    with FakeOpenAI(["sleep:3"] * 3) as server:
        llm = make(server, timeout=0.4, max_retries=2)
        start = time.monotonic()
        with pytest.raises(LLMUnavailableError, match="no answer .* within 0.4s after 2 retries"):
            llm.complete(MESSAGES)
        assert time.monotonic() - start < 3.0
    assert len(server.requests) == 3


def test_client_errors_are_not_retried():
    with FakeOpenAI(["400", "ok"]) as server:
        llm = make(server)
        with pytest.raises(UserError, match="HTTP 400"):
            llm.complete(MESSAGES)
    assert len(server.requests) == 1 and llm.retries == 0


def test_concurrency_limit_bounds_requests_in_flight():
    with FakeOpenAI(["sleep:0.3"] * 6) as server:
        llm = make(server, max_concurrency=2)
        outs = llm.generate([Request.of(MESSAGES, GenParams(seed=i)) for i in range(6)])
    assert len(outs) == 6 and all(o.text for o in outs)
    assert server.max_in_flight == 2
    assert sorted(r["body"]["seed"] for r in server.requests) == list(range(6))


def test_missing_key_and_model_are_user_errors(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(UserError, match="OPENAI_API_KEY"):
        get_llm("openai:gpt-x")
    with pytest.raises(UserError, match="model name"):
        get_llm("openai")
