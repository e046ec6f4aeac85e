"""What the browser suite checks on every page: axe-core (WCAG 2.1 A/AA and 2.2 AA: target size), focus
never hidden under a sticky element, no horizontal scroll at 360 px, no console error, no CSP violation,
and no English UI word on a Swedish page."""

import re
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin, urlsplit

from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import DEMO_TOTP_SECRET, totp

WIDTHS = (1280, 360)
HEIGHT = 800
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
_AXE_SCRIPT = Axe().axe_script

# Words of an English interface that have no place on a Swedish page (matched as whole words, case
# sensitive, in visible text and in accessible names outside elements marked lang="en").
ENGLISH_UI_WORDS = [
    "Submit", "Save", "Cancel", "Delete", "Remove", "Edit", "Search", "Filter", "Previous", "Next",
    "Page", "Back", "Close", "Download", "Upload", "Choose", "Select", "Continue", "Confirm",
    "Sign In", "Sign Up", "Sign in", "Sign up", "Log in", "Log out", "Login", "Logout", "Password",
    "Forgot", "Remember", "Email", "E-mail", "Required", "required", "optional", "Optional",
    "Done", "New", "Assigned", "Started", "Canceled", "Cancelled", "Error", "Revived", "Scheduled",
    "Yes", "No", "None", "Unknown", "Status", "Name", "Amount", "Date", "Owner", "Task", "Tasks",
    "Application", "Applications", "Decision", "Review", "Reviews", "Report", "Attachment", "Attachments",
    "This field", "field", "Show", "Hide", "Open", "Settings", "Account", "Welcome", "Hello",
    # months and days as only English writes them (Swedish "April", "Sep" at the start of a cell are Swedish too)
    "January", "February", "March", "May", "June", "July", "August", "October", "Oct",
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
    "SEK", "and", "the", "of", "or", "to", "with", "from",
]
# "Status" is Swedish as well; it is listed for the English word list's sake but never counted.
_SWEDISH_TOO = {"Status"}
_WORD_RE = re.compile(r"(?<![\w-])(" + "|".join(re.escape(w) for w in ENGLISH_UI_WORDS if w not in _SWEDISH_TOO)
                      + r")(?![\w-])")

_VISIBLE_SWEDISH_TEXT_JS = """() => {
  const out = [];
  const visible = el => { const s = getComputedStyle(el); return s.display !== 'none' && s.visibility !== 'hidden'; };
  const sv = el => { const holder = el.closest('[lang]'); return !holder || holder.lang.startsWith('sv'); };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!el || ['SCRIPT', 'STYLE', 'TEMPLATE'].includes(el.tagName) || el.closest('textarea, [data-user-text]')) continue;
    if (!sv(el) || !visible(el) || !node.textContent.trim()) continue;
    out.push(node.textContent.trim());
  }
  for (const el of document.querySelectorAll('[aria-label], [title], [placeholder], img[alt], input[type=submit][value], input[type=button][value]')) {
    if (!sv(el)) continue;
    for (const a of ['aria-label', 'title', 'placeholder', 'alt']) if (el.getAttribute(a)) out.push(el.getAttribute(a));
    if (el.matches('input[type=submit], input[type=button]')) out.push(el.value);
  }
  out.push(document.title);
  return out;
}"""

_OVERFLOW_JS = """() => {
  const root = document.documentElement;
  if (root.scrollWidth <= root.clientWidth) return null;
  const wide = [...document.body.querySelectorAll('*')].filter(el => el.getBoundingClientRect().right > root.clientWidth + 1)
    .filter(el => !el.parentElement.closest('.table-scroll, [data-scroll-x]'))
    .slice(0, 3).map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : ''));
  return {scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, elements: wide};
}"""

# WCAG 2.4.11: a focused control is never hidden under a sticky or fixed element (walked forwards, as Tab
# scrolls, and backwards, as Shift+Tab scrolls). Hidden: less than half of its visible height, and less than
# 24 px, left uncovered (a tall text area under a sticky save bar keeps most of itself in view).
_FOCUS_OBSCURED_JS = """() => {
  const stuck = [...document.querySelectorAll('body *')].filter(el => ['sticky', 'fixed'].includes(getComputedStyle(el).position));
  if (!stuck.length) return [];
  const focusables = [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex="-1"])')]
    .filter(el => !el.disabled && el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden').slice(0, 200);
  const hidden = [];
  const check = el => {
    el.focus();
    if (document.activeElement !== el) return;
    const r = el.getBoundingClientRect();
    const top = Math.max(r.top, 0), bottom = Math.min(r.bottom, window.innerHeight);
    if (bottom - top <= 0) { hidden.push((el.textContent || el.name || el.tagName).trim().slice(0, 40)); return; }
    let covered = [];
    for (const s of stuck) {
      if (s.contains(el) || el.contains(s)) continue;
      const q = s.getBoundingClientRect();
      if (Math.min(r.right, q.right) - Math.max(r.left, q.left) <= 1) continue;
      const a = Math.max(top, q.top), b = Math.min(bottom, q.bottom);
      if (b > a) covered.push([a, b]);
    }
    covered.sort((x, y) => x[0] - y[0]);
    let uncovered = 0, cursor = top;
    for (const [a, b] of covered) { if (a > cursor) uncovered += a - cursor; cursor = Math.max(cursor, b); }
    if (bottom > cursor) uncovered += bottom - cursor;
    const visible = bottom - top;
    if (uncovered < visible / 2 && uncovered < 24) hidden.push((el.textContent || el.name || el.tagName).trim().slice(0, 40));
  };
  focusables.forEach(check);
  [...focusables].reverse().forEach(check);
  if (document.activeElement) document.activeElement.blur();
  window.scrollTo(0, 0);
  return [...new Set(hidden)];
}"""

