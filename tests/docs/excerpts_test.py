"""Every code block the docs mark as an excerpt is really in the file it names, so the docs can
only show code that the build compiles and the tests run. A block is marked with
`<!-- excerpt: PATH NAME -->` on the line before it; in PATH the region sits between the lines
`// ---- excerpt: NAME ----` and `// ---- end ----` (or with `#` comments), compared after
removing the indentation; NAME `*` is the whole file."""
import os
import re
import sys
import textwrap

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import junit  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
MARK = re.compile(r"<!-- excerpt: (\S+) (\S+) -->\n```[\w-]*\n(.*?)```", re.S)


def region(path, name):
    """The marked region of a file (comments // or #), or the whole file for the name "*"."""
    text = open(os.path.join(ROOT, path)).read()
    if name == "*":
        return text
    match = re.search(rf"^[ \t]*(?://|#) ---- excerpt: {re.escape(name)} ----\n(.*?)"
                      rf"^[ \t]*(?://|#) ---- end ----", text, re.S | re.M)
    return textwrap.dedent(match.group(1)) if match else None


documents = sys.argv[1:]
found = 0
for document in documents:
    text = open(os.path.join(ROOT, document)).read()
    for path, name, block in MARK.findall(text):
        found += 1

        @junit.case(f"{document}: the excerpt '{name}' is {path} as built and tested")
        def check(path=path, name=name, block=block):
            source = region(path, name)
            assert source is not None, f"{path} has no region '{name}'"
            assert source == block, f"the docs show:\n{block}\n{path} has:\n{source}"


@junit.case("the documents mark their excerpts")
def some_found():
    assert found > 0, "no excerpt markers found"


@junit.case("every C++ snippet in the documents is an excerpt of a tested file")
def all_marked():
    unmarked = []
    for document in documents:
        text = open(os.path.join(ROOT, document)).read()
        for match in re.finditer(r"```cpp\n", text):
            before = text[:match.start()].rstrip("\n").rsplit("\n", 1)[-1]
            if not before.startswith("<!-- excerpt:"):
                unmarked.append(f"{document}:{text[:match.start()].count(chr(10)) + 1}")
    assert not unmarked, "C++ blocks without an excerpt marker: " + ", ".join(unmarked)


junit.finish("doc_excerpts")
