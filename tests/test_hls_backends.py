"""HLS backends up to the tool boundary: registry, options, generated scripts (golden), fake tools, reports,
launchers (docker SDK with a fake client; the real engine and tools when present)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hls.backends import BACKENDS, DEFAULT_BACKEND, HlsOptions, get_backend
from hls.backends.base import BuildContext
from hls.cfront import top_signature
from hls.launchers import ContainerLauncher, LocalLauncher, get_launcher
from hls.reports.bambu import parse_bambu_log
from hls.reports.vitis import parse_csynth_xml
from pipeline.errors import ToolMissingError, UserError
from tests.hls_data.helpers import DATA, MOCKS, argv_log, program

GOLDEN = DATA / "golden"
REPORTS = DATA / "reports"


@pytest.fixture
def mock_tools(monkeypatch, tmp_path):
    """Put the fake vitis_hls/vivado_hls/bambu first on PATH; returns the argv log file."""
    log = tmp_path / "argv.jsonl"
    monkeypatch.setenv("PATH", f"{MOCKS}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("P2S_MOCK_ARGV", str(log))
    return log


def compare_golden(name: str, text: str) -> None:
    """Compare with ``tests/hls_data/golden/<name>``; ``GOLDEN_RUN=1`` rewrites the file instead."""
    path = GOLDEN / name
    if os.environ.get("GOLDEN_RUN") == "1":
        path.write_text(text)
    assert path.exists(), f"no golden file {path}: run with GOLDEN_RUN=1 to create it"
    assert text == path.read_text()


def context(backend, tmp_path: Path, options: HlsOptions | None = None) -> BuildContext:
    p = program("max_array")
    options = options or HlsOptions()
    settings = backend.resolve_settings(options.settings)
    return BuildContext(p.top, tmp_path / "src" / "MaxArray.c", tmp_path, tmp_path / "build", options, settings,
                        top_signature(p.source, p.top), tmp_path / "hls.log")


# --------------------------------------------------------------------------------------------- registry and options


def test_registry_names_and_classes():
    assert BACKENDS.names() == ["bambu", "circt", "static", "vitis", "vivado"] and DEFAULT_BACKEND in BACKENDS
    for name in BACKENDS:
        backend = get_backend(name)
        assert type(backend).__name__.lower() == name and backend.name == name


def test_unknown_backend_lists_the_valid_ones():
    valid = r"unknown HLS backend 'quartus' \(for --hls\); valid: bambu, circt, static, vitis, vivado"
    with pytest.raises(UserError, match=valid):
        get_backend("quartus")


def test_settings_are_checked():
    vitis = get_backend("vitis")
    assert vitis.resolve_settings({})["export_format"] == "ip_catalog"
    with pytest.raises(UserError, match="unknown setting 'buffer_size' .*valid: cflags, csim"):
        vitis.resolve_settings({"buffer_size": 2})
    with pytest.raises(UserError, match="expects bool"):
        vitis.resolve_settings({"export": "yes"})
    with pytest.raises(UserError, match="must be one of all, cycles, allFIFO"):
        get_backend("circt").resolve_settings({"buffer_strategy": "some"})


def test_options_from_mapping_puts_unknown_keys_into_settings():
    opts = HlsOptions.from_mapping({"clock_period_ns": 5, "part": "xcu250", "compiler": "I386_GCC8"})
    assert (opts.clock_period_ns, opts.part, opts.settings) == (5, "xcu250", {"compiler": "I386_GCC8"})


# --------------------------------------------------------------------------------------------- generated scripts


def test_vitis_script_golden(tmp_path):
    backend = get_backend("vitis")
    ctx = context(backend, tmp_path, HlsOptions(clock_period_ns=5, settings={"cflags": "-DP2S_HLS"}))
    text = backend.render_script(ctx)
    for command in ("open_project", "set_top MaxArray", "add_files src/MaxArray.c", "open_solution", "set_part",
                    "create_clock -period 5", "csynth_design", "export_design -format ip_catalog"):
        assert command in text
    compare_golden("vitis_run_hls.tcl", text)


def test_vivado_script_golden(tmp_path):
    backend = get_backend("vivado")
    text = backend.render_script(context(backend, tmp_path, HlsOptions(settings={"export": False})))
    assert "-flow_target" not in text and "export_design" not in text
    compare_golden("vivado_run_hls.tcl", text)


def test_bambu_command_golden(tmp_path):
    backend = get_backend("bambu")
    opts = HlsOptions(clock_period_ns=4, device="xc7vx690t-3ffg1930-VVD", opt_level=3,
                      settings={"compiler": "I386_GCC8", "extra_args": "--no-iob '--channels-type=MEM_ACC_11'"})
    tool, args = backend._build_command(context(backend, tmp_path, opts))
    assert tool == "bambu"
    compare_golden("bambu_argv.json", json.dumps(args, indent=1) + "\n")


# --------------------------------------------------------------------------------------------- fake tools


@pytest.mark.parametrize("name,tool", [("vitis", "vitis_hls"), ("vivado", "vivado_hls")])
def test_vitis_flow_through_the_fake_tool(name, tool, mock_tools, tmp_path):
    p = program("max_array")
    rtl = get_backend(name).synthesize(p.source, p.top, HlsOptions(), tmp_path)
    calls = argv_log(mock_tools)
    assert [c["tool"] for c in calls] == [tool] and calls[0]["argv"] == ["-f", "run_hls.tcl"]
    assert calls[0]["cwd"] == str(tmp_path)
    assert rtl.top_module == "MaxArray"
    assert rtl.verilog_files == [str(tmp_path / "build/p2s_hls/solution1/syn/verilog/MaxArray.v")]
    assert rtl.reports["csynth"]["resources"]["lut"] == 164 and rtl.reports["launcher"] == "local"
    iface = rtl.interface
    assert iface.protocol == "ap_ctrl" and iface.control["ready"] == "ap_ready" and iface.reset_active_high
    assert [(p.kind, p.arg) for p in iface.ports] == [("mem", "a"), ("in", "a_len"), ("return", "return")]
    assert iface.ports[0].signals == {"address": "a_address0", "ce": "a_ce0", "q": "a_q0"}


def test_bambu_flow_through_the_fake_tool(mock_tools, tmp_path):
    p = program("gcd")
    rtl = get_backend("bambu").synthesize(p.source, p.top, HlsOptions(clock_period_ns=8), tmp_path)
    argv = argv_log(mock_tools)[0]["argv"]
    assert argv[:3] == ["src/Gcd.c", "--top-fname=Gcd", "--clock-period=8"]
    assert "--generate-interface=INFER" in argv and "-O2" in argv
    assert rtl.verilog_files == [str(tmp_path / "build" / "Gcd.v")]
    assert rtl.reports["bambu"]["ff"] == 193 and rtl.reports["bambu"]["fmax_mhz"] == 113.38
    iface = rtl.interface
    assert (iface.clock, iface.reset, iface.reset_active_high) == ("clock", "reset", False)
    assert iface.control == {"start": "start_port", "done": "done_port", "start_mode": "pulse"}
    groups = [(g.kind, g.arg, g.width) for g in iface.ports]
    assert groups == [("in", "a", 64), ("in", "b", 64), ("return", "return", 64)]


def test_tool_error_is_one_line_with_the_log(mock_tools, monkeypatch, tmp_path):
    monkeypatch.setenv("P2S_MOCK_FAIL", "1")
    p = program("max_array")
    with pytest.raises(UserError) as info:
        get_backend("vitis").synthesize(p.source, p.top, HlsOptions(), tmp_path)
    message = str(info.value)
    assert "HLS 207-812" in message and str(tmp_path / "hls.log") in message and "\n" not in message
    assert "vitis_hls -f run_hls.tcl" in (tmp_path / "hls.log").read_text().replace(str(MOCKS) + "/", "")


def test_missing_tool_names_the_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", "/nonexistent")
    p = program("max_array")
    with pytest.raises(ToolMissingError, match="vitis_hls not found: install AMD Vitis HLS"):
        get_backend("vitis").synthesize(p.source, p.top, HlsOptions(), tmp_path)
    with pytest.raises(ToolMissingError, match="bambu not found"):
        get_backend("bambu").synthesize(p.source, p.top, HlsOptions(), tmp_path)


# --------------------------------------------------------------------------------------------- reports


def test_csynth_xml_vitis():
    r = parse_csynth_xml(REPORTS / "csynth_vitis_2023.xml")
    assert (r["tool_version"], r["part"], r["top"]) == ("2023.2", "xc7z020-clg400-1", "MaxArray")
    assert (r["latency_best"], r["latency_worst"], r["interval_min"], r["interval_max"]) == (4, 19, 5, 20)
    assert r["resources"] == {"lut": 164, "ff": 97, "dsp": 0, "bram_18k": 0, "uram": 0}
    assert r["estimated_clock_ns"] == 3.254 and r["estimated_fmax_mhz"] == 307.31
    assert {p["name"] for p in r["rtl_ports"]} >= {"ap_clk", "a_address0", "ap_return"}


def test_csynth_xml_vivado_hls_with_undefined_latency():
    r = parse_csynth_xml(REPORTS / "csynth_vivado_2019.xml")
    assert r["resources"]["dsp"] == 0 and r["resources"]["lut"] == 3050  # DSP48E in Vivado HLS reports
    assert r["latency_best"] == 2 and r["latency_worst"] is None and r["interval_max"] is None


def test_csynth_xml_errors(tmp_path):
    bad = tmp_path / "csynth.xml"
    bad.write_text("<report/>")
    with pytest.raises(UserError, match="not a csynth.xml report"):
        parse_csynth_xml(bad)
    with pytest.raises(UserError, match="cannot read"):
        parse_csynth_xml(tmp_path / "absent.xml")


def test_bambu_log_takes_the_top_function_figures():
    text = (REPORTS / "bambu_gcd.log").read_text()
    other = text.replace("Gcd", "helper").replace("113.38", "500.0").replace(": 193", ": 7")
    r = parse_bambu_log(other + text, "Gcd")
    assert r["fmax_mhz"] == 113.38 and r["ff"] == 193 and r["area"] == 2943.0 and r["cycles"] == 19
    assert r["resources"]["register_SE"] == 4 and len(r["resources"]) == 5
    assert parse_bambu_log("nothing useful", "Gcd") == {}


# --------------------------------------------------------------------------------------------- launchers


class FakeContainer:
    def __init__(self, kwargs, hang: bool):
        self.kwargs, self.hang = kwargs, hang
        self.killed = self.removed = False
        self.stdout, self.stderr, self.code = b"", b"", 0

    def start_tool(self):
        """Run the fake tool where the container would: in the mounted work folder."""
        argv = self.kwargs["command"]
        exe = str(MOCKS / argv[0]) if (MOCKS / argv[0]).exists() else argv[0]
        work = self.kwargs["working_dir"]
        res = subprocess.run([exe, *argv[1:]], cwd=work, capture_output=True,
                             env={**os.environ, "P2S_MOCK_ARGV": os.path.join(work, "argv.jsonl")})
        self.stdout, self.stderr, self.code = res.stdout, res.stderr, res.returncode

    def wait(self, timeout):
        if self.hang:
            raise TimeoutError("read timed out")  # what requests raises is a subclass of OSError/IOError too
        self.start_tool()
        return {"StatusCode": self.code}

    def logs(self, stdout=True, stderr=False):
        return self.stdout if stdout else self.stderr

    def kill(self):
        self.killed = True

    def remove(self, force=False):
        self.removed = force


class FakeClient:
    """The part of docker.DockerClient the launcher uses."""

    def __init__(self, answers=True, hang=False):
        self.answers, self.hang = answers, hang
        self.runs: list[tuple[str, dict]] = []
        self.containers = self
        self.images = self  # images.get: every image is "there", with a made-up digest
        self.last: FakeContainer | None = None

    def get(self, image):
        return type("FakeImage", (), {"id": "sha256:" + "0" * 64, "labels": {}})()

    def ping(self):
        if not self.answers:
            raise ConnectionError("Error while fetching server API version")
        return True

    def run(self, image, **kwargs):
        self.runs.append((image, kwargs))
        self.last = FakeContainer(kwargs, self.hang)
        return self.last


def test_docker_launcher_runs_the_tool_image_sandboxed(tmp_path):
    client = FakeClient()
    p = program("max_array")
    launcher = get_launcher("docker", client=client)
    assert isinstance(launcher, ContainerLauncher)
    rtl = get_backend("vitis", launcher).synthesize(p.source, p.top, HlsOptions(runner="docker"), tmp_path)
    image, kw = client.runs[0]
    assert image == "proof2silicon/vitis:2023.2"
    assert kw["command"] == ["vitis_hls", "-f", "run_hls.tcl"]
    assert kw["network_mode"] == "none" and kw["detach"] is True
    assert kw["user"] == f"{os.getuid()}:{os.getgid()}"
    assert kw["volumes"] == {str(tmp_path): {"bind": str(tmp_path), "mode": "rw"}}
    assert kw["working_dir"] == str(tmp_path)
    assert client.last.removed  # the --rm of docker run
    assert rtl.reports["launcher"] == "container" and rtl.reports["csynth"]["resources"]["ff"] == 97
    assert "docker run --rm --network none" in (tmp_path / "hls.log").read_text()


def test_docker_launcher_time_limit_kills_and_removes(tmp_path):
    client = FakeClient(hang=True)
    p = program("gcd")
    backend = get_backend("bambu", get_launcher("docker", client=client))
    with pytest.raises(UserError, match="did not finish within 5 s"):
        backend.synthesize(p.source, p.top, HlsOptions(timeout=5), tmp_path)
    assert client.last.killed and client.last.removed
    assert client.runs[0][0] == "proof2silicon/bambu:latest"


def test_image_override_by_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("P2S_IMAGE_BAMBU", "registry.example/bambu:2024.10")
    client = FakeClient()
    p = program("gcd")
    get_backend("bambu", get_launcher("docker", client=client)).synthesize(p.source, p.top, HlsOptions(), tmp_path)
    assert client.runs[0][0] == "registry.example/bambu:2024.10"


def test_no_engine_falls_back_to_local_with_a_message(caplog):
    launcher = get_launcher("docker", client=FakeClient(answers=False))
    assert isinstance(launcher, LocalLauncher)
    assert "no container engine answers" in launcher.note and "running the HLS tools locally" in launcher.note
    with pytest.raises(UserError, match="install Podman or start Docker"):
        get_launcher("docker", client=FakeClient(answers=False), fallback=False)
    with pytest.raises(UserError, match="unknown runner 'podman'"):
        get_launcher("podman")


def test_fallback_note_reaches_the_report(mock_tools, tmp_path):
    p = program("max_array")
    backend = get_backend("vitis", get_launcher("docker", client=FakeClient(answers=False)))
    rtl = backend.synthesize(p.source, p.top, HlsOptions(runner="docker"), tmp_path)
    assert rtl.reports["launcher"] == "local" and "no container engine" in rtl.reports["launcher_note"]


# --------------------------------------------------------------------------------------------- real tools


@pytest.mark.parametrize("name,tool", [("vitis", "vitis_hls"), ("bambu", "bambu")])
def test_real_vendor_tool(name, tool, tmp_path):
    found = shutil.which(tool)
    if found is None or str(MOCKS) in found:
        pytest.skip(f"{tool} is not installed here")
    p = program("max_array")
    rtl = get_backend(name).synthesize(p.source, p.top, HlsOptions(), tmp_path)
    assert rtl.verilog_files and rtl.interface.protocol == "ap_ctrl"
