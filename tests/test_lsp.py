"""The language server, driven by a real LSP client (pytest-lsp) over stdio: `accord lsp` in a subprocess.

One server serves the whole module; each test opens its own document URI. Positions below are
LSP's: 0-based lines, UTF-16 columns (the VS Code client capabilities offer no other encoding).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("pytest_lsp")
import pytest_asyncio
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

ROOT = Path(__file__).resolve().parents[1]

DEMO = """\
protocol Demo
const N = 2
type Task = 0..N-1
enum Vote { yes, no }
message Assign(t: Task)
message Done(t: Task, v: Vote)
channel Lead -> Worker fifo
channel Worker -> Lead bag
var board: map Task -> bool = [t -> false]
role Lead {
  var next: 0..N = 0
  action assign(w in Worker) when next < N {
    send Assign(next) to w
    next := next + 1
  }
  on Done(t, yes) from w { board[t] := true }
  final when forall t in Task: board[t]
}
role Worker[N] symmetric {
  var got: set of Task = {}
  on Assign(t) from l {
    got := got + {t}
    reply Done(t, yes)
  }
  final always
}
invariant bounded: forall w in Worker: size(w.got) <= N
check deadlock
fair weak Lead.assign
"""

pytestmark = pytest.mark.asyncio(loop_scope="module")


SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "accord.cli.main", "lsp"])


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client():
    """pytest-lsp's test client on a server subprocess (started here, so that `-p no:pytest-lsp` runs work too)."""
    lsp_client = await SERVER.start()
    await lsp_client.initialize_session(lsp.InitializeParams(capabilities=client_capabilities("visual-studio-code")))
    yield lsp_client
    await lsp_client.shutdown_session()
    await lsp_client.stop()


def _doc(uri: str) -> lsp.TextDocumentIdentifier:
    return lsp.TextDocumentIdentifier(uri)


async def _open(client: LanguageClient, name: str, text: str) -> tuple[str, list[lsp.Diagnostic]]:
    uri = f"file:///specs/{name}.accord"
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "accord", 1, text)))
    await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return uri, list(client.diagnostics[uri])


async def _change(client: LanguageClient, uri: str, version: int, text: str) -> list[lsp.Diagnostic]:
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        lsp.VersionedTextDocumentIdentifier(version, uri), [lsp.TextDocumentContentChangeWholeDocument(text)]))
    await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return list(client.diagnostics[uri])


def _rng(r: lsp.Range) -> tuple[int, int, int, int]:
    return r.start.line, r.start.character, r.end.line, r.end.character


async def _hover(client: LanguageClient, uri: str, line: int, col: int) -> lsp.Hover | None:
    return await client.text_document_hover_async(lsp.HoverParams(_doc(uri), lsp.Position(line, col)))


async def _definition(client: LanguageClient, uri: str, line: int, col: int) -> tuple[int, int, int, int] | None:
    loc = await client.text_document_definition_async(lsp.DefinitionParams(_doc(uri), lsp.Position(line, col)))
    if loc is None:
        return None
    assert isinstance(loc, lsp.Location) and loc.uri == uri
    return _rng(loc.range)


async def test_type_error_diagnostic_has_exact_range_code_and_hint(client: LanguageClient):
    uri, diags = await _open(client, "typo", DEMO.replace("next := next + 1", "next := nxt + 1"))
    assert [(d.code, _rng(d.range), d.severity, d.source) for d in diags] == [
        ("ACC201", (13, 12, 13, 15), lsp.DiagnosticSeverity.Error, "accord")]
    assert diags[0].message == "unknown name: `nxt`\nhelp: did you mean `next`?"
    # an incremental edit, as VS Code sends them: replace the range of the diagnostic
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        lsp.VersionedTextDocumentIdentifier(2, uri),
        [lsp.TextDocumentContentChangePartial(range=diags[0].range, text="next")]))
    await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert list(client.diagnostics[uri]) == []


