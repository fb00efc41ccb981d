"""The TextMate grammar (editors/accord.tmLanguage.json) and the VS Code extension manifest beside it.

The grammar's regexes are written in the subset that Python's `re` and Oniguruma (VS Code's engine)
read alike, so they are compiled here with `re`, and a small tokenizer with TextMate's rule (at each
point, the pattern matching earliest wins; ties go to the first listed) checks what gets highlighted.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from accord.cli.main import cli
from accord.dsl.lower_expr import BUILTINS
from accord.dsl.parse import parser

ROOT = Path(__file__).resolve().parents[1]
EDITORS = ROOT / "editors"
GRAMMAR = json.loads((EDITORS / "accord.tmLanguage.json").read_text(encoding="utf-8"))
KEYWORD_SCOPES = ("storage.", "keyword.", "support.", "constant.language.", "variable.language.")


def _grammar_keywords() -> list[str]:
    text = (ROOT / "accord" / "dsl" / "grammar.lark").read_text(encoding="utf-8")
    text = re.sub(r"//[^\n]*", "", text)
    return sorted(set(re.findall(r'"([A-Za-z_]+)"', text)))


def _flatten(patterns: list[dict], seen: tuple[str, ...] = ()) -> list[dict]:
    out = []
    for p in patterns:
        if "include" in p:
            name = p["include"].lstrip("#")
            assert name in GRAMMAR["repository"] and name not in seen, p["include"]
            out.extend(_flatten(GRAMMAR["repository"][name]["patterns"], (*seen, name)))
        else:
            out.append(p)
    return out


RULES = [(re.compile(p["match"]), p) for p in _flatten(GRAMMAR["patterns"])]


@functools.lru_cache(maxsize=4096)
def tokenize(line: str) -> tuple[tuple[int, int, str], ...]:
    """(start, end, scope) for each highlighted piece of one line, TextMate's way."""
    out, pos = [], 0
    while pos < len(line):
        best = None
        for rx, p in RULES:
            m = rx.search(line, pos)
            if m and (best is None or m.start() < best[0].start()):
                best = (m, p)
        if best is None:
            break
        m, p = best
        if "name" in p:
            out.append((m.start(), m.end(), p["name"]))
        for group, cap in p.get("captures", {}).items():
            if m.group(int(group)) is not None:
                out.append((m.start(int(group)), m.end(int(group)), cap["name"]))
        pos = m.end() if m.end() > pos else pos + 1
    return tuple(out)


def scope_at(line: str, start: int, end: int) -> str | None:
    """The innermost scope covering exactly [start, end) or more."""
    best = None
    for s, e, name in tokenize(line):
        if s <= start and end <= e and (best is None or e - s <= best[1] - best[0]):
            best = (s, e, name)
    return best[2] if best else None


def test_every_regex_compiles_and_the_grammar_is_well_formed():
    assert GRAMMAR["scopeName"] == "source.accord"
    rules = _flatten(GRAMMAR["patterns"])
    assert len(rules) == 35
    for p in rules:
        assert set(p) <= {"name", "match", "captures", "comment"}, p
        assert p["name"].endswith(".accord") if "name" in p else p["captures"]
        groups = re.compile(p["match"]).groups
        for g, cap in p.get("captures", {}).items():
            assert 1 <= int(g) <= groups and cap["name"].endswith(".accord"), (p["match"], g)
        # constructs whose meaning differs between Oniguruma and Python stay out
        assert not re.search(r"\\[hHGKRXzZA]|\(\?<[A-Za-z]|\(\?[imx-]+\)|\\p\{", p["match"]), p["match"]


def test_every_keyword_of_the_language_is_highlighted():
    words = _grammar_keywords()
    assert len(words) == 92 and {"protocol", "leads_to", "last_writer", "symmetric", "interleaving"} <= set(words)
    unscoped = [w for w in words if not (scope_at(w, 0, len(w)) or "").startswith(KEYWORD_SCOPES)]
    assert unscoped == []


@pytest.mark.parametrize("line, word, scope", [
    ("role Worker[N] symmetric {", "Worker", "entity.name.type.accord"),
    ("message Done(t: Task)", "Done", "entity.name.type.accord"),
    ("channel Lead -> Worker set", "Worker", "entity.name.type.role.accord"),
    ("channel Lead -> Worker set", "set", "storage.modifier.channel.accord"),
    ("var got: set of Task = {}", "set", "support.type.accord"),
    ("var got: set of Task = {}", "got", "variable.other.declaration.accord"),
    ("const N = 3", "N", "variable.other.constant.accord"),
    ("  on Prepared(r) from x when done {", "Prepared", "entity.name.function.handler.accord"),
    ("  on timeout when started {", "timeout", "keyword.other.timeout.accord"),
    ("  action work(t in Task) {", "work", "entity.name.function.accord"),
    ("invariant safe: x <= N", "safe", "entity.name.function.property.accord"),
    ("invariant safe: x <= N # x <= N", "# x <= N", "comment.line.number-sign.accord"),
    ("var n: 0..10 = 0 // ten", "// ten", "comment.line.double-slash.accord"),
    ("var n: 0..10 = 0", "10", "constant.numeric.integer.accord"),
    ("var n: 0..10 = 0", "..", "keyword.operator.range.accord"),
    ("  n := max(s) + 1", ":=", "keyword.operator.assignment.accord"),
    ("  n := max(s) + 1", "max", "support.function.builtin.accord"),
    ("var q: seq of T max 3", "max", "support.type.accord"),
    ("property p: a leads_to b", "leads_to", "keyword.operator.word.accord"),
    ("invariant i: a => b", "=>", "keyword.operator.logical.accord"),
    ("invariant i: x != y", "!=", "keyword.operator.comparison.accord"),
])
def test_scopes_in_context(line: str, word: str, scope: str):
    start = line.index(word) if word != "set" or "channel" not in line else line.rindex(word)
    assert scope_at(line, start, start + len(word)) == scope


