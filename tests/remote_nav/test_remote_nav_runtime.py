"""The ES5 runtime as a file: size, ES5-only syntax, embedded key maps."""

import re
import shutil
import subprocess

from remote_nav import assets
from remote_nav.keymaps import runtime_keymaps

FORBIDDEN_WORDS = {"let", "const", "class", "extends", "super", "import", "export", "yield",
                   "async", "await", "of", "static"}
FORBIDDEN_PUNCT = ("=>", "...", "`", "**", "?.", "??")
# ES2015+ / recent DOM members an old TV browser does not have.
FORBIDDEN_MEMBERS = {"assign", "includes", "startsWith", "endsWith", "find", "findIndex",
                     "from", "padStart", "classList", "dataset", "closest", "matches",
                     "forEach", "remove", "append", "prepend", "replaceWith", "entries"}
FORBIDDEN_GLOBALS = {"Promise", "Symbol", "Map", "Set", "WeakMap", "fetch", "Proxy", "Reflect"}
_REGEX_BEFORE = set("(,=:[!&|?{};") | {""}


def tokens(source: str):
    """A small JS tokenizer: yields (kind, text), kinds ident, punct, string, regex, number."""
    i, n, prev = 0, len(source), ""
    while i < n:
        c = source[i]
        if c.isspace():
            i += 1
        elif source.startswith("//", i):
            end = source.find("\n", i)
            i = n if end < 0 else end
        elif source.startswith("/*", i):
            i = source.index("*/", i + 2) + 2
        elif c in "'\"":
            j = i + 1
            while source[j] != c:
                j += 2 if source[j] == "\\" else 1
            yield "string", source[i:j + 1]
            prev, i = "string", j + 1
        elif c == "/" and (prev in _REGEX_BEFORE or prev == "return"):
            j, in_class = i + 1, False
            while in_class or source[j] != "/":
                if source[j] == "\\":
                    j += 1
                elif source[j] == "[":
                    in_class = True
                elif source[j] == "]":
                    in_class = False
                j += 1
            j += 1
            while j < n and source[j].isalpha():
                j += 1
            yield "regex", source[i:j]
            prev, i = "regex", j
        elif c.isalpha() or c in "_$":
            m = re.compile(r"[\w$]+").match(source, i)
            yield "ident", m.group()
            prev, i = m.group(), m.end()
        elif c.isdigit():
            m = re.compile(r"0x[0-9a-fA-F]+|\d+(\.\d+)?(e[-+]?\d+)?").match(source, i)
            yield "number", m.group()
            prev, i = "number", m.end()
        else:
            for p in ("...", "=>", "**", "?.", "??", "===", "!==", "&&", "||", "==", "!=",
                      "<=", ">=", "++", "--", "+=", "-="):
                if source.startswith(p, i):
                    break
            else:
                p = c
            yield "punct", p
            prev, i = p, i + len(p)


def es5_violations(source: str) -> list[str]:
    """Everything in ``source`` that an ES5-only browser would choke on."""
    found, toks = [], list(tokens(source))
    for k, (kind, text) in enumerate(toks):
        before = toks[k - 1][1] if k else ""
        if kind == "ident" and text in FORBIDDEN_WORDS and before != ".":
            found.append("keyword %s" % text)
        elif kind == "ident" and before == "." and text in FORBIDDEN_MEMBERS:
            found.append("member .%s" % text)
        elif kind == "ident" and before != "." and text in FORBIDDEN_GLOBALS:
            found.append("global %s" % text)
        elif kind == "punct" and text in FORBIDDEN_PUNCT:
            found.append("syntax %s" % text)
    return found


def test_tokenizer_catches_es6():
    bad = ("let a = 1; const b = () => 2; class C {}; var s = `x${a}`; f(...xs);"
           " for (var x of xs) {} Object.assign({}, a); new Promise(f); a?.b; a ?? b;")
    found = es5_violations(bad)
    for word in ("keyword let", "keyword const", "syntax =>", "keyword class", "syntax `",
                 "syntax ...", "keyword of", "member .assign", "global Promise",
                 "syntax ?.", "syntax ??"):
        assert word in found
    assert es5_violations("var re = /a`b/g; var s = 'let const =>'; // class\n/* => */") == []


def test_runtime_is_es5_only():
    assert es5_violations(assets.runtime_source()) == []


def test_runtime_is_under_10_kb_gzipped():
    assert assets.gzip_size() < 10 * 1024


def test_runtime_embeds_the_current_key_maps():
    assert assets.embedded_keymaps() == runtime_keymaps(), "run python -m remote_nav.assets"


def test_build_runtime_is_up_to_date():
    assert assets.build_runtime() is False


def test_script_tag():
    assert assets.script_tag("/s/rn.js") == '<script src="/s/rn.js"></script>'


def test_runtime_parses():
    assert shutil.which("node"), "node is missing: `make test` installs Debian's nodejs when run as root"
    subprocess.run(["node", "--check", str(assets.RUNTIME_PATH)], check=True)