# The staff workspace's lists (table.cards): at 1280 px every column is in view, no scrolling sideways.
_CLIPPED_TABLES_JS = """() => [...document.querySelectorAll('table.cards')].filter(t => {
    const box = t.closest('.table-scroll') || t.parentElement;
    return box.scrollWidth > box.clientWidth + 1 || t.getBoundingClientRect().right > document.documentElement.clientWidth + 1;
  }).map(t => (t.closest('[aria-labelledby]') && document.getElementById(t.closest('[aria-labelledby]').getAttribute('aria-labelledby'))
               || {textContent: 'table'}).textContent.trim().slice(0, 40))"""

CSP_LISTENER = """document.addEventListener('securitypolicyviolation', e =>
  console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + e.blockedURI));"""


@dataclass
class Problems:
    items: list[str] = field(default_factory=list)

    def add(self, where: str, what: str):
        self.items.append(f"{where}: {what}")


def new_context(browser, *, language: str, base_url: str, width: int = WIDTHS[0]):
    context = browser.new_context(viewport={"width": width, "height": HEIGHT}, locale="sv-SE" if language == "sv" else "en-GB",
                                  base_url=base_url, timezone_id="Europe/Stockholm")
    set_language(context, language, base_url)
    context.add_init_script(CSP_LISTENER)
    return context


def set_language(context, language: str, base_url: str):
    context.add_cookies([{"name": "django_language", "value": language, "url": base_url}])


def watch(page, problems: Problems):
    """Every console error (CSP violations included: Chromium reports them there) and uncaught exception."""
    page.on("console", lambda msg: msg.type == "error" and problems.add(page.url, f"console error: {msg.text}"))
    page.on("pageerror", lambda exc: problems.add(page.url, f"uncaught exception: {exc}"))


def log_in(page, email: str, password: str):
    """Log in by the login page; when allauth asks for the second factor, give the current TOTP code."""
    page.goto("/konto/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    if "/2fa/" in page.url and page.locator("input[name=code]").count():
        page.fill("input[name=code]", totp(DEMO_TOTP_SECRET))
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_load_state()
    assert "/konto/login/" not in page.url, f"login as {email} failed: {page.url}"


# An English date ("3 Dec 2026"); Swedish writes "3 dec. 2026" (common.formatting.day).
_ENGLISH_DATE_RE = re.compile(r"\b\d{1,2} (Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}\b")


def english_words(texts: list[str]) -> list[str]:
    found = set()
    for text in texts:
        found.update(match.group(1) for match in _WORD_RE.finditer(text))
        found.update(match.group(0) for match in _ENGLISH_DATE_RE.finditer(text))
    return sorted(found)


def check_page(page, problems: Problems, *, language: str, width: int):
    where = f"{page.url} [{language}, {width} px]"
    results = page.evaluate(
        "async (opts) => { const r = await axe.run(document, opts); return r.violations.map(v => "
        "({id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})); }",
        {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]},
    ) if page.evaluate("() => typeof axe !== 'undefined'") else None
    if results is None:
        page.evaluate(_AXE_SCRIPT)
        return check_page(page, problems, language=language, width=width)
    for violation in results:
        problems.add(where, f"axe {violation['id']} ({violation['help']}): {violation['nodes']}")
    for label in page.evaluate(_FOCUS_OBSCURED_JS):
        problems.add(where, f"focus hidden under a sticky element: {label!r}")
    if width >= 1280:
        for table in page.evaluate(_CLIPPED_TABLES_JS):
            problems.add(where, f"a list's columns do not all fit at {width} px: {table!r}")
    if width <= 360:
        overflow = page.evaluate(_OVERFLOW_JS)
        if overflow:
            problems.add(where, f"horizontal scroll: {overflow}")
    if language == "sv" and width == WIDTHS[0]:
        words = english_words(page.evaluate(_VISIBLE_SWEDISH_TEXT_JS))
        if words:
            problems.add(where, f"English words on a Swedish page: {words}")


def links(page, base_url: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(a => a.getAttribute('href'))")
    found = []
    for href in hrefs:
        url, _fragment = urldefrag(urljoin(page.url, href))
        if url.startswith(base_url) and url not in found:
            found.append(url)
    return found


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