def test_library_specs_highlight_every_keyword_number_comment_and_declared_name():
    lark = parser()
    decl_words = {"protocol", "role", "message", "enum", "type", "const", "var", "action", "on"}
    checked = 0
    for spec in sorted((ROOT / "protocols").glob("*.accord")):
        text = spec.read_text(encoding="utf-8")
        lines = text.split("\n")
        prev = None
        for tok in lark.lex(text):
            line = lines[tok.line - 1]
            start, end = tok.column - 1, tok.end_column - 1
            scope = scope_at(line, start, end) or ""
            word = str(tok)
            if tok.type == "INT":
                assert scope == "constant.numeric.integer.accord", (spec.name, tok.line, word)
            elif tok.type == "NAME" and word in BUILTINS and line[end:].lstrip().startswith("("):
                assert scope == "support.function.builtin.accord", (spec.name, tok.line, word)
            elif word != "timeout" and prev is not None and str(prev) in decl_words and prev.type != "NAME":
                # the declared name, even where it is spelled like a contextual keyword (`var inbox: …`)
                assert scope.startswith(("entity.name.", "variable.other.")), (spec.name, tok.line, word, scope)
            elif tok.type != "NAME" and word.isidentifier():
                assert scope.startswith(KEYWORD_SCOPES), (spec.name, tok.line, word, scope)
            checked += 1
            prev = tok
        for n, line in enumerate(lines, 1):
            m = re.search(r"#|//", line)
            if m:
                assert scope_at(line, m.start(), len(line)).startswith("comment.line."), (spec.name, n)
    assert checked > 10_000


def test_vscode_extension_manifest():
    manifest = json.loads((EDITORS / "package.json").read_text(encoding="utf-8"))
    contributes = manifest["contributes"]
    assert contributes["languages"] == [{"id": "accord", "aliases": ["accord"], "extensions": [".accord"],
                                         "configuration": "./language-configuration.json"}]
    (grammar,) = contributes["grammars"]
    assert grammar == {"language": "accord", "scopeName": "source.accord", "path": "./accord.tmLanguage.json"}
    assert (EDITORS / grammar["path"]).is_file() and (EDITORS / manifest["main"]).is_file()
    config = json.loads((EDITORS / "language-configuration.json").read_text(encoding="utf-8"))
    assert config["comments"] == {"lineComment": "#"}
    command = contributes["configuration"]["properties"]["accord.server.command"]["default"]
    assert command == ["accord", "lsp"]
    # the command the extension launches exists and documents itself
    result = CliRunner().invoke(cli, [*command[1:], "--help"])
    assert result.exit_code == 0 and "language server" in result.output
    assert manifest["dependencies"] == {"vscode-languageclient": "^9.0.1"}


def _fenced(lang: str) -> list[str]:
    text = (ROOT / "docs" / "editors.md").read_text(encoding="utf-8")
    return [m.group(1) for m in re.finditer(rf"^ *```{lang}\n(.*?)^ *```", text, re.DOTALL | re.MULTILINE)]


def test_editors_doc_snippets_name_real_settings_and_commands():
    import tomllib

    (helix,) = _fenced("toml")
    config = tomllib.loads(helix)
    assert config["language-server"]["accord"] == {"command": "accord", "args": ["lsp"]}
    (lang,) = config["language"]
    assert lang["scope"] == GRAMMAR["scopeName"] and lang["file-types"] == ["accord"]
    assert lang["language-servers"] == ["accord"]

    (settings,) = _fenced("json")
    declared = json.loads((EDITORS / "package.json").read_text(encoding="utf-8"))["contributes"]["configuration"]
    assert set(json.loads(settings)) == set(declared["properties"])

    lua = _fenced("lua")
    assert len(lua) == 2 and all('cmd = { "accord", "lsp" }' in block for block in lua)
    (elisp,) = _fenced("elisp")
    assert '(accord-mode "accord" "lsp")' in elisp
    shell = "\n".join(_fenced("sh"))
    for line in shell.splitlines():
        words = line.split("#")[0].split()
        if words[:1] == ["accord"] and words[1] in ("init", "lsp"):
            assert CliRunner().invoke(cli, [words[1], "--help"]).exit_code == 0
            for opt in (w for w in words[2:] if w.startswith("--")):
                assert opt in CliRunner().invoke(cli, [words[1], "--help"]).output, opt
