"""Extraction of the Dafny program from model replies: every shape small models produce."""

from __future__ import annotations

from agents.extract import extract_dafny

PROGRAM = "method Max(a: int, b: int) returns (m: int)\n  ensures m >= a\n{\n  m := a;\n}\n"


def test_fenced_dafny_block_with_prose_around_it():
    reply = f"Here is the solution:\n\n```dafny\n{PROGRAM}```\n\nThe method returns the maximum."
    got = extract_dafny(reply, "Max")
    assert got.how == "fenced" and got.code == PROGRAM


def test_untagged_fence_and_tilde_fence():
    assert extract_dafny(f"```\n{PROGRAM}```", "Max").code == PROGRAM
    assert extract_dafny(f"~~~dfy\n{PROGRAM}~~~\n", "Max").code == PROGRAM


def test_last_complete_block_wins():
    old = PROGRAM.replace("m := a", "m := b")
    reply = f"First try:\n```dafny\n{old}```\nBetter:\n```dafny\n{PROGRAM}```\n"
    assert extract_dafny(reply, "Max").code == PROGRAM


def test_block_declaring_the_target_beats_a_later_usage_example():
    usage = "method Main() {\n  var x := Max(1, 2);\n}\n"
    reply = f"```dafny\n{PROGRAM}```\nUsage:\n```dafny\n{usage}```"
    assert extract_dafny(reply, "Max").code == PROGRAM
    # without the target's name the last Dafny-looking block is taken
    assert extract_dafny(reply).code == usage


def test_non_dafny_blocks_are_ignored():
    reply = f"```dafny\n{PROGRAM}```\nRun it with:\n```bash\ndafny verify max.dfy\n```\n"
    assert extract_dafny(reply, "Max").code == PROGRAM


def test_missing_closing_fence():
    reply = f"```dafny\n{PROGRAM}\nThis works because"
    got = extract_dafny(reply, "Max")
    assert got.how == "unclosed_fence"
    assert got.code == PROGRAM


def test_no_fence_stray_prose_before_and_after():
    reply = f"Sure! Here you go.\n{PROGRAM}This method picks a.\nHope it helps."
    got = extract_dafny(reply, "Max")
    assert got.how == "bare"
    assert got.code == PROGRAM


def test_nested_braces_in_bare_program_are_kept():
    prog = "method F(x: int) returns (y: int)\n{\n  if x > 0 {\n    y := x;\n  } else {\n    y := 0;\n  }\n}\n"
    assert extract_dafny("ok:\n" + prog + "done", "F").code == prog


def test_completion_prefix_plus_continuation():
    prefix = "```dafny\nmethod Max(a: int, b: int) returns (m: int)\n  ensures m >= a\n{\n"
    got = extract_dafny(prefix + "  m := a;\n}\n", "Max")
    assert got.code == PROGRAM


def test_crlf_and_nothing_found():
    assert extract_dafny(f"```dafny\r\n{PROGRAM.replace(chr(10), chr(13) + chr(10))}```", "Max").code == PROGRAM
    got = extract_dafny("I cannot help with that.", "Max")
    assert not got.found and got.how == "none"
