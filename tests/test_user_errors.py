"""Bad input to the real CLI is one ``p2s: error:`` line and exit status 2, never a traceback.

Also: a misbehaving OpenAI-compatible server (HTTP 200 with a body that is not a completion) is an outage the
run records, like a 5xx, and ``p2s verify`` on a program that does not parse is "not verified" (exit 1).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from agents.llm import GenParams, get_llm
from pipeline.cli import main
from pipeline.errors import LLMUnavailableError
from tests.support import EXAMPLES, needs_dafny

pytestmark = pytest.mark.usefixtures("private_p2s_home")

TASK = EXAMPLES / "max2.yaml"
SYNTH_DFY = EXAMPLES / "max_array.dfy"
SYNTH_TASK = EXAMPLES / "max_array.yaml"


def one_error(capsys, *needles: str) -> str:
    """The single stderr line of a bad-input exit, checked to name each of ``needles``."""
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("p2s: error: "), err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


# ------------------------------------------------------------------------------------------ 1. --task FILE


def test_run_task_file_not_utf8_is_one_error(tmp_path, capsys):
    task = tmp_path / "latin.yaml"
    task.write_bytes(b"\xff\xfeid: x\ndescription: caf\xe9\n")
    out = tmp_path / "run"
    assert main(["run", "--task", str(task), "--llm", "reference", "--out", str(out)]) == 2
    one_error(capsys, str(task), "not UTF-8", "0xff", "save the task file as UTF-8")
    assert not out.exists()


def test_run_task_folder_is_one_error(tmp_path, capsys):
    folder = tmp_path / "tasks.yaml"
    folder.mkdir()
    assert main(["run", "--task", str(folder), "--llm", "reference", "--out", str(tmp_path / "run")]) == 2
    one_error(capsys, str(folder), "a folder, not a task file", ".yaml file")


def test_verify_dafny_folder_is_one_error(tmp_path, capsys):
    folder = tmp_path / "prog.dfy"
    folder.mkdir()
    assert main(["verify", str(folder)]) == 2
    one_error(capsys, str(folder), "a folder")


# ------------------------------------------------------------------------------------------ 2. --out PATH


def test_run_out_is_an_existing_file(tmp_path, capsys):
    out = tmp_path / "taken"
    out.write_text("not a folder\n")
    assert main(["run", "--task", str(TASK), "--llm", "reference", "--out", str(out)]) == 2
    one_error(capsys, f"--out {out}", "is a file, not a folder")
    assert out.read_text() == "not a folder\n"


def test_run_out_under_a_file(tmp_path, capsys):
    blocker = tmp_path / "taken"
    blocker.write_text("")
    out = blocker / "sub" / "run"
    assert main(["run", "--task", str(TASK), "--llm", "reference", "--out", str(out)]) == 2
    one_error(capsys, f"--out {out}", f"{blocker} is a file")


def test_synth_out_is_an_existing_file(tmp_path, capsys):
    out = tmp_path / "taken"
    out.write_text("")
    assert main(["synth", str(SYNTH_DFY), "--task", str(SYNTH_TASK), "--out", str(out)]) == 2
    one_error(capsys, f"--out {out}", "is a file, not a folder")


# ------------------------------------------------------------------------------------------ 4. replay:FILE

GOOD_RECORD = json.dumps({"key": "0" * 64, "completion": {"text": "x", "usage": {}, "seconds": 0.1, "model": "m"}})


@pytest.mark.parametrize(
    "content, where, problem",  # where: FILE:LINE: as a compiler names it
    [
        (b"not json\n", ":1: ", "not JSON"),
        (b"[1, 2]\n", ":1: ", "not a JSON object"),
        (b'"text"\n', ":1: ", "not a JSON object"),
        (f"{GOOD_RECORD}\n\n{{oops\n".encode(), ":3: ", "not JSON"),
        (f'{GOOD_RECORD}\n{{"a": 1}}\n'.encode(), ":2: ", "not a recorded call"),
        (b'{"key": "k", "completion": 5}\n', ":1: ", "not a recorded call"),
        (b'{"key": "k", "completion": {"usage": {}}}\n', ":1: ", "malformed"),
        (f"{GOOD_RECORD}\n\xff\xfe{{}}\n".encode("latin-1"), ":2: ", "not UTF-8 text (byte 0xff)"),
    ],
    ids=["not-json", "json-list", "json-string", "later-line", "no-key", "completion-int", "no-text", "not-utf8"],
)
def test_run_replay_bad_transcript_is_one_error(tmp_path, capsys, content, where, problem):
    transcript = tmp_path / "transcript.jsonl"
    transcript.write_bytes(content)
    out = tmp_path / "run"
    assert main(["run", "--task", str(TASK), "--llm", f"replay:{transcript}", "--out", str(out)]) == 2
    one_error(capsys, f"replay transcript {transcript}{where}", problem)
    assert not out.exists()


def test_replay_backend_names_the_line_itself(tmp_path):
    """The backend raises the same error when a script builds it (the CLI checks up front as well)."""
    from pipeline.errors import UserError

    transcript = tmp_path / "t.jsonl"
    transcript.write_text(f"{GOOD_RECORD}\n[]\n")
    with pytest.raises(UserError, match=r"t\.jsonl:2: not a JSON object"):
        get_llm(f"replay:{transcript}")


# ------------------------------------------------------------------------------------------ 3. openai: HTTP 200 garbage

CHAT_NO_CHOICES = {"id": "x", "object": "chat.completion", "created": 0, "model": "m", "choices": []}
REPLIES = {  # name: (content type, body)
    "not-json": ("application/json", b"{this is not json"),
    "empty-body": ("application/json", b""),
    "html": ("text/html", b"<html><body>502 Bad Gateway</body></html>"),
    "json-list": ("application/json", b"[1, 2]"),
    "choices-empty": ("application/json", json.dumps(CHAT_NO_CHOICES).encode()),
    "no-choices": ("application/json", b'{"id": "x"}'),
    "no-message": ("application/json", json.dumps({"choices": [{"index": 0, "finish_reason": "stop"}]}).encode()),
}


class GarbageServer:
    """A loopback server that answers every POST with HTTP 200 and one fixed body."""

    def __init__(self, content_type: str, body: bytes) -> None:
        self.requests = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                owner.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> GarbageServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("style", ["chat", "completion"])
@pytest.mark.parametrize("name", list(REPLIES))
def test_openai_200_garbage_is_an_outage_after_the_retries(name, style):
    content_type, body = REPLIES[name]
    with GarbageServer(content_type, body) as server:
        llm = get_llm("openai:m", base_url=server.url, api_key="k", timeout=5, retries=2, backoff=0.01)
        with pytest.raises(LLMUnavailableError) as info:
            llm.complete([{"role": "user", "content": "Write A."}], GenParams(style=style))
    message = str(info.value)
    assert "\n" not in message and "answered HTTP 200" in message and "after 2 retries" in message, message
    assert server.requests == 3 and llm.retries == 2  # retried like a 5xx, then given up


def test_openai_200_garbage_run_records_the_outage_and_goes_on(tmp_path, monkeypatch, capsys):
    with GarbageServer(*REPLIES["choices-empty"]) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        monkeypatch.setenv("OPENAI_API_KEY", "k")
        out = tmp_path / "run"
        code = main(["run", "--task", str(TASK), "--llm", "openai:m", "--llm-retries", "0", "--llm-timeout", "5",
                     "--out", str(out)])
    assert code == 1  # the run ended (not bad input: no exit 2) and says why
    assert "Traceback" not in capsys.readouterr().err
    report = json.loads((out / "report.json").read_text())
    assert "no choices" in report["generation"]["llm_error"]
    generate = report["stages"][0]
    assert generate["stage"] == "generate" and generate["status"] == "error" and "LLM unavailable" in generate["detail"]


# ------------------------------------------------------------------------------------------ 7. verify: a parse error


@needs_dafny
def test_verify_program_that_does_not_parse_is_not_verified_exit_1(tmp_path, capsys):
    bad = tmp_path / "broken.dfy"
    bad.write_text("method M(x: int) returns (y: int)\n  ensures y == x\n{\n  y := x +;\n}\n")
    assert main(["verify", str(bad)]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    lines = captured.out.splitlines()
    assert lines[0].startswith(f"{bad}:4:") and ": parse: " in lines[0]
    assert lines[-1].startswith(f"{bad}: not verified (parse)")
