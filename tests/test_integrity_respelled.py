"""The integrity gate reads tokens, not text: each cheat respelled (layout, comments, line breaks, attribute
order, ``{ :attr }``) is still rejected, each honest program respelled is still accepted, and the escape words
inside comments and strings never count.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.task import load_task
from tests.support import EXAMPLES
from tests.test_integrity import BODY, CHEATS, EXPECTED_WORDS, HEADER, SPEC
from verifiers.front.lexer import scan
from verifiers.integrity import gate

HONEST = (EXAMPLES / "max_array.dfy").read_text()
TASK = load_task(EXAMPLES / "max_array.yaml")

# More cheats than the plain list of test_integrity: the spellings a text pattern would miss, the trait and
# selective-checking escapes, attributes in another order.
EXTRA_CHEATS = {
    "spaced_axiom": "lemma { :axiom } Magic() ensures false\n" + HEADER + SPEC + "{\n  Magic();\n}\n",
    "commented_verify_false": "method {/* note */:verify false} MaxArray(a: array<int>) returns (m: int)\n"
                              + SPEC + "{\n  m := 0;\n}\n",
    "axiom_second": "lemma {:induction false} {:axiom} Magic() ensures false\n" + HEADER + SPEC
                    + "{\n  Magic();\n}\n",
    "selective_checking": "method {:selective_checking} MaxArray(a: array<int>) returns (m: int)\n" + SPEC
                          + "{\n  m := 0;\n  assert forall i :: 0 <= i < a.Length ==> a[i] <= m;\n"
                            "  assert {:start_checking_here} true;\n}\n",
    "static_trait_lemma": "trait T {\n  static lemma Wish(a: array<int>, m: int) ensures forall i :: 0 <= i < "
                          "a.Length ==> a[i] <= m\n}\n" + HEADER + SPEC + BODY,
    "unimplemented_trait": "trait T {\n  lemma Wish() ensures false\n}\n" + HEADER + SPEC + BODY,
}
EXTRA_WORDS = {
    "spaced_axiom": "{:axiom}", "commented_verify_false": "{:verify false}", "axiom_second": "{:axiom}",
    "selective_checking": "{:selective_checking}", "static_trait_lemma": "static member of a trait",
    "unimplemented_trait": "no class of the program extends trait T",
}
ALL_CHEATS = {**CHEATS, **EXTRA_CHEATS}
ALL_WORDS = {**EXPECTED_WORDS, **EXTRA_WORDS}

# Layout Dafny accepts between any two tokens; each choice has at least one separating character.
LAYOUT = st.lists(st.sampled_from([" ", "  ", "\t", "\n", "\n  ", " /* c */ ", "/*x*/", " // c\n", "\r\n",
                                   " /* nested /* c */ */ "]), min_size=1, max_size=3).map("".join)


def respell(source: str, data: st.DataObject) -> str:
    """``source`` with fresh layout between its code tokens (its comments dropped), ``{:`` sometimes split."""
    out: list[str] = []
    for tok in (t for t in scan(source) if t.kind != "comment"):
        text = tok.text
        if tok.kind == "op" and text == "{:" and data.draw(st.booleans()):
            text = "{" + data.draw(LAYOUT) + ":"
        out.append(text)
        out.append(data.draw(LAYOUT))
    return "".join(out)


RELAXED = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("name", sorted(ALL_CHEATS))
@RELAXED
@given(data=st.data())
def test_each_cheat_respelled_is_rejected(name, data):
    src = respell(ALL_CHEATS[name], data)
    result = gate(src, TASK)
    messages = " | ".join(v.message for v in result.violations)
    assert not result.ok, src
    assert ALL_WORDS[name] in messages, (src, messages)


HONEST_FORMS = {
    "example": HONEST,
    "implemented_trait": "trait Shape {\n  function Area(): int\n  lemma AreaIsNat() ensures Area() >= 0\n}\n"
                         "class Square extends Shape {\n  var side: int\n"
                         "  function Area(): int { 0 }\n  lemma AreaIsNat() ensures Area() >= 0 { }\n}\n" + HONEST,
    "opaque_function": "function {:opaque} Twice(x: int): int { 2 * x }\n" + HONEST,
    "attributes_that_do_not_escape": "lemma {:induction false} {:verify true} Fine() ensures 1 + 1 == 2 { }\n"
                                     + HONEST,
}


@pytest.mark.parametrize("name", sorted(HONEST_FORMS))
@RELAXED
@given(data=st.data())
def test_each_honest_program_respelled_is_accepted(name, data):
    src = respell(HONEST_FORMS[name], data)
    result = gate(src, TASK)
    assert result.ok, (src, [v.message for v in result.violations])


ESCAPE_WORDS = ["assume false;", "{:axiom}", "{ :verify false }", "decreases *", "free requires true",
                "expect false;", "include \"x.dfy\"", "@Axiom", "lemma L() ensures false", "{:extern}"]


@RELAXED
@given(data=st.data())
def test_escape_words_in_comments_and_strings_never_count(data):
    words = data.draw(st.lists(st.sampled_from(ESCAPE_WORDS), min_size=1, max_size=4))
    text = " ".join(words).replace('"', "'")
    note = data.draw(st.sampled_from([f"// {text}\n", f"/* {text} */", f"/* a /* {text} */ b */"]))
    lines = HONEST.splitlines(keepends=True)
    at = data.draw(st.integers(0, len(lines)))
    in_string = 'method Note() returns (s: string) { s := "' + text.replace("\\", "") + '"; }\n'
    src = "".join(lines[:at]) + note + "\n" + "".join(lines[at:]) + in_string
    result = gate(src, TASK)
    assert result.ok, (src, [v.message for v in result.violations])


def test_spaced_attribute_is_what_dafny_honours(dafny):
    """Real Dafny takes ``{ :verify false }`` as the attribute (0 verified: the false claim is skipped), so
    the gate must, and without a task the result names it as trusted."""
    from verifiers.api import verify_source

    src = "method { :verify false } M() ensures false { }\n"
    raw = dafny.verify(src, timeout=60, use_cache=False)
    assert raw.error_count == 0  # Dafny skipped the false claim
    r = verify_source(src, None, dafny=dafny, timeout=60)
    assert not r.verified
    assert [t["kind"] for t in r.trusted] == ["attribute {:verify}"]
