"""The design notes live in ``docs/``: every cited page and section exists, and nothing points outside the repository.

Pure text (no import of the package): the code, configs, tools, tests and benchmarks cite ``docs/<page>.md`` with
optional sections (``§3``, ``§3.2``, ``§5-6``, ``§4, §5``); each cited page must exist and have a heading numbered
like every cited section (``## 3. Title``, ``### 3.2 Title``). A page named without ``docs/`` is an error, as are a
link in ``docs/`` to a repository file that does not exist and a machine-specific path in a tracked file.
"""
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / 'docs'
SCANNED = ('README.md', 'highlight_plugin', 'configs', 'tools', 'tests', 'benchmarks')
TEXT_SUFFIXES = ('.py', '.md', '.sh', '.txt', '.rst', '.cfg', '.ini', '.toml', '.yaml', '.yml')
# written in pieces so that this file does not name them itself
MACHINE_PATHS = tuple(f'/{name}/' for name in ('work', 'root', 'home'))
OWN_PATHS_EXEMPT = ('tests/fixtures/', )  # the fixture generators: fixed on their own branch

NUM = r'\d+(?:\.\d+)*'
SECTIONS = rf'§\s*{NUM}(?:\s*[-–]\s*{NUM})?'
SECTION_LIST = rf'{SECTIONS}(?:\s*,\s*{SECTIONS})*'
HEADING = re.compile(rf'^#{{1,6}}\s+({NUM})\.?\s', re.M)
LINK = re.compile(r'\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)')


def doc_pages():
    """Stems of the pages under docs/ (README excluded: it is the index)."""
    return sorted(p.stem for p in DOCS.glob('*.md') if p.name != 'README.md')


def citation_pattern(prefix=r'docs/', names=r'[\w-]+'):
    """``<prefix><page>.md`` and the section list after it (group 1: page, group 2: sections or '')."""
    return re.compile(rf'{prefix}({names})\.md(?:[ \t]*({SECTION_LIST}))?')


def bare_pattern(pages):
    """One of ``pages`` followed by ``.md`` with anything but ``docs/`` in front (a bare name, another folder)."""
    names = '|'.join(map(re.escape, pages))
    return re.compile(rf'(?<![\w.-])(?<!docs/)({names})\.md\b')


def headings(page):
    """Section numbers of a docs page's headings."""
    return set(HEADING.findall((DOCS / f'{page}.md').read_text(encoding='utf-8')))


def cited_sections(text):
    """``'§5-6, §7.2'`` -> ['5', '6', '7.2']: integer ranges give every number between their ends."""
    out = []
    for part in re.findall(SECTIONS, text or ''):
        ends = [e.strip() for e in re.split(r'[-–]', part.replace('§', ''))]
        if len(ends) == 2 and all(e.isdigit() for e in ends):
            out += [str(n) for n in range(int(ends[0]), int(ends[1]) + 1)]
        else:
            out += ends
    return out


def check_text(text, where, pages=None, within_docs=False):
    """Problems of one text: cited pages or sections that do not exist, bare page names. ``within_docs``: the text
    of a page of docs/, which cites the others by their file names alone (links relative to docs/)."""
    pages = doc_pages() if pages is None else pages
    pattern = (citation_pattern(r'(?<![\w.-])(?:docs/)?', '|'.join(map(re.escape, pages))) if within_docs
               else citation_pattern())
    problems = []
    for lineno, line in enumerate(text.splitlines(), 1):
        for page, sections in pattern.findall(line):
            if not (DOCS / f'{page}.md').is_file():
                problems.append(f'{where}:{lineno}: cites docs/{page}.md, which does not exist')
                continue
            missing = [s for s in cited_sections(sections) if s not in headings(page)]
            if missing:
                problems.append(f'{where}:{lineno}: docs/{page}.md has no section {", ".join(missing)}')
        if not within_docs and pages:
            for page in bare_pattern(pages).findall(line):
                problems.append(f'{where}:{lineno}: cites {page}.md without docs/ (write docs/{page}.md)')
    return problems


def scanned_files():
    for name in SCANNED:
        path = ROOT / name
        candidates = [path] if path.is_file() else sorted(path.rglob('*')) if path.is_dir() else []
        for f in candidates:
            if f.is_file() and f.suffix in TEXT_SUFFIXES and '__pycache__' not in f.parts:
                yield f


def test_docs_index_lists_every_page():
    index = (DOCS / 'README.md').read_text(encoding='utf-8')
    linked = {Path(t.split('#')[0]).name for t in LINK.findall(index)}
    assert doc_pages(), 'docs/ has no pages'
    assert [p for p in doc_pages() if f'{p}.md' not in linked] == []


def test_citations_resolve():
    problems = []
    for f in scanned_files():
        problems += check_text(f.read_text(encoding='utf-8', errors='replace'), f.relative_to(ROOT).as_posix())
    assert problems == []


def test_docs_cross_references_and_links_resolve():
    problems = []
    for doc in sorted(DOCS.glob('*.md')):
        text = doc.read_text(encoding='utf-8')
        where = doc.relative_to(ROOT).as_posix()
        # the pages cite each other by file name and section, linked relative to docs/
        problems += check_text(text, where, within_docs=True)
        for lineno, line in enumerate(text.splitlines(), 1):
            for target in LINK.findall(line):
                if re.match(r'^[a-z][a-z0-9+.-]*:', target) or target.startswith('#'):
                    continue  # a URL or an anchor of the page itself
                path = (doc.parent / target.split('#')[0]).resolve()
                if ROOT not in path.parents and path != ROOT:
                    problems.append(f'{where}:{lineno}: link {target} leaves the repository')
                elif not path.exists():
                    problems.append(f'{where}:{lineno}: link {target}: no such file in the repository')
    assert problems == []


def test_checker_catches_what_it_must():
    """The checks above can fail: a missing page, a missing section, a bare page name."""
    pages = doc_pages()
    page = pages[0]
    top = sorted(headings(page), key=lambda s: [int(x) for x in s.split('.')])[0]
    assert check_text(f'see docs/{page}.md §{top}', 'x.py', pages) == []
    assert 'no section 999' in check_text(f'docs/{page}.md §{top}, §999', 'x.py', pages)[0]
    assert 'no section 998' in check_text(f'docs/{page}.md §{top}-998.1', 'x.py', pages)[0]
    assert 'does not exist' in check_text('docs/' + 'no-such-page.md §1', 'x.py', pages)[0]
    bare = check_text(f'(see {page}' + '.md §1)', 'x.py', pages)
    assert len(bare) == 1 and 'without docs/' in bare[0]
    assert cited_sections('§5-6, §7.2') == ['5', '6', '7.2']
    assert cited_sections('§3 step 5') == ['3']


def test_no_machine_specific_paths():
    """No tracked file outside the fixture generators names a path of one machine (a home, a work area)."""
    if shutil.which('git') is None or not (ROOT / '.git').exists():
        pytest.skip('not a git checkout')
    files = subprocess.run(['git', 'ls-files', '-z'], cwd=ROOT, capture_output=True, check=True).stdout
    problems = []
    for name in filter(None, files.decode().split('\0')):
        path = ROOT / name
        if name.startswith(OWN_PATHS_EXEMPT) or not path.is_file():
            continue
        data = path.read_bytes()
        for bad in MACHINE_PATHS:
            pos = data.find(bad.encode())
            if pos >= 0:
                line = data.count(b'\n', 0, pos) + 1
                problems.append(f'{name}:{line}: names {bad}')
    assert problems == []