async def test_syntax_error_then_fix_on_change(client: LanguageClient):
    uri, diags = await _open(client, "syntax", DEMO.replace("const N = 2", "const N = "))
    assert [(d.code, _rng(d.range)) for d in diags] == [("ACC123", (2, 5, 2, 9))]
    assert await _change(client, uri, 2, DEMO) == []


async def test_columns_count_utf16_code_units(client: LanguageClient):
    # 𝄞 is one character for accord and two UTF-16 code units for the client; é is one of each
    _, diags = await _open(client, "utf16", "protocol P # é𝄞\nvar x: bool = true\ninvariant i: x é 𝄞\n")
    assert [(d.code, _rng(d.range)) for d in diags] == [("ACC130", (2, 15, 2, 16))]
    _, diags = await _open(client, "utf16b", "protocol P\nvar x: bool = true\ninvariant i: x 𝄞é\n")
    assert [(d.code, _rng(d.range)) for d in diags] == [("ACC100", (2, 15, 2, 17))]


async def test_warnings_are_tagged_unnecessary(client: LanguageClient):
    _, diags = await _open(client, "unused", DEMO.replace("const N = 2", "const N = 2\nconst M = 3"))
    assert [(d.code, _rng(d.range), d.severity, list(d.tags or [])) for d in diags] == [
        ("ACC250", (2, 0, 2, 11), lsp.DiagnosticSeverity.Warning, [lsp.DiagnosticTag.Unnecessary])]


async def test_hover(client: LanguageClient):
    uri, _ = await _open(client, "hover", DEMO)
    const = await _hover(client, uri, 26, 54)  # `N` in `<= N`
    assert const is not None and _rng(const.range) == (26, 54, 26, 55)
    assert const.contents.value == "```accord\nconst N = 2\n```\nconstant = `2`"
    role = await _hover(client, uri, 11, 23)  # `Worker` in `w in Worker`
    assert role.contents.value == ("```accord\nrole Worker[N] symmetric\n```\n"
                                   "role: 2 instances, symmetric; 1 variable, 1 step")
    member = await _hover(client, uri, 15, 13)  # `yes` in the pattern
    assert member.contents.value == "```accord\nenum Vote { yes, no }\n```\nmember of enum `Vote`"
    var = await _hover(client, uri, 26, 47)  # `got` in `w.got`
    assert var.contents.value == "```accord\nvar got: set of Task = {}\n```\nvariable of role `Worker`: `set of Task`"
    msg = await _hover(client, uri, 12, 10)  # `Assign` in the send
    assert msg.contents.value == "```accord\nmessage Assign(t: Task)\n```\nmessage; fields: `t: 0..1`"
    bound = await _hover(client, uri, 21, 18)  # `t` in `{t}`
    assert bound.contents.value.endswith("bound name: `t` ranges over `Task`")
    step = await _hover(client, uri, 28, 15)  # `assign` in `fair weak Lead.assign`
    assert step.contents.value == ("```accord\naction assign(w in Worker) when next < N\n```\n"
                                   "step of role `Lead`")
    assert await _hover(client, uri, 26, 40) is None  # `size` is a builtin


async def test_definition(client: LanguageClient):
    uri, _ = await _open(client, "definition", DEMO)
    assert await _definition(client, uri, 26, 46) == (19, 6, 19, 9)  # w.got -> Worker's `got`
    assert await _definition(client, uri, 13, 13) == (10, 6, 10, 10)  # next -> Lead's `next`
    assert await _definition(client, uri, 22, 11) == (5, 8, 5, 12)  # Done -> the message
    assert await _definition(client, uri, 21, 18) == (20, 12, 20, 13)  # t -> the pattern binding it
    assert await _definition(client, uri, 16, 37) == (16, 20, 16, 21)  # t in board[t] -> the forall's t
    assert await _definition(client, uri, 28, 15) == (11, 9, 11, 15)  # Lead.assign -> the action
    assert await _definition(client, uri, 8, 17) == (2, 5, 2, 9)  # map Task -> the type
    assert await _definition(client, uri, 6, 8) == (9, 5, 9, 9)  # channel Lead -> role Lead


async def test_references(client: LanguageClient):
    uri, _ = await _open(client, "references", DEMO)
    locs = await client.text_document_references_async(lsp.ReferenceParams(
        text_document=_doc(uri), position=lsp.Position(1, 6), context=lsp.ReferenceContext(include_declaration=True)))
    assert sorted(_rng(loc.range)[:2] for loc in locs) == [(1, 6), (2, 15), (10, 15), (11, 41), (18, 12), (26, 54)]


async def test_document_symbols(client: LanguageClient):
    uri, _ = await _open(client, "symbols", DEMO)
    syms = await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(_doc(uri)))
    outline = [(s.name, s.kind.name, [(c.name, c.kind.name) for c in s.children or []]) for s in syms]
    assert outline == [
        ("N", "Constant", []),
        ("Task", "TypeParameter", []),
        ("Vote", "Enum", [("yes", "EnumMember"), ("no", "EnumMember")]),
        ("Assign", "Struct", [("t", "Field")]),
        ("Done", "Struct", [("t", "Field"), ("v", "Field")]),
        ("Lead -> Worker", "Interface", []),
        ("Worker -> Lead", "Interface", []),
        ("board", "Variable", []),
        ("Lead", "Class", [("next", "Variable"), ("assign", "Method"), ("on Done", "Method")]),
        ("Worker", "Class", [("got", "Variable"), ("on Assign", "Method")]),
        ("bounded", "Property", []),
        ("deadlock", "Property", []),
    ]
    lead = syms[8]
    assert _rng(lead.range) == (9, 0, 17, 1) and _rng(lead.selection_range) == (9, 5, 9, 9)


async def test_navigation_survives_a_syntax_error_below(client: LanguageClient):
    uri, _ = await _open(client, "broken", DEMO)
    diags = await _change(client, uri, 2, DEMO + "invariant half: next <\n")
    assert [(d.code, _rng(d.range)) for d in diags] == [("ACC123", (29, 22, 30, 0))]
    assert await _definition(client, uri, 13, 13) == (10, 6, 10, 10)
    symbols = await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(_doc(uri)))
    assert len(symbols) == 12


async def test_diagnostics_latency_on_the_largest_library_spec(client: LanguageClient):
    largest = max((ROOT / "protocols").glob("*.accord"), key=lambda p: len(p.read_text(encoding="utf-8")))
    text = largest.read_text(encoding="utf-8")
    start = time.perf_counter()
    uri, diags = await _open(client, "largest", text)
    elapsed = time.perf_counter() - start
    assert [d for d in diags if d.severity == lsp.DiagnosticSeverity.Error] == []
    assert elapsed < 2.0, f"{largest.name}: diagnostics took {elapsed:.3f}s"
    for i in range(2, 7):  # keystrokes: re-analysed on every change
        start = time.perf_counter()
        await _change(client, uri, i, text + "#" * i)
        assert time.perf_counter() - start < 1.0


async def test_save_and_close_publish_diagnostics(client: LanguageClient):
    uri, diags = await _open(client, "saved", DEMO.replace("check deadlock", "check deadlock\ncheck deadlock"))
    assert [(d.code, _rng(d.range)) for d in diags] == [("ACC204", (28, 0, 28, 14))]
    client.text_document_did_save(lsp.DidSaveTextDocumentParams(_doc(uri)))
    await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert [d.code for d in client.diagnostics[uri]] == ["ACC204"]
    assert diags[0].related_information[0].location.range.start.line == 27  # the first `check deadlock`
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(_doc(uri)))
    await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert list(client.diagnostics[uri]) == []
